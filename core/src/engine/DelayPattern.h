// MusicGen's "delay" interleaving of K codebooks (see ../shared/parity/README.md):
// row k of the decoder ids holds the pad/BOS id P at positions t <= k, frame t-k-1 of codebook
// k at positions k+1 <= t <= frames+k, and P again after that. A clip of F frames therefore
// takes F+K positions (one start column plus F+K-1 generated columns).
#pragma once

#include "core/audio/AudioCodec.h"

#include <cstdint>
#include <vector>

namespace moodsteer {

class DelayPattern {
  public:
    DelayPattern(int numCodebooks, int frames, std::int64_t padId);

    int numCodebooks() const { return k_; }
    int frames() const { return frames_; }
    std::int64_t padId() const { return pad_; }
    /// Total positions including the start column: frames + K.
    int length() const { return frames_ + k_; }
    /// Decode steps (forward passes) needed: length() - 1.
    int steps() const { return length() - 1; }

    /// true when position t of codebook k is forced to the pad id.
    bool isForced(int k, int t) const { return t <= k || t > frames_ + k; }
    /// The frame that position t of codebook k carries (valid only when !isForced).
    int frameAt(int k, int t) const { return t - k - 1; }
    /// Frames complete in all K codebooks once positions [0, t] exist.
    int completeFrames(int t) const;

    /// Delayed layout [K x length()] of a frame grid (the teacher-forcing input).
    std::vector<std::int64_t> build(const CodeGrid& codes) const;
    /// Drops the pad positions: [K x length()] delayed ids -> K x frames codes. Throws
    /// CodecError if a non-forced position holds the pad id.
    CodeGrid revert(const std::vector<std::int64_t>& delayed) const;

  private:
    int k_;
    int frames_;
    std::int64_t pad_;
};

} // namespace moodsteer
