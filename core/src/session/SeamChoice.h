// Seam-aware continuation: a window of a long session opens with a few candidate seeds, and the
// first whose opening is no louder at the seam than the music before it (spectral flux, the
// measure of bench-session's seam score) is kept, else the quietest. Why: a window prefilled
// with the previous one's tail often opens with a fresh onset pattern (every part striking on
// its first frame, as at the start of a piece), which the stream then plays as a jolt at every
// seam. The candidates are real continuations of the same context and the audio stays one
// continuous decode; only the seed differs, and the seed kept is recorded in the recipe, so the
// session regenerates exactly without choosing again.
//
// Works on any ModelFamily: the window is begun and prefilled once, and the candidates are
// stepped from there for their opening frames, all together where the family can fork a window
// (WindowDecoder::fork: one decode step reads the weights once for all of them; musicgen-small
// int8, four candidates: a seam took 1.8-2.4 s against 2.3-2.9 s), else one at a time
// (WindowDecoder::restart; a family that cannot restart begins each anew). Each opening is
// heard through a copy of the stream decoder (or, for a codec that cannot copy its state,
// decoded after a short stretch of its context), in order (forked: all pushed into their copies
// first, so that pipelined copies decode side by side), and the window comes back at the kept
// seed for the caller to go on with (forked: the kept candidate itself, its opening made).
//
// Threading: the engine thread.
#pragma once

#include "core/audio/AudioCodec.h"
#include "core/engine/ModelFamily.h"

#include <atomic>
#include <cstdint>
#include <vector>

namespace moodsteer {

class SeamChoice {
  public:
    static constexpr double kOpeningSeconds = 0.25; ///< new audio heard per candidate
    static constexpr double kTailSeconds = 6.0;     ///< the music before the seam it is held to
    /// An opening scoring at most this (half the median flux before it: no onset at the
    /// seam) is kept at once; otherwise every candidate is tried and the lowest kept.
    static constexpr double kSmooth = 0.5;
    /// A window's end may be cut back by up to this much so that the seam falls in a lull.
    static constexpr double kMaxCutSeconds = 0.6;

    explicit SeamChoice(int sampleRate) : sampleRate_(sampleRate) {}

    /// Keeps the last kTailSeconds (plus one hop) of the stream, aligned to the flux hops
    /// counted from the stream's first sample, as bench-session counts them.
    void heard(const float* samples, std::size_t count);
    std::size_t streamSamples() const { return streamSamples_; }

    /// The seam score of `opening` (the audio right after the seam) against the tail heard so
    /// far: flux of the frames spanning the seam / median flux of the tail. 0 without a tail.
    double score(const std::vector<float>& opening) const;

    /// Frames to cut from the end of a window whose audio is `windowAudio` (decoded as the
    /// stream plays it, right after the audio heard so far), so that the seam falls where the
    /// window's own music is quietest: the cut point whose spanning frames have the lowest
    /// flux, at least one flux frame (2048 samples) back so that the window's own audio judges
    /// it, at most kMaxCutSeconds. Ties keep the fewest frames cut. 0 when the window is too
    /// short to cut.
    int cutBack(const std::vector<float>& windowAudio, int samplesPerFrame, double frameRate) const;
    /// The most frames cutBack() may cut (kMaxCutSeconds, and at least one flux frame).
    static int maxCutFrames(int samplesPerFrame, double frameRate);
    /// The fewest frames of a window's audio cutBack() cuts: with less it returns 0.
    static int cutWindowFrames(int samplesPerFrame, double frameRate) {
        return 4 * maxCutFrames(samplesPerFrame, frameRate);
    }

    struct Result {
        std::uint64_t seed = 0; ///< the candidate kept
        int candidate = 0;      ///< its index (0: the window's own seed)
        double score = 0;
        int tried = 0;             ///< candidates whose openings were made
        double prefillSeconds = 0; ///< wall seconds of the windows' begin() and prefill()
        int aheadColumns = 0;      ///< the context's columns `ahead` had read
        /// The window begun and prefilled for the candidates, at the kept seed and ready to
        /// step (what begin() + prefill() with it gives), its opening already made when the
        /// candidates were forked (newCodes(): frames the caller has not had from step());
        /// null when the family cannot restart a window.
        std::unique_ptr<WindowDecoder> window;
    };
    /// Tries seeds `firstSeed + c` for c in [0, candidates) on `request` (its seed is set per
    /// try). `stream`: the session's stream decoder (copied, never advanced). Stops early when
    /// `cancel` is set (the best so far is returned). `ahead`: the window begun and read ahead
    /// for this request (ContextReadAhead), settled with it in place of a begin().
    Result choose(ModelFamily& family, WindowRequest request, const StreamDecoder& stream,
                  std::uint64_t firstSeed, int candidates, const std::atomic<bool>* cancel,
                  std::unique_ptr<WindowDecoder> ahead = nullptr) const;

  private:
    int sampleRate_;
    std::vector<float> tail_;
    std::size_t streamSamples_ = 0;
};

} // namespace moodsteer
