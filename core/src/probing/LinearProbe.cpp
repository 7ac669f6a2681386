#include "core/probing/LinearProbe.h"

#include "probing/ProbingMath.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

namespace moodsteer {

const char* probeKindName(ProbeKind kind) {
    return kind == ProbeKind::Softmax ? "softmax" : "mse-onehot";
}

ProbeKind probeKindFromName(const std::string& name) {
    if (name == "softmax") return ProbeKind::Softmax;
    if (name == "mse-onehot" || name == "mse") return ProbeKind::MseOneHot;
    throw std::invalid_argument("probe kind '" + name + "': expected softmax or mse-onehot");
}

namespace {

void checkLabels(const FeatureMatrix& x, std::span<const std::int64_t> labels, int numClasses,
                 const char* who) {
    if (static_cast<std::int64_t>(labels.size()) != x.rows)
        throw std::invalid_argument(std::string(who) + ": " + std::to_string(x.rows) +
                                    " rows but " + std::to_string(labels.size()) + " labels");
    if (numClasses < 2)
        throw std::invalid_argument(std::string(who) + ": need at least 2 classes, got " +
                                    std::to_string(numClasses));
    for (auto l : labels)
        if (l < 0 || l >= numClasses)
            throw std::invalid_argument(std::string(who) + ": label " + std::to_string(l) +
                                        " outside [0, " + std::to_string(numClasses) + ")");
}

// Mean cross-entropy of softmax(Z W^T + b) + (l2/2)||W||^2 and its gradient; theta = [W, b].
double softmaxObjective(const FeatureMatrix& z, std::span<const std::int64_t> labels, int C,
                        double l2, const std::vector<double>& theta, std::vector<double>& grad) {
    const std::int64_t n = z.rows, d = z.cols;
    const double* w = theta.data();
    const double* b = theta.data() + C * d;
    std::fill(grad.begin(), grad.end(), 0.0);
    double* gw = grad.data();
    double* gb = grad.data() + C * d;
    std::vector<double> logits(C);
    double loss = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        const float* zi = z.row(i);
        double mx = -INFINITY;
        for (int c = 0; c < C; ++c) {
            logits[c] = probing::dot(zi, w + c * d, d) + b[c];
            mx = std::max(mx, logits[c]);
        }
        double sum = 0;
        for (int c = 0; c < C; ++c)
            sum += logits[c] = std::exp(logits[c] - mx);
        loss += std::log(sum) - std::log(logits[labels[i]]);
        for (int c = 0; c < C; ++c) {
            const double r = (logits[c] / sum - (c == labels[i] ? 1.0 : 0.0)) / n;
            gb[c] += r;
            double* gwc = gw + c * d;
            for (std::int64_t j = 0; j < d; ++j)
                gwc[j] += r * zi[j];
        }
    }
    loss /= static_cast<double>(n);
    double reg = 0;
    for (std::int64_t k = 0; k < C * d; ++k) {
        reg += w[k] * w[k];
        gw[k] += l2 * w[k];
    }
    return loss + 0.5 * l2 * reg;
}

} // namespace

