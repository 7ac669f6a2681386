#include "core/audio/TempoEstimate.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace moodsteer {

TempoEstimate estimateTempo(std::span<const double> onset, double frameRate) {
    TempoEstimate t;
    const int n = static_cast<int>(onset.size());
    const double mean = std::accumulate(onset.begin(), onset.end(), 0.0) / std::max(1, n);
    std::vector<double> o(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        o[static_cast<std::size_t>(i)] = onset[static_cast<std::size_t>(i)] - mean;
    // The floor (an onset-strength sd of 0.01) keeps a steady sound's numerical ripple from
    // looking like a perfectly clear pulse.
    double ac0 = n * 1e-4;
    for (double v : o)
        ac0 += v * v;
    const int minLag = static_cast<int>(std::floor(60.0 * frameRate / 240.0));
    const int maxLag = std::min(n / 2, static_cast<int>(std::ceil(60.0 * frameRate / 40.0)));
    if (ac0 <= 0 || maxLag <= minLag + 1) return t;
    std::vector<double> ac(static_cast<std::size_t>(maxLag) + 2, 0.0);
    for (int lag = minLag - 1; lag <= maxLag + 1 && lag < n; ++lag) {
        double s = 0;
        for (int i = 0; i + lag < n; ++i)
            s += o[static_cast<std::size_t>(i)] * o[static_cast<std::size_t>(i + lag)];
        // Unbiased estimate, so long lags are not penalised by fewer overlapping terms.
        ac[static_cast<std::size_t>(std::max(0, lag))] = s / ac0 * n / std::max(1, n - lag);
    }
    int best = -1;
    double bestScore = -1e300;
    for (int lag = std::max(1, minLag); lag <= maxLag; ++lag) {
        const auto l = static_cast<std::size_t>(lag);
        const double bpm = 60.0 * frameRate / lag;
        const double prior = std::exp(-0.5 * std::pow(std::log2(bpm / 120.0), 2));
        const double score = ac[l] * prior;
        if (ac[l] > ac[l - 1] && ac[l] >= ac[l + 1] && score > bestScore)
            bestScore = score, best = lag;
    }
    if (best < 0 || ac[static_cast<std::size_t>(best)] <= 0) return t;
    // Parabolic interpolation of the peak for sub-frame lag resolution.
    const auto b = static_cast<std::size_t>(best);
    const double y0 = ac[b - 1], y1 = ac[b], y2 = ac[b + 1];
    const double den = y0 - 2 * y1 + y2;
    const double shift = den != 0 ? std::clamp(0.5 * (y0 - y2) / den, -0.5, 0.5) : 0.0;
    t.clarity = std::clamp(y1, 0.0, 1.0);
    if (t.hasPulse()) t.bpm = 60.0 * frameRate / (best + shift);
    return t;
}

double tempoChangePercent(double a, double b) {
    if (!(a > 0) || !(b > 0)) throw std::invalid_argument("tempoChangePercent: tempi must be > 0");
    double r = std::log2(b / a);
    r -= std::round(r);
    return std::abs(std::exp2(r) - 1.0) * 100.0;
}

} // namespace moodsteer
