#include "core/probing/RegressionProbe.h"

#include "probing/ProbingMath.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace moodsteer {

RegressionProbe RegressionProbe::train(const FeatureMatrix& x, std::span<const float> targets,
                                       double l2) {
    if (static_cast<std::int64_t>(targets.size()) != x.rows)
        throw std::invalid_argument("RegressionProbe::train: " + std::to_string(x.rows) +
                                    " rows but " + std::to_string(targets.size()) + " targets");
    if (x.rows < 2 || x.cols < 1)
        throw std::invalid_argument("RegressionProbe::train: need at least 2 rows and 1 feature");
    if (!(l2 > 0)) throw std::invalid_argument("RegressionProbe::train: l2 must be > 0");
    RegressionProbe p;
    probing::columnMoments(x, p.mean_, p.scale_);
    const FeatureMatrix z = probing::standardise(x, p.mean_, p.scale_);
    double mean = 0;
    for (float t : targets) {
        if (!std::isfinite(t))
            throw std::invalid_argument("RegressionProbe::train: non-finite target");
        mean += t;
    }
    mean /= static_cast<double>(targets.size());
    std::vector<double> y(targets.size());
    for (std::size_t i = 0; i < targets.size(); ++i)
        y[i] = targets[i] - mean;
    p.weights_ = probing::ridgeSolve(z, y, 1, static_cast<double>(x.rows) * l2);
    p.bias_ = mean;
    return p;
}

double RegressionProbe::predict(const float* x) const {
    double acc = bias_;
    for (std::size_t j = 0; j < mean_.size(); ++j)
        acc += weights_[j] * (x[j] - mean_[j]) / scale_[j];
    return acc;
}

std::vector<double> RegressionProbe::predict(const FeatureMatrix& x) const {
    if (x.cols != inputSize())
        throw std::invalid_argument("RegressionProbe::predict: rows have " +
                                    std::to_string(x.cols) + " features, expected " +
                                    std::to_string(inputSize()));
    std::vector<double> out(x.rows);
    for (std::int64_t i = 0; i < x.rows; ++i)
        out[i] = predict(x.row(i));
    return out;
}

std::vector<double> RegressionProbe::inputSpaceDirection() const {
    std::vector<double> v(mean_.size());
    for (std::size_t j = 0; j < v.size(); ++j)
        v[j] = weights_[j] / scale_[j];
    return v;
}

namespace {
struct Moments {
    double meanT = 0, meanP = 0, varT = 0, varP = 0, cov = 0;
};
Moments moments(std::span<const double> t, std::span<const double> p) {
    if (t.size() != p.size() || t.empty())
        throw std::invalid_argument("regression score: " + std::to_string(t.size()) +
                                    " targets vs " + std::to_string(p.size()) + " predictions");
    Moments m;
    const double n = static_cast<double>(t.size());
    for (std::size_t i = 0; i < t.size(); ++i) {
        m.meanT += t[i];
        m.meanP += p[i];
    }
    m.meanT /= n;
    m.meanP /= n;
    for (std::size_t i = 0; i < t.size(); ++i) {
        m.varT += (t[i] - m.meanT) * (t[i] - m.meanT);
        m.varP += (p[i] - m.meanP) * (p[i] - m.meanP);
        m.cov += (t[i] - m.meanT) * (p[i] - m.meanP);
    }
    m.varT /= n;
    m.varP /= n;
    m.cov /= n;
    return m;
}
} // namespace

double rSquared(std::span<const double> truth, std::span<const double> predicted) {
    const Moments m = moments(truth, predicted);
    double ssRes = 0;
    for (std::size_t i = 0; i < truth.size(); ++i)
        ssRes += (truth[i] - predicted[i]) * (truth[i] - predicted[i]);
    const double ssTot = m.varT * static_cast<double>(truth.size());
    // sklearn's r2_score convention for constant targets: 1 if perfect, else 0.
    if (ssTot == 0) return ssRes == 0 ? 1.0 : 0.0;
    return 1.0 - ssRes / ssTot;
}

RegressionEvaluation evaluateRegression(const FeatureMatrix& x, std::span<const float> targets,
                                        std::span<const std::int64_t> strata, double l2,
                                        const SplitOptions& split) {
    if (static_cast<std::int64_t>(targets.size()) != x.rows || strata.size() != targets.size())
        throw std::invalid_argument("evaluateRegression: rows, targets and strata differ in "
                                    "length");
    std::vector<TrainTestSplit> splits;
    if (split.folds >= 2)
        splits = stratifiedKFold(strata, split.folds, split.seed);
    else
        splits.push_back(stratifiedSplit(strata, split.testFraction, split.seed));
    std::vector<double> truth, pred;
    for (const auto& s : splits) {
        std::vector<float> t;
        for (auto i : s.train)
            t.push_back(targets[i]);
        const RegressionProbe p = RegressionProbe::train(x.selectRows(s.train), t, l2);
        for (auto i : s.test) {
            truth.push_back(targets[i]);
            pred.push_back(p.predict(x.row(i)));
        }
    }
    RegressionEvaluation e;
    e.r2 = rSquared(truth, pred);
    e.ccc = concordanceCorrelation(truth, pred);
    e.pearson = pearsonCorrelation(truth, pred);
    e.heldOut = static_cast<std::int64_t>(truth.size());
    return e;
}

} // namespace moodsteer
