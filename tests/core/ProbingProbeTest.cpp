// Linear probes (softmax and MSE-on-one-hot), ridge regression probes, splits and scores.
#include "core/probing/LinearProbe.h"
#include "core/probing/RegressionProbe.h"

#include "probing/ProbingMath.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <numeric>
#include <random>
#include <set>

using namespace moodsteer;

namespace {

// Classes along separate axes, with per-feature offsets and scales so that standardisation
// matters; `separation` controls the overlap.
FeatureMatrix classData(int classes, int perClass, int dim, double separation, std::uint64_t seed,
                        std::vector<std::int64_t>& labels) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> noise(0.0, 1.0);
    FeatureMatrix x(static_cast<std::int64_t>(classes) * perClass, dim);
    labels.clear();
    for (int i = 0; i < classes * perClass; ++i) {
        const int c = i % classes;
        labels.push_back(c);
        for (int j = 0; j < dim; ++j) {
            const double scale = 1.0 + (j % 7); // uneven feature scales
            const double offset = 3.0 * (j % 5);
            x.at(i, j) = static_cast<float>(
                offset + scale * (noise(rng) + (j % classes == c ? separation : 0.0)));
        }
    }
    return x;
}

// Gradient of the probe's training objective at its solution, recomputed from the public API.
double maxObjectiveGradient(const LinearProbe& p, const FeatureMatrix& x,
                            const std::vector<std::int64_t>& labels, double l2) {
    const std::int64_t n = x.rows, d = x.cols;
    const int C = p.numClasses();
    std::vector<double> g(C * d, 0.0);
    for (std::int64_t i = 0; i < n; ++i) {
        auto s = p.scores(x.row(i));
        std::vector<double> r(C);
        if (p.kind() == ProbeKind::Softmax) {
            const double mx = *std::max_element(s.begin(), s.end());
            double sum = 0;
            for (auto& v : s)
                sum += v = std::exp(v - mx);
            for (int c = 0; c < C; ++c)
                r[c] = s[c] / sum - (labels[i] == c);
        } else {
            for (int c = 0; c < C; ++c)
                r[c] = 2 * (s[c] - (labels[i] == c));
        }
        for (int c = 0; c < C; ++c)
            for (std::int64_t j = 0; j < d; ++j)
                g[c * d + j] += r[c] * (x.at(i, j) - p.featureMean()[j]) / p.featureScale()[j] / n;
    }
    const double factor = p.kind() == ProbeKind::Softmax ? 1.0 : 2.0;
    double m = 0;
    for (std::int64_t k = 0; k < C * d; ++k)
        m = std::max(m, std::abs(g[k] + factor * l2 * p.weights()[k]));
    return m;
}

} // namespace

TEST(ProbingProbe, SoftmaxReachesTheOptimumAndGeneralises) {
    std::vector<std::int64_t> labels;
    const FeatureMatrix x = classData(4, 50, 24, 1.5, 1, labels);
    ProbeOptions o;
    o.l2 = 1e-2;
    const LinearProbe p = LinearProbe::train(x, labels, 4, o);
    EXPECT_LT(maxObjectiveGradient(p, x, labels, o.l2), 1e-5);
    // With L2 the optimum has rows summing to zero (softmax's shift freedom is used up).
    for (std::int64_t j = 0; j < x.cols; ++j) {
        double s = 0;
        for (int c = 0; c < 4; ++c)
            s += p.weights()[c * x.cols + j];
        EXPECT_NEAR(s, 0.0, 1e-5);
    }
    SplitOptions split;
    split.seed = 5;
    const ProbeEvaluation e = evaluateProbe(x, labels, 4, o, split);
    EXPECT_GT(e.accuracy, 0.9);
    EXPECT_EQ(e.heldOut, 52); // round(0.25 * 50) = 13 per class (12.5 rounds away from 0)
    std::int64_t total = 0, diag = 0;
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) {
            total += e.confusion[i * 4 + j];
            diag += i == j ? e.confusion[i * 4 + j] : 0;
        }
    EXPECT_EQ(total, e.heldOut);
    EXPECT_DOUBLE_EQ(e.accuracy, static_cast<double>(diag) / total);
}

TEST(ProbingProbe, MseOneHotUsesOneHotTargets) {
    std::vector<std::int64_t> labels;
    // More features than rows: the ridge fit (dual path) nearly interpolates, so the training
    // outputs must approach the one-hot rows — a broadcast class index would give outputs equal
    // to the index in every column instead.
    const FeatureMatrix x = classData(3, 10, 64, 0.5, 2, labels);
    ProbeOptions o;
    o.kind = ProbeKind::MseOneHot;
    o.l2 = 1e-6;
    const LinearProbe p = LinearProbe::train(x, labels, 3, o);
    double maxErr = 0;
    for (std::int64_t i = 0; i < x.rows; ++i) {
        const auto s = p.scores(x.row(i));
        for (int c = 0; c < 3; ++c)
            maxErr = std::max(maxErr, std::abs(s[c] - (labels[i] == c ? 1.0 : 0.0)));
    }
    EXPECT_LT(maxErr, 1e-3);
    EXPECT_LT(maxObjectiveGradient(p, x, labels, o.l2), 1e-6);
}

