// Per-file cache of an emotion encoder's pooled window features, keyed by the file's content
// hash and the encoder's signature (name, layer, sizes, window, hop, feature version), so that
// retraining or ablating (and MERT, at seconds per clip) does not re-encode unchanged audio.
// One small binary file per clip in a folder (default: $XDG_CACHE_HOME or ~/.cache
// /moodsteer/emotion-features); writes are atomic; a damaged entry is ignored and rewritten.
// Not thread-safe for one instance.
#pragma once

#include "core/emotion/EmotionPredictor.h"

#include <optional>
#include <string>

namespace moodsteer {

class EmotionFeatureCache {
  public:
    /// `dir` empty: the default folder above. Creates the folder on first store().
    explicit EmotionFeatureCache(std::string dir = "");

    /// 64-bit FNV-1a of a file's bytes, as 16 hex digits. Throws naming the file.
    static std::string contentHash(const std::string& path);

    /// The cached features of `audioPath` for `signature`, or nothing.
    std::optional<WindowedFeatures> load(const std::string& audioPath,
                                         const std::string& signature) const;
    /// Stores them (atomic). Throws naming the cache file when it cannot be written.
    void store(const std::string& audioPath, const std::string& signature,
               const WindowedFeatures& features) const;

    const std::string& dir() const { return dir_; }

  private:
    std::string entryPath(const std::string& audioPath, const std::string& signature) const;
    std::string dir_;
};

} // namespace moodsteer
