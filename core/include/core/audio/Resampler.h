// Sample-rate conversion by windowed-sinc interpolation (Kaiser window, rational ratio,
// polyphase). Used to bring audio to a feature encoder's rate (MERT: 24 kHz, the DSP
// encoder: 32 kHz). Quality: passband flat to ~0.8 x the lower Nyquist, stopband >= ~85 dB
// (Kaiser beta 9, 32 zero crossings per side), anti-aliasing cutoff at 0.9 x the lower
// Nyquist. Deterministic; the signal is taken as zero outside its ends. Torch-free.
#pragma once

#include "core/audio/AudioBuffer.h"

#include <span>
#include <vector>

namespace moodsteer {

class Resampler {
  public:
    /// Throws std::invalid_argument when a rate is not positive.
    Resampler(int inputRate, int outputRate);

    int inputRate() const { return inputRate_; }
    int outputRate() const { return outputRate_; }

    /// Resamples a whole signal; output length ceil(n * outputRate / inputRate).
    std::vector<float> process(std::span<const float> input) const;

    /// `audio` at `outputRate` (a copy when the rates already match).
    static AudioBuffer resample(const AudioBuffer& audio, int outputRate);

  private:
    double kernel(double tau) const;

    int inputRate_, outputRate_;
    long long up_ = 1, down_ = 1; ///< output/input = up/down, reduced
    double cutoff_ = 0.5;         ///< cycles per input sample
    double halfWidth_ = 0;        ///< kernel half-width in input samples
    int taps_ = 0;                ///< taps per side
    std::vector<float> table_;    ///< [phase][2 * taps], when up_ is small enough
};

} // namespace moodsteer
