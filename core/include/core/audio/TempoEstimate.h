// Tempo of a stretch of music from its onset-strength envelope (one value per analysis frame):
// the autocorrelation of the mean-removed envelope over 40..240 BPM, weighted by a log-normal
// prior around 120 BPM (one octave sigma) against octave errors, the peak refined by parabolic
// interpolation. The DSP emotion features use it on their onset envelope (tempo and pulse
// clarity of a window); bench-session uses it on the spectral flux on both sides of each seam
// to measure tempo drift (issue 17).
//
// Threading: pure functions.
#pragma once

#include <span>

namespace moodsteer {

struct TempoEstimate {
    double bpm = 120.0;   ///< the prior's centre when there is no clear pulse
    double clarity = 0.0; ///< normalised autocorrelation at the chosen lag, 0..1
    /// Below kMinClarity the peak is noise and bpm is the prior's centre, not a measurement.
    static constexpr double kMinClarity = 0.1;
    bool hasPulse() const { return clarity >= kMinClarity; }
};

/// `onset`: onset strength per frame, `frameRate` frames per second.
TempoEstimate estimateTempo(std::span<const double> onset, double frameRate);

/// How far tempo b lies from tempo a, in percent of a, after folding octaves (a halved or
/// doubled reading of the same pulse counts as no change): |2^r - 1| * 100 with
/// r = log2(b / a) brought into [-0.5, 0.5]. Both must be > 0.
double tempoChangePercent(double a, double b);

} // namespace moodsteer
