// The studio's clip library: every generated clip kept as a WAV file plus its full recipe
// (in the WAV's tags and in a sidecar <id>.recipe.json), indexed by library.json in a folder
// the application chooses (the user's data folder). Survives restarts; every write is atomic
// so a crash never corrupts the index.
//
// Several writers (studio windows, processes) may share one folder: every change takes an
// exclusive lock (flock on <folder>/library.lock), re-reads the index, applies the change and
// writes the index atomically, so no writer's clip is lost. An index that cannot be parsed is
// kept aside as library.json.corrupt-<time> and rebuilt from the clips' files (recovered()).
//
// Threading: one thread at a time per object (the GUI thread in the studio); any number of
// objects and processes per folder.
#pragma once

#include "core/audio/AudioBuffer.h"
#include "core/audio/AudioCodec.h"
#include "core/engine/Recipe.h"

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace moodsteer {

class ClipLibraryError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct LibraryClip {
    std::string id;      ///< stable, unique within the library; also the WAV file's stem
    std::string name;    ///< user-visible, renamable
    std::string created; ///< ISO 8601 UTC
    double seconds = 0;
    Recipe recipe;
    std::optional<double> predictedValence; ///< from the emotion predictor, when run
    std::optional<double> predictedArousal;
};

class ClipLibrary {
  public:
    /// Opens (creating if needed) the library in `folder`. A malformed library.json is backed
    /// up and rebuilt from the clips' sidecars (see recovered()); throws ClipLibraryError
    /// naming the folder when it cannot be created or locked.
    explicit ClipLibrary(std::string folder);

    /// Re-reads the index (changes made by other windows or processes).
    void reload();
    /// Empty, or one line saying that the index was unreadable, where its backup is and how
    /// many clips were rebuilt (for the studio's status line).
    const std::string& recovered() const { return recovered_; }

    const std::string& folder() const { return folder_; }
    const std::vector<LibraryClip>& clips() const { return clips_; }
    const LibraryClip* find(const std::string& id) const;

    /// Stores the audio and recipe (and the codes, when given, for MIDI export); returns the
    /// new clip. `name` empty: taken from the prompt.
    const LibraryClip& add(const AudioBuffer& audio, const Recipe& recipe,
                           const std::string& name = "", const CodeGrid* codes = nullptr);
    /// The clip's codes when they were stored with it.
    std::optional<CodeGrid> codes(const std::string& id) const;
    /// Reads a clip's audio back. Throws ClipLibraryError for an unknown id.
    AudioBuffer audio(const std::string& id) const;
    std::string audioPath(const std::string& id) const;
    void rename(const std::string& id, const std::string& name);
    void setPredictedEmotion(const std::string& id, double valence, double arousal);
    /// Removes the clip and its WAV (and codes) file.
    void remove(const std::string& id);

    /// Writes `audio` to `path` (WAV/FLAC/OGG by extension) with the recipe in the file's
    /// tags and in a sidecar `<path without extension>.recipe.json`, both atomically. With
    /// `overwrite` false an existing audio file or sidecar is an error (nothing is written).
    static void exportClip(const std::string& path, const AudioBuffer& audio, const Recipe& recipe,
                           const std::string& title, bool overwrite);
    /// The sidecar path exportClip writes for `path`.
    static std::string sidecarPath(const std::string& path);
    /// A default clip name from a recipe ("calm piano" / "v 6.5 a 3.0" / "unconditional").
    static std::string defaultName(const Recipe& recipe);

  private:
    class Lock;
    void save() const;
    /// Reads library.json into clips_ (caller holds the lock); rebuilds it when corrupt.
    void load();
    void rebuildFromFiles(const std::string& why);
    LibraryClip& get(const std::string& id);

    std::string folder_;
    std::vector<LibraryClip> clips_;
    std::string recovered_;
};

} // namespace moodsteer