LinearProbe LinearProbe::train(const FeatureMatrix& x, std::span<const std::int64_t> labels,
                               int numClasses, const ProbeOptions& options) {
    checkLabels(x, labels, numClasses, "LinearProbe::train");
    if (x.rows < 2 || x.cols < 1)
        throw std::invalid_argument("LinearProbe::train: need at least 2 rows and 1 feature");
    if (options.l2 < 0 || (options.kind == ProbeKind::MseOneHot && options.l2 <= 0))
        throw std::invalid_argument("LinearProbe::train: l2 = " + std::to_string(options.l2) +
                                    " (must be >= 0, and > 0 for mse-onehot)");
    LinearProbe p;
    p.kind_ = options.kind;
    p.numClasses_ = numClasses;
    probing::columnMoments(x, p.mean_, p.scale_);
    const FeatureMatrix z = probing::standardise(x, p.mean_, p.scale_);
    const std::int64_t n = z.rows, d = z.cols;
    const int C = numClasses;

    if (options.kind == ProbeKind::Softmax) {
        std::vector<double> theta(C * d + C, 0.0);
        auto f = [&](const std::vector<double>& t, std::vector<double>& g) {
            return softmaxObjective(z, labels, C, options.l2, t, g);
        };
        p.iterations_ = probing::lbfgsMinimise(theta, f, options.maxIterations,
                                               options.gradientTolerance, &p.loss_);
        p.weights_.assign(theta.begin(), theta.begin() + C * d);
        p.bias_.assign(theta.begin() + C * d, theta.end());
    } else {
        // Minimise (1/N) sum ||W z_i + b - onehot(y_i)||^2 + l2 ||W||^2. The features are
        // centred, so b = the class frequencies and W solves a ridge problem with ridge N*l2.
        std::vector<double> y(n * C, 0.0), freq(C, 0.0);
        for (std::int64_t i = 0; i < n; ++i) {
            y[i * C + labels[i]] = 1.0; // one-hot row: a 1 at the class, 0 elsewhere
            freq[labels[i]] += 1.0 / static_cast<double>(n);
        }
        for (std::int64_t i = 0; i < n; ++i)
            for (int c = 0; c < C; ++c)
                y[i * C + c] -= freq[c];
        p.weights_ = probing::ridgeSolve(z, y, C, static_cast<double>(n) * options.l2);
        p.bias_ = freq;
        double loss = 0, reg = 0;
        for (std::int64_t i = 0; i < n; ++i)
            for (int c = 0; c < C; ++c) {
                const double e = probing::dot(z.row(i), &p.weights_[c * d], d) - y[i * C + c];
                loss += e * e;
            }
        for (double v : p.weights_)
            reg += v * v;
        p.loss_ = loss / static_cast<double>(n) + options.l2 * reg;
        p.iterations_ = 1;
    }
    return p;
}

std::vector<double> LinearProbe::scores(const float* x) const {
    const std::int64_t d = inputSize();
    std::vector<double> z(d);
    for (std::int64_t j = 0; j < d; ++j)
        z[j] = (x[j] - mean_[j]) / scale_[j];
    std::vector<double> s(numClasses_);
    for (int c = 0; c < numClasses_; ++c) {
        double acc = bias_[c];
        const double* w = &weights_[c * d];
        for (std::int64_t j = 0; j < d; ++j)
            acc += w[j] * z[j];
        s[c] = acc;
    }
    return s;
}

std::int64_t LinearProbe::predict(const float* x) const {
    const auto s = scores(x);
    return std::max_element(s.begin(), s.end()) - s.begin();
}

std::vector<std::int64_t> LinearProbe::predict(const FeatureMatrix& x) const {
    if (x.cols != inputSize())
        throw std::invalid_argument("LinearProbe::predict: rows have " + std::to_string(x.cols) +
                                    " features, the probe expects " + std::to_string(inputSize()));
    std::vector<std::int64_t> out(x.rows);
    for (std::int64_t i = 0; i < x.rows; ++i)
        out[i] = predict(x.row(i));
    return out;
}

std::vector<double> LinearProbe::inputSpaceDirection(int cls) const {
    if (cls < 0 || cls >= numClasses_)
        throw std::out_of_range("LinearProbe::inputSpaceDirection: class " + std::to_string(cls));
    const std::int64_t d = inputSize();
    std::vector<double> v(d);
    // score_c(x) = sum_j w_cj (x_j - mu_j) / sigma_j + b_c, so d score_c / d x_j = w_cj / sigma_j.
    for (std::int64_t j = 0; j < d; ++j)
        v[j] = weights_[cls * d + j] / scale_[j];
    return v;
}

TrainTestSplit stratifiedSplit(std::span<const std::int64_t> labels, double testFraction,
                               std::uint64_t seed) {
    if (!(testFraction > 0 && testFraction < 1))
        throw std::invalid_argument("stratifiedSplit: test fraction " +
                                    std::to_string(testFraction) + " must be in (0, 1)");
    std::map<std::int64_t, std::vector<std::int64_t>> byClass;
    for (std::size_t i = 0; i < labels.size(); ++i)
        byClass[labels[i]].push_back(static_cast<std::int64_t>(i));
    probing::Rng rng(seed);
    TrainTestSplit s;
    for (auto& [label, rows] : byClass) {
        rng.shuffle(rows);
        auto nTest = static_cast<std::size_t>(std::llround(testFraction * rows.size()));
        if (rows.size() >= 2)
            nTest = std::clamp<std::size_t>(nTest, 1, rows.size() - 1);
        else
            nTest = 0;
        s.test.insert(s.test.end(), rows.begin(), rows.begin() + nTest);
        s.train.insert(s.train.end(), rows.begin() + nTest, rows.end());
    }
    std::sort(s.train.begin(), s.train.end());
    std::sort(s.test.begin(), s.test.end());
    return s;
}

