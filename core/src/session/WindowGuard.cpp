#include "session/WindowGuard.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace moodsteer {

std::string WindowVerdict::reason(double frameRate) const {
    char buf[128];
    if (silent) {
        std::snprintf(buf, sizeof buf, "silent (%.1f dBFS)", levelDbfs);
    } else if (looped) {
        std::snprintf(buf, sizeof buf, "one %.1f s bar repeated (%.0f %% of frames)",
                      loopPeriod / frameRate, loopFraction * 100);
    } else if (gap) {
        std::snprintf(buf, sizeof buf, "%.0f s gap", longestQuietSeconds);
    } else if (offPath) {
        std::snprintf(buf, sizeof buf, "%.1f off the emotion path", emotionError);
    } else {
        return "ok";
    }
    return buf;
}

bool WindowVerdict::betterThan(const WindowVerdict& other) const {
    if (ok() != other.ok()) return ok();
    // Failures, best first: only off the path, a gap, looped, silent.
    const auto rank = [](const WindowVerdict& v) {
        return v.silent ? 3 : v.looped ? 2 : v.gap ? 1 : 0;
    };
    if (rank(*this) != rank(other)) return rank(*this) < rank(other);
    switch (rank(*this)) {
    case 0:
        return emotionError < other.emotionError;
    case 1:
        return quietSeconds < other.quietSeconds;
    case 2:
        return loopFraction < other.loopFraction;
    default:
        return levelDbfs > other.levelDbfs;
    }
}

double WindowGuard::levelDbfs(const float* samples, std::size_t count) {
    double sum = 0;
    for (std::size_t i = 0; i < count; ++i)
        sum += double(samples[i]) * samples[i];
    const double rms = count ? std::sqrt(sum / count) : 0.0;
    return rms > 0 ? 20 * std::log10(rms) : -200.0;
}

WindowVerdict WindowGuard::inspect(const CodeGrid& codes, const AudioBuffer& audio,
                                   double frameRate) {
    WindowVerdict v;
    v.levelDbfs = levelDbfs(audio.samples.data(), audio.samples.size());
    v.silent = v.levelDbfs < kSilenceDbfs;
    // Rests: whole seconds under kQuietDbfs (the guard's caller decides whether a run is a gap).
    const std::size_t second = static_cast<std::size_t>(std::max(1, audio.sampleRate));
    double run = 0;
    for (std::size_t at = 0; at + second <= audio.samples.size(); at += second) {
        if (levelDbfs(audio.samples.data() + at, second) < kQuietDbfs) {
            v.quietSeconds += 1;
            run += 1;
            v.longestQuietSeconds = std::max(v.longestQuietSeconds, run);
        } else {
            run = 0;
        }
    }
    // A loop: some bar length p makes frame f equal frame f-p in every codebook almost
    // everywhere. Only judged over at least three periods, so a short window never loops.
    const int shortest = std::max(1, static_cast<int>(std::lround(kShortestBar * frameRate)));
    const int longest = static_cast<int>(std::lround(kLongestBar * frameRate));
    for (int p = shortest; p <= longest && 3 * p <= codes.frames; ++p) {
        int same = 0;
        for (int f = p; f < codes.frames; ++f) {
            bool eq = true;
            for (int k = 0; k < codes.numCodebooks && eq; ++k)
                eq = codes.at(k, f) == codes.at(k, f - p);
            same += eq;
        }
        const double fraction = double(same) / (codes.frames - p);
        if (fraction > v.loopFraction) {
            v.loopFraction = fraction;
            v.loopPeriod = p;
        }
    }
    v.looped = v.loopFraction >= kLoopFraction;
    return v;
}

} // namespace moodsteer
