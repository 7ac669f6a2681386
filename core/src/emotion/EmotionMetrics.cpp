#include "core/emotion/EmotionMetrics.h"

#include <cmath>
#include <stdexcept>

namespace moodsteer {
namespace {

struct Moments {
    double meanT = 0, meanP = 0, varT = 0, varP = 0, cov = 0;
};

// Two-pass, in double: exact enough for hand-computed checks and free of cancellation.
Moments moments(std::span<const double> t, std::span<const double> p, const std::string& what) {
    if (t.size() != p.size())
        throw std::invalid_argument(what + ": " + std::to_string(t.size()) + " targets but " +
                                    std::to_string(p.size()) + " predictions");
    if (t.size() < 2)
        throw std::invalid_argument(what + ": metrics need at least 2 pairs, got " +
                                    std::to_string(t.size()));
    Moments m;
    const double n = static_cast<double>(t.size());
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (!std::isfinite(t[i]) || !std::isfinite(p[i]))
            throw std::invalid_argument(what + ": pair " + std::to_string(i) + " is not finite");
        m.meanT += t[i];
        m.meanP += p[i];
    }
    m.meanT /= n;
    m.meanP /= n;
    for (std::size_t i = 0; i < t.size(); ++i) {
        const double dt = t[i] - m.meanT, dp = p[i] - m.meanP;
        m.varT += dt * dt;
        m.varP += dp * dp;
        m.cov += dt * dp;
    }
    m.varT /= n;
    m.varP /= n;
    m.cov /= n;
    return m;
}

double cccOf(const Moments& m) {
    const double d = m.meanT - m.meanP;
    const double denom = m.varT + m.varP + d * d;
    if (denom == 0) return 1.0; // both constant and equal: identical series
    return 2.0 * m.cov / denom;
}

double pccOf(const Moments& m) {
    if (m.varT == 0 || m.varP == 0) return 0.0; // undefined correlation: reported as no correlation
    const double r = m.cov / std::sqrt(m.varT * m.varP);
    return std::max(-1.0, std::min(1.0, r));
}

} // namespace

double concordanceCorrelation(std::span<const double> target, std::span<const double> predicted) {
    return cccOf(moments(target, predicted, "CCC"));
}

double pearsonCorrelation(std::span<const double> target, std::span<const double> predicted) {
    return pccOf(moments(target, predicted, "PCC"));
}

double rootMeanSquareError(std::span<const double> target, std::span<const double> predicted) {
    return computeDimensionMetrics(target, predicted, "RMSE").rmse;
}

DimensionMetrics computeDimensionMetrics(std::span<const double> target,
                                         std::span<const double> predicted,
                                         const std::string& dimension) {
    const Moments m = moments(target, predicted, dimension);
    DimensionMetrics out;
    out.n = target.size();
    out.ccc = cccOf(m);
    out.pcc = pccOf(m);
    double se = 0, em = 0;
    for (std::size_t i = 0; i < target.size(); ++i) {
        const double e = predicted[i] - target[i];
        se += e * e;
        em += e;
    }
    const double n = static_cast<double>(out.n);
    em /= n;
    double ev = 0;
    for (std::size_t i = 0; i < target.size(); ++i) {
        const double e = predicted[i] - target[i] - em;
        ev += e * e;
    }
    out.rmse = std::sqrt(se / n);
    out.errorMean = em;
    out.errorSigma = std::sqrt(ev / n);
    return out;
}

EmotionMetrics computeEmotionMetrics(const std::vector<VaPoint>& target,
                                     const std::vector<VaPoint>& predicted) {
    if (target.size() != predicted.size())
        throw std::invalid_argument("emotion metrics: " + std::to_string(target.size()) +
                                    " targets but " + std::to_string(predicted.size()) +
                                    " predictions");
    std::vector<double> tv, pv, ta, pa;
    for (std::size_t i = 0; i < target.size(); ++i) {
        tv.push_back(target[i].valence);
        pv.push_back(predicted[i].valence);
        ta.push_back(target[i].arousal);
        pa.push_back(predicted[i].arousal);
    }
    return {computeDimensionMetrics(tv, pv, "valence"), computeDimensionMetrics(ta, pa, "arousal")};
}

} // namespace moodsteer