std::vector<TrainTestSplit> stratifiedKFold(std::span<const std::int64_t> labels, int folds,
                                            std::uint64_t seed) {
    if (folds < 2 || folds > static_cast<int>(labels.size()))
        throw std::invalid_argument("stratifiedKFold: " + std::to_string(folds) + " folds for " +
                                    std::to_string(labels.size()) + " rows");
    std::map<std::int64_t, std::vector<std::int64_t>> byClass;
    for (std::size_t i = 0; i < labels.size(); ++i)
        byClass[labels[i]].push_back(static_cast<std::int64_t>(i));
    probing::Rng rng(seed);
    std::vector<int> foldOf(labels.size());
    int next = 0; // continue dealing across classes so the folds stay balanced in size
    for (auto& [label, rows] : byClass) {
        rng.shuffle(rows);
        for (auto r : rows) {
            foldOf[r] = next;
            next = (next + 1) % folds;
        }
    }
    std::vector<TrainTestSplit> out(folds);
    for (std::size_t i = 0; i < labels.size(); ++i)
        for (int f = 0; f < folds; ++f)
            (foldOf[i] == f ? out[f].test : out[f].train).push_back(static_cast<std::int64_t>(i));
    return out;
}

std::vector<std::int64_t> confusionMatrix(std::span<const std::int64_t> truth,
                                          std::span<const std::int64_t> predicted, int numClasses) {
    if (truth.size() != predicted.size())
        throw std::invalid_argument("confusionMatrix: length mismatch");
    std::vector<std::int64_t> m(static_cast<std::size_t>(numClasses) * numClasses, 0);
    for (std::size_t i = 0; i < truth.size(); ++i) {
        if (truth[i] < 0 || truth[i] >= numClasses || predicted[i] < 0 ||
            predicted[i] >= numClasses)
            throw std::invalid_argument("confusionMatrix: label outside [0, " +
                                        std::to_string(numClasses) + ")");
        ++m[truth[i] * numClasses + predicted[i]];
    }
    return m;
}

ProbeEvaluation evaluateProbe(const FeatureMatrix& x, std::span<const std::int64_t> labels,
                              int numClasses, const ProbeOptions& probe,
                              const SplitOptions& split) {
    checkLabels(x, labels, numClasses, "evaluateProbe");
    std::vector<TrainTestSplit> splits;
    if (split.folds >= 2)
        splits = stratifiedKFold(labels, split.folds, split.seed);
    else
        splits.push_back(stratifiedSplit(labels, split.testFraction, split.seed));
    ProbeEvaluation e;
    e.numClasses = numClasses;
    e.confusion.assign(static_cast<std::size_t>(numClasses) * numClasses, 0);
    std::int64_t correct = 0;
    for (const auto& s : splits) {
        if (s.test.empty() || s.train.size() < 2)
            throw std::invalid_argument("evaluateProbe: a split has no held-out rows or too few "
                                        "training rows (" +
                                        std::to_string(x.rows) + " rows in all)");
        std::vector<std::int64_t> trainLabels;
        for (auto i : s.train)
            trainLabels.push_back(labels[i]);
        const LinearProbe p =
            LinearProbe::train(x.selectRows(s.train), trainLabels, numClasses, probe);
        for (auto i : s.test) {
            const std::int64_t pred = p.predict(x.row(i));
            ++e.confusion[labels[i] * numClasses + pred];
            correct += pred == labels[i];
            ++e.heldOut;
        }
    }
    e.accuracy = static_cast<double>(correct) / static_cast<double>(e.heldOut);
    return e;
}

} // namespace moodsteer
