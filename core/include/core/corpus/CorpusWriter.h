// Writes a labelled training corpus: for each planned piece the SynthCodec tokens
// (safetensors, tensor `codes` int64 [4, frames]), a MIDI file, optionally the rendered audio
// (WAV), and one row in labels.csv. The plan is balanced over genres and over the
// valence-arousal plane (a stratified 4 x 4 grid with jitter inside each cell).
#pragma once

#include "core/corpus/Composer.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace moodsteer {

struct CorpusOptions {
    std::string outDir;
    int count = 0;
    double seconds = 10.0;
    std::uint64_t seed = 1;
    bool tokensOnly = false;         ///< skip audio rendering
    std::vector<std::string> genres; ///< empty: all of Composer::genres()
    /// When set (1..9), every piece gets this emotion instead of the balanced grid (for
    /// rendering examples); 0 = use the grid.
    double fixedValence = 0.0, fixedArousal = 0.0;
};

struct CorpusItem {
    std::string stem; ///< file name without extension, e.g. "piece_00042"
    std::string file; ///< the labels.csv "file" entry: the .wav, or the .safetensors
    PieceLabel label;
    std::string prompt;
};

struct CorpusSummary {
    int pieces = 0;
    double elapsedSeconds = 0.0;
    double piecesPerSecond = 0.0;
    double audioSeconds = 0.0; ///< total music duration written
    std::string labelsPath;
    std::vector<CorpusItem> items;
};

class CorpusWriter {
  public:
    /// Throws std::invalid_argument for count <= 0, seconds outside (0, 600], an unknown
    /// genre, a fixed valence/arousal outside [1, 9] or an empty outDir.
    explicit CorpusWriter(CorpusOptions options, const Composer& composer = Composer());

    /// The requests the corpus will contain, in order (deterministic in the options).
    static std::vector<ComposerRequest> plan(const CorpusOptions& options);

    using Progress = std::function<void(int done, int total, const CorpusItem& item)>;
    /// Creates outDir and writes everything. Throws std::runtime_error naming the folder or
    /// file when it cannot be created or written.
    CorpusSummary run(const Progress& progress = {}) const;

  private:
    CorpusOptions options_;
    Composer composer_;
};

} // namespace moodsteer
