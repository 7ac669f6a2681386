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
    } else {
        return "ok";
    }
    return buf;
}

bool WindowVerdict::betterThan(const WindowVerdict& other) const {
    if (ok() != other.ok()) return ok();
    if (silent != other.silent) return !silent;
    if (silent) return levelDbfs > other.levelDbfs;
    return loopFraction < other.loopFraction;
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
