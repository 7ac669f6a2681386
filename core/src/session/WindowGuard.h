// The long-form guard: detects the two ways a window of a long generation fails (audiocraft
// users report both at re-prompting seams): collapse into silence, and collapse into one bar
// repeated note for note. A rejected window is resampled with the next seed.
#pragma once

#include "core/audio/AudioBuffer.h"
#include "core/audio/AudioCodec.h"

#include <string>

namespace moodsteer {

struct WindowVerdict {
    double levelDbfs = 0;    ///< RMS level of the window's audio
    double loopFraction = 0; ///< share of frames equal (all K codes) to one period earlier
    int loopPeriod = 0;      ///< that period in frames (0: none checked)
    bool silent = false;
    bool looped = false;
    bool ok() const { return !silent && !looped; }
    /// The better of two rejected windows, kept when every try fails: a looped window over a
    /// silent one, then the louder (silent) or the less repetitive (looped).
    bool betterThan(const WindowVerdict& other) const;
    /// "silent (-63.2 dBFS)" / "one 2.0 s bar repeated (97 % of frames)" / "ok".
    std::string reason(double frameRate) const;
};

class WindowGuard {
  public:
    static constexpr double kSilenceDbfs = -50.0; ///< the issue's bar: no window below it
    static constexpr double kLoopFraction = 0.95; ///< periodic this much = one looped bar
    static constexpr double kShortestBar = 0.5;   ///< seconds
    static constexpr double kLongestBar = 4.0;    ///< seconds

    /// `codes`: the window's new frames; `audio`: their decoded audio.
    static WindowVerdict inspect(const CodeGrid& codes, const AudioBuffer& audio, double frameRate);
    static double levelDbfs(const float* samples, std::size_t count);
};

} // namespace moodsteer
