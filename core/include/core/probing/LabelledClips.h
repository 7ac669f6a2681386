// A labelled folder of clips for probing: DIR/labels.csv with a header naming at least the
// columns `file` and a label column (`label`, else `genre`, or any column the caller names;
// optionally `valence` and `arousal`, 1..9), one clip per row.
// Fields may be quoted ("a, b" with "" for a quote). Label names are the sorted distinct
// labels, so label indices do not depend on the row order.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace moodsteer {

struct LabelledClip {
    std::string file;       ///< absolute or relative to the folder, as resolved path
    std::int64_t label = 0; ///< index into LabelledClips::labelNames
    std::optional<float> valence;
    std::optional<float> arousal;
};

struct LabelledClips {
    std::string folder;
    std::vector<std::string> labelNames;
    std::vector<LabelledClip> clips;
    bool hasEmotion = false; ///< every clip has valence and arousal
    std::string labelColumn; ///< the column the labels were read from

    /// Reads FOLDER/labels.csv. Throws std::runtime_error naming the file and line for a
    /// missing file or column, a malformed row, a value outside 1..9, a duplicate or missing
    /// clip file (checked on disk).
    /// `labelColumn` "" picks `label`, else `genre`.
    static LabelledClips read(const std::string& folder, const std::string& labelColumn = "");
    /// Parses labels.csv text (no file-existence check); `name` is used in errors.
    static LabelledClips parse(const std::string& csv, const std::string& folder,
                               const std::string& name = "labels.csv",
                               const std::string& labelColumn = "");
};

} // namespace moodsteer