TEST(ProbingProbe, MseOneHotPrimalPathIsOptimalAndAccurate) {
    std::vector<std::int64_t> labels;
    const FeatureMatrix x = classData(4, 40, 20, 1.5, 3, labels); // D < N: primal path
    ProbeOptions o;
    o.kind = ProbeKind::MseOneHot;
    o.l2 = 1e-2;
    const LinearProbe p = LinearProbe::train(x, labels, 4, o);
    // The solver sees float-rounded standardised features; the check recomputes them in double.
    EXPECT_LT(maxObjectiveGradient(p, x, labels, o.l2), 1e-7);
    SplitOptions split;
    split.folds = 4;
    const ProbeEvaluation e = evaluateProbe(x, labels, 4, o, split);
    EXPECT_EQ(e.heldOut, x.rows); // k-fold predicts every row once
    EXPECT_GT(e.accuracy, 0.85);
}

TEST(ProbingProbe, RidgePrimalAndDualAgree) {
    std::mt19937_64 rng(9);
    std::normal_distribution<double> g;
    // The same problem solved both ways: primal needs D <= N; dual is used for D > N. Check
    // each against the normal equations Z^T (Z W^T - Y) + ridge W^T = 0.
    for (auto [n, d] : {std::pair<int, int>{30, 10}, std::pair<int, int>{10, 30}}) {
        FeatureMatrix z(n, d);
        for (auto& v : z.data)
            v = static_cast<float>(g(rng));
        std::vector<double> y(n * 2);
        for (auto& v : y)
            v = g(rng);
        const double ridge = 0.3;
        const auto w = probing::ridgeSolve(z, y, 2, ridge);
        double maxRes = 0;
        for (int c = 0; c < 2; ++c)
            for (int j = 0; j < d; ++j) {
                double r = ridge * w[c * d + j];
                for (int i = 0; i < n; ++i) {
                    double pred = 0;
                    for (int k = 0; k < d; ++k)
                        pred += z.at(i, k) * w[c * d + k];
                    r += z.at(i, j) * (pred - y[i * 2 + c]);
                }
                maxRes = std::max(maxRes, std::abs(r));
            }
        EXPECT_LT(maxRes, 1e-9) << "n=" << n << " d=" << d;
    }
}

TEST(ProbingProbe, InputSpaceDirectionUndoesStandardisation) {
    std::vector<std::int64_t> labels;
    const FeatureMatrix x = classData(3, 20, 12, 1.0, 4, labels);
    const LinearProbe p = LinearProbe::train(x, labels, 3);
    const auto v = p.inputSpaceDirection(1);
    // The score is affine in the raw input: a step along e_j changes score_1 by v_j * step.
    std::vector<float> row(x.row(0), x.row(0) + x.cols);
    const double base = p.scores(row.data())[1];
    for (std::int64_t j = 0; j < x.cols; ++j) {
        auto moved = row;
        moved[j] += 0.5f;
        EXPECT_NEAR(p.scores(moved.data())[1] - base, 0.5 * v[j], 1e-5 * (1 + std::abs(v[j])));
    }
}

TEST(ProbingProbe, StratifiedSplitAndKFold) {
    std::vector<std::int64_t> labels;
    for (int i = 0; i < 37; ++i)
        labels.push_back(i % 3 == 0 ? 0 : (i % 3 == 1 ? 1 : 2));
    labels.push_back(3); // a singleton class stays in training
    const auto a = stratifiedSplit(labels, 0.3, 11), b = stratifiedSplit(labels, 0.3, 11),
               c = stratifiedSplit(labels, 0.3, 12);
    EXPECT_EQ(a.test, b.test);
    EXPECT_NE(a.test, c.test);
    std::set<std::int64_t> all(a.train.begin(), a.train.end());
    for (auto t : a.test)
        EXPECT_TRUE(all.insert(t).second) << "row in both train and test";
    EXPECT_EQ(all.size(), labels.size());
    std::vector<int> perClass(4, 0);
    for (auto t : a.test)
        ++perClass[labels[t]];
    EXPECT_EQ(perClass[0], 4); // 13 rows x 0.3 = 3.9 -> 4
    EXPECT_EQ(perClass[1], 4); // 12 x 0.3 = 3.6 -> 4
    EXPECT_EQ(perClass[2], 4);
    EXPECT_EQ(perClass[3], 0);

    const auto folds = stratifiedKFold(labels, 4, 1);
    std::vector<int> seen(labels.size(), 0);
    for (const auto& f : folds) {
        EXPECT_EQ(f.train.size() + f.test.size(), labels.size());
        EXPECT_GE(f.test.size(), 9u);
        EXPECT_LE(f.test.size(), 10u);
        for (auto t : f.test)
            ++seen[t];
    }
    for (int s : seen)
        EXPECT_EQ(s, 1);
    EXPECT_THROW(stratifiedKFold(labels, 1, 0), std::invalid_argument);
    EXPECT_THROW(stratifiedSplit(labels, 1.0, 0), std::invalid_argument);
}

