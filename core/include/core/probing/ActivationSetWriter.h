// Streams an activation set to disk clip by clip with bounded memory: each clip's pooled rows
// are appended to one spool file per layer (in a folder ".<name>.spool.moodsteer-tmp-*" of its own
// next to the output, so the data stays on the destination's disk), and finish() assembles the
// safetensors file (ActivationSet.h's format) by copying the spools layer after layer in 1 MiB
// blocks, then removes the spool. Memory: labels, emotion values and clip ids only (a few bytes per
// clip). An unfinished writer (error, cancellation) deletes its spool and leaves no output file.
#pragma once

#include "core/probing/ActivationSet.h"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace moodsteer {

class ActivationSetWriter {
  public:
    /// Validates `settings` and creates the spool; throws ActivationSetError naming the path.
    ActivationSetWriter(std::string path, ActivationSettings settings);
    ~ActivationSetWriter();
    ActivationSetWriter(const ActivationSetWriter&) = delete;
    ActivationSetWriter& operator=(const ActivationSetWriter&) = delete;

    /// One clip: `layerRows` holds numLayers x hiddenSize floats, layer-major (what
    /// ActivationPooler::pooled() returns). Emotion values must be given for every clip or for
    /// none. Throws ActivationSetError for a wrong size, a bad label or a write failure.
    void append(std::span<const float> layerRows, std::int64_t label,
                std::optional<float> valence = std::nullopt,
                std::optional<float> arousal = std::nullopt, const std::string& clipId = {});

    std::int64_t size() const { return static_cast<std::int64_t>(labels_.size()); }
    /// Writes the file atomically and removes the spool. Throws when no clip was appended.
    void finish();

  private:
    void closeSpool() noexcept;

    std::string path_;
    std::string spoolDir_;
    ActivationSettings settings_;
    std::vector<std::FILE*> spools_;
    std::vector<std::int64_t> labels_;
    std::vector<float> valence_, arousal_;
    std::vector<std::string> clipIds_;
    bool finished_ = false;
};

} // namespace moodsteer
