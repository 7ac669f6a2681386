#include "core/playback/PrebufferEstimate.h"

#include <algorithm>
#include <cmath>

namespace moodsteer {
namespace {
constexpr double kSpeedMargin = 1.25; // assume the generator may run this much slower
constexpr double kMinSlack = 1.0;     // seconds: the output's and the chunks' granularity
} // namespace

PrebufferEstimate PrebufferEstimate::of(double clipSeconds, double generatedSeconds,
                                        double etaSeconds, double chunkSeconds) {
    PrebufferEstimate e;
    const double g = std::max(0.0, generatedSeconds);
    const double left = clipSeconds - g;
    if (!(left > 1e-9)) { // everything is made
        e.startNow = g > 0;
        e.bufferSeconds = g;
        return e;
    }
    if (!(etaSeconds > 0) || !std::isfinite(etaSeconds)) { // no speed yet: wait for one
        e.waitSeconds = std::isfinite(etaSeconds) && etaSeconds > 0 ? etaSeconds : 0;
        return e;
    }
    const double r = left / etaSeconds;
    const double slow = r / kSpeedMargin;
    const double slack = std::max(kMinSlack, std::isfinite(chunkSeconds) ? chunkSeconds : 0.0);
    const double behind = std::max(0.0, 1.0 - slow); // share of the rest playback would outrun
    e.speed = r;
    const double needed = behind * left / slow + slack;
    if (g >= needed && g > 0) {
        e.startNow = true;
        e.bufferSeconds = g;
        return e;
    }
    // Waiting w more seconds: g + r w >= behind (left - r w) / slow + slack.
    const double wait = (behind * left + slow * (slack - g)) / r;
    e.waitSeconds = std::clamp(wait, 0.0, etaSeconds); // at worst: until it is all made
    e.bufferSeconds = std::min(clipSeconds, g + r * e.waitSeconds);
    return e;
}

} // namespace moodsteer