TEST(ProbingProbe, RejectsBadInput) {
    FeatureMatrix x(4, 3);
    const std::vector<std::int64_t> bad{0, 1, 2, 5};
    EXPECT_THROW(LinearProbe::train(x, bad, 3), std::invalid_argument);
    EXPECT_THROW(LinearProbe::train(x, std::vector<std::int64_t>{0, 1}, 2), std::invalid_argument);
    ProbeOptions o;
    o.kind = ProbeKind::MseOneHot;
    o.l2 = 0;
    EXPECT_THROW(LinearProbe::train(x, std::vector<std::int64_t>{0, 1, 0, 1}, 2, o),
                 std::invalid_argument);
    EXPECT_EQ(probeKindFromName("mse-onehot"), ProbeKind::MseOneHot);
    EXPECT_THROW(probeKindFromName("svm"), std::invalid_argument);
}

TEST(ProbingProbe, RegressionScoresByHand) {
    const std::vector<double> t{1, 2, 3, 4}, p{1.5, 2, 2.5, 5};
    // mean_t 2.5, mean_p 2.75; var_t 1.25, var_p 1.8125, cov 1.375
    EXPECT_NEAR(concordanceCorrelation(t, p), 2 * 1.375 / (1.25 + 1.8125 + 0.0625), 1e-12);
    EXPECT_NEAR(rSquared(t, p), 1 - (0.25 + 0 + 0.25 + 1) / 5.0, 1e-12);
    EXPECT_NEAR(pearsonCorrelation(t, p), 1.375 / std::sqrt(1.25 * 1.8125), 1e-12);
    EXPECT_DOUBLE_EQ(concordanceCorrelation(t, t), 1.0);
}

TEST(ProbingProbe, RegressionProbeFindsTheLinearTarget) {
    std::mt19937_64 rng(21);
    std::normal_distribution<double> g;
    const int n = 120, d = 16;
    FeatureMatrix x(n, d);
    std::vector<double> a(d);
    for (auto& v : a)
        v = g(rng);
    std::vector<float> y(n);
    std::vector<std::int64_t> strata(n);
    for (int i = 0; i < n; ++i) {
        double s = 0;
        for (int j = 0; j < d; ++j) {
            x.at(i, j) = static_cast<float>(2.0 + (1 + j % 3) * g(rng));
            s += a[j] * x.at(i, j);
        }
        y[i] = static_cast<float>(s + 0.1 * g(rng));
        strata[i] = i % 2;
    }
    const RegressionProbe p = RegressionProbe::train(x, y, 1e-4);
    const auto v = p.inputSpaceDirection();
    double cos = 0, nv = 0, na = 0;
    for (int j = 0; j < d; ++j) {
        cos += v[j] * a[j];
        nv += v[j] * v[j];
        na += a[j] * a[j];
    }
    EXPECT_GT(cos / std::sqrt(nv * na), 0.999); // raw-space direction = the true coefficients
    SplitOptions split;
    split.folds = 5;
    const RegressionEvaluation e = evaluateRegression(x, y, strata, 1e-4, split);
    EXPECT_EQ(e.heldOut, n);
    EXPECT_GT(e.r2, 0.99);
    EXPECT_GT(e.ccc, 0.99);
}

TEST(ProbingProbe, SoftmaxSpeed400x1024x4) {
    std::vector<std::int64_t> labels;
    const FeatureMatrix x = classData(4, 100, 1024, 0.3, 8, labels);
    const auto t0 = std::chrono::steady_clock::now();
    const LinearProbe p = LinearProbe::train(x, labels, 4);
    const double softmaxS =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ProbeOptions o;
    o.kind = ProbeKind::MseOneHot;
    const auto t1 = std::chrono::steady_clock::now();
    const LinearProbe q = LinearProbe::train(x, labels, 4, o);
    const double mseS =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    std::printf("[ProbingProbe] 400 x 1024 x 4: softmax L-BFGS %.3f s (%d iterations), "
                "mse-onehot ridge %.3f s\n",
                softmaxS, p.iterations(), mseS);
    EXPECT_LT(softmaxS, 20.0);
    // More features than rows: separable, so only L2 bounds the weights; still converged.
    EXPECT_LT(maxObjectiveGradient(p, x, labels, ProbeOptions{}.l2), 1e-5);
    EXPECT_LT(maxObjectiveGradient(q, x, labels, o.l2), 1e-7);
    std::int64_t correct = 0;
    for (std::int64_t i = 0; i < x.rows; ++i)
        correct += p.predict(x.row(i)) == labels[i];
    EXPECT_GT(correct, 390); // separable in 1024 dimensions
}
