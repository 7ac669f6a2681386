// Integrated loudness (EBU R128 / ITU-R BS.1770, K-weighted, gated) through libebur128, and
// the gain that brings a clip to a reference loudness. The emotion predictor normalises every
// clip with it before extracting features, so that turning the volume knob cannot change a
// prediction. Stateless; safe to call from any thread.
#pragma once

#include "core/audio/AudioBuffer.h"

namespace moodsteer {

class LoudnessMeter {
  public:
    /// Reference level of the emotion features (EBU R128's programme loudness).
    static constexpr double kReferenceLufs = -23.0;
    /// Below this integrated loudness a clip counts as silent (R128's absolute gate).
    static constexpr double kSilenceLufs = -70.0;

    /// Integrated loudness in LUFS of a mono clip; -infinity when every 400 ms block is below
    /// the absolute gate (silence, or a clip shorter than one block of 400 ms that is quiet).
    /// Throws std::invalid_argument for an empty clip, a bad sample rate or non-finite samples.
    static double integratedLoudness(const AudioBuffer& audio);

    /// Returns `audio` scaled to `targetLufs` integrated loudness and writes the measured
    /// loudness to `measuredLufs` when non-null. A silent clip (below kSilenceLufs) is
    /// returned unchanged. Samples may leave [-1, 1]: features do not care about clipping.
    static AudioBuffer normalised(const AudioBuffer& audio, double targetLufs = kReferenceLufs,
                                  double* measuredLufs = nullptr);
};

} // namespace moodsteer
