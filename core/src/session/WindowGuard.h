// The long-form guard: detects the two ways a window of a long generation fails (audiocraft
// users report both at re-prompting seams): collapse into silence, and collapse into one bar
// repeated note for note; with the emotion check (session/EmotionCheck.h), also a window that
// strays from the emotion path. A rejected window is resampled with the next seed.
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
    double emotionError = -1; ///< the emotion check's error (EmotionFit::error); -1: not judged
    bool offPath = false;     ///< judged farther from the emotion path than the recipe allows
    /// Whole seconds of the window under kQuietDbfs, and the longest run of them.
    double quietSeconds = 0;
    double longestQuietSeconds = 0;
    /// A gap of at least kLongestGap seconds inside the window (judged only with the emotion
    /// check, which would otherwise hear a silent stretch as calm: recipes from before it keep
    /// the guard they were made with).
    bool gap = false;
    bool ok() const { return !silent && !looped && !offPath && !gap; }
    /// The better of two rejected windows, kept when every try fails: off the path over a gap
    /// over looped over silent, then the closer to the path, the less quiet time, the less
    /// repetitive (looped) or the louder (silent).
    bool betterThan(const WindowVerdict& other) const;
    /// "silent (-63.2 dBFS)" / "one 2.0 s bar repeated (97 % of frames)" / "7 s gap" / "1.4 off
    /// the emotion path" / "ok".
    std::string reason(double frameRate) const;
};

class WindowGuard {
  public:
    static constexpr double kSilenceDbfs = -50.0; ///< the issue's bar: no window below it
    static constexpr double kLoopFraction = 0.95; ///< periodic this much = one looped bar
    static constexpr double kShortestBar = 0.5;   ///< seconds
    static constexpr double kLongestBar = 4.0;    ///< seconds
    static constexpr double kQuietDbfs = -60.0;   ///< a second this quiet is a rest, not music
    static constexpr double kLongestGap = 5.0;    ///< seconds of rest that make a gap

    /// `codes`: the window's new frames; `audio`: their decoded audio.
    static WindowVerdict inspect(const CodeGrid& codes, const AudioBuffer& audio, double frameRate);
    static double levelDbfs(const float* samples, std::size_t count);
};

} // namespace moodsteer
