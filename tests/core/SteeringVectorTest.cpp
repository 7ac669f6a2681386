// Steering arithmetic (norm kept exactly), steering vectors (probe row, class means,
// regression), their sign check and their files.
#include "core/steering/SteeringVector.h"

#include "TestPaths.h"
#include "models/Safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace moodsteer;

namespace {

double norm(const std::vector<float>& v) {
    double s = 0;
    for (float x : v)
        s += static_cast<double>(x) * x;
    return std::sqrt(s);
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        s += static_cast<double>(a[i]) * b[i];
    return s / (norm(a) * norm(b));
}

std::vector<float> randomVector(int d, std::mt19937_64& rng, double scale = 1.0) {
    std::normal_distribution<double> g(0.0, scale);
    std::vector<float> v(d);
    for (auto& x : v)
        x = static_cast<float>(g(rng));
    return v;
}

std::vector<float> unit(std::vector<float> v) {
    const double n = norm(v);
    for (auto& x : v)
        x = static_cast<float>(x / n);
    return v;
}

// Two classes at +-m (plus noise) in dim dimensions; m has a large component on axis 0.
FeatureMatrix twoClasses(int perClass, int dim, std::uint64_t seed,
                         std::vector<std::int64_t>& labels) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> g;
    FeatureMatrix x(2 * perClass, dim);
    labels.clear();
    for (int i = 0; i < 2 * perClass; ++i) {
        const int c = i % 2;
        labels.push_back(c);
        for (int j = 0; j < dim; ++j)
            x.at(i, j) = static_cast<float>(5.0 + g(rng) + (j < 3 ? (c ? 2.0 : -2.0) : 0.0));
    }
    return x;
}

SteeringContext context() {
    SteeringContext c;
    c.modelId = "embedded-test";
    c.layer = 3;
    c.pooling = "mean";
    c.labelSet = {"classical", "rock"};
    return c;
}

} // namespace

TEST(SteeringArithmetic, KeepsTheNormAndTurnsTowardTheVector) {
    std::mt19937_64 rng(1);
    const int d = 256;
    const auto v = unit(randomVector(d, rng));
    const auto h0 = randomVector(d, rng, 3.0);
    auto h = h0;
    applySteering(h.data(), d, v.data(), 0.0);
    EXPECT_EQ(h, h0) << "alpha 0 must be the identity";
    double previous = cosine(h0, v);
    for (double alpha : {0.1, 0.3, 0.5, 0.7, 1.0, 2.0, 5.0}) {
        h = h0;
        applySteering(h.data(), d, v.data(), alpha);
        EXPECT_NEAR(norm(h) / norm(h0), 1.0, 1e-6) << "alpha " << alpha;
        const double c = cosine(h, v);
        EXPECT_GT(c, previous) << "alpha " << alpha;
        previous = c;
        // Exactly the formula: (h + alpha ||h|| v) * ||h|| / ||h + alpha ||h|| v||.
        std::vector<double> ref(d);
        double rn = 0;
        for (int j = 0; j < d; ++j) {
            ref[j] = h0[j] + alpha * norm(h0) * v[j];
            rn += ref[j] * ref[j];
        }
        for (int j = 0; j < d; ++j)
            EXPECT_NEAR(h[j], ref[j] * norm(h0) / std::sqrt(rn), 1e-5);
    }
    // Negative alpha pushes away.
    h = h0;
    applySteering(h.data(), d, v.data(), -0.5);
    EXPECT_LT(cosine(h, v), cosine(h0, v));
    EXPECT_NEAR(norm(h) / norm(h0), 1.0, 1e-6);
}

TEST(SteeringArithmetic, SeveralVectorsAndDegenerateCases) {
    std::mt19937_64 rng(2);
    const int d = 64;
    const auto a = unit(randomVector(d, rng)), b = unit(randomVector(d, rng));
    const auto h0 = randomVector(d, rng, 2.0);
    auto h = h0;
    const SteeringTerm terms[] = {{a.data(), 0.4}, {b.data(), 0.2}};
    applySteering(h.data(), d, terms);
    EXPECT_NEAR(norm(h) / norm(h0), 1.0, 1e-6);
    std::vector<double> ref(d);
    double rn = 0;
    for (int j = 0; j < d; ++j) {
        ref[j] = h0[j] + norm(h0) * (0.4 * a[j] + 0.2 * b[j]);
        rn += ref[j] * ref[j];
    }
    for (int j = 0; j < d; ++j)
        EXPECT_NEAR(h[j], ref[j] * norm(h0) / std::sqrt(rn), 1e-5);
    // One term through the multi-vector form equals the single form.
    auto h1 = h0, h2 = h0;
    applySteering(h1.data(), d, a.data(), 0.6);
    const SteeringTerm one[] = {{a.data(), 0.6}};
    applySteering(h2.data(), d, one);
    EXPECT_EQ(h1, h2);
    // Zero vector stays zero; exact cancellation leaves h unchanged.
    std::vector<float> zero(d, 0.0f);
    applySteering(zero.data(), d, a.data(), 0.5);
    EXPECT_EQ(zero, std::vector<float>(d, 0.0f));
    std::vector<float> e(d, 0.0f), minusE(d, 0.0f);
    e[0] = 2.0f;
    minusE[0] = -1.0f;
    auto cancelled = e;
    applySteering(cancelled.data(), d, minusE.data(), 1.0);
    EXPECT_EQ(cancelled, e);
    // Rows: each position keeps its own norm.
    std::vector<float> rows(3 * d);
    for (int r = 0; r < 3; ++r)
        for (int j = 0; j < d; ++j)
            rows[r * d + j] = h0[j] * static_cast<float>(r + 1);
    applySteeringRows(rows.data(), 3, d, terms);
    for (int r = 0; r < 3; ++r) {
        std::vector<float> row(rows.begin() + r * d, rows.begin() + (r + 1) * d);
        EXPECT_NEAR(norm(row) / (norm(h0) * (r + 1)), 1.0, 1e-6);
        EXPECT_NEAR(cosine(row, h), 1.0, 1e-6); // steering is scale invariant
    }
}

TEST(SteeringVectors, ClassMeanDifferenceAndProbeRowPointToTheClass) {
    std::vector<std::int64_t> labels;
    const FeatureMatrix x = twoClasses(40, 10, 3, labels);
    const SteeringVector m = SteeringVector::fromClassMeans(x, labels, 1, context());
    EXPECT_EQ(m.label, "rock");
    EXPECT_EQ(m.method, "mean-difference");
    EXPECT_NEAR(norm(m.direction), 1.0, 1e-6);
    EXPECT_GT(m.signProjection, 0);
    EXPECT_FALSE(m.flipped);
    // Mean difference is ~ (+4, +4, +4, 0...) -> mostly on the first three axes.
    EXPECT_GT(m.direction[0] + m.direction[1] + m.direction[2], 1.5);

    const LinearProbe p = LinearProbe::train(x, labels, 2);
    const SteeringVector v = SteeringVector::fromProbe(p, 0, x, labels, context());
    EXPECT_EQ(v.label, "classical");
    EXPECT_EQ(v.method, "probe-softmax");
    EXPECT_NEAR(norm(v.direction), 1.0, 1e-6);
    EXPECT_GT(v.signProjection, 0);
    EXPECT_LT(v.direction[0] + v.direction[1] + v.direction[2], -1.0); // classical sits at -m
    // The probe row in the raw space, normalised.
    const auto raw = p.inputSpaceDirection(0);
    double rn = 0;
    for (double r : raw)
        rn += r * r;
    for (std::size_t j = 0; j < raw.size(); ++j)
        EXPECT_NEAR(v.direction[j], raw[j] / std::sqrt(rn), 1e-6);
}

TEST(SteeringVectors, SignCheckFailsOrFlips) {
    std::vector<std::int64_t> labels;
    const FeatureMatrix x = twoClasses(30, 8, 4, labels);
    const LinearProbe p = LinearProbe::train(x, labels, 2);
    // Check data with swapped labels: class 0's row now points away from "class 0" rows.
    std::vector<std::int64_t> swapped(labels);
    for (auto& l : swapped)
        l = 1 - l;
    try {
        SteeringVector::fromProbe(p, 0, x, swapped, context(), SignPolicy::Fail);
        FAIL() << "sign check did not fire";
    } catch (const SteeringError& e) {
        EXPECT_NE(std::string(e.what()).find("points away"), std::string::npos) << e.what();
    }
    const SteeringVector f =
        SteeringVector::fromProbe(p, 0, x, swapped, context(), SignPolicy::Flip);
    EXPECT_TRUE(f.flipped);
    EXPECT_GT(f.signProjection, 0);
    const SteeringVector straight = SteeringVector::fromProbe(p, 0, x, labels, context());
    for (std::size_t j = 0; j < f.direction.size(); ++j)
        EXPECT_FLOAT_EQ(f.direction[j], -straight.direction[j]);
}

TEST(SteeringVectors, RegressionDirectionIsSigned) {
    std::mt19937_64 rng(5);
    std::normal_distribution<double> g;
    const int n = 80, d = 6;
    FeatureMatrix x(n, d);
    std::vector<float> valence(n), negated(n);
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < d; ++j)
            x.at(i, j) = static_cast<float>(g(rng));
        valence[i] = static_cast<float>(2 * x.at(i, 1) - x.at(i, 4) + 0.05 * g(rng));
        negated[i] = -valence[i];
    }
    const auto ctx = context();
    const SteeringVector up = SteeringVector::fromRegression(RegressionProbe::train(x, valence), x,
                                                             valence, "valence", ctx);
    EXPECT_EQ(up.label, "valence");
    EXPECT_EQ(up.method, "regression");
    EXPECT_GT(up.direction[1], 0.85);
    EXPECT_LT(up.direction[4], -0.4);
    const SteeringVector down = SteeringVector::fromRegression(RegressionProbe::train(x, negated),
                                                               x, negated, "valence", ctx);
    EXPECT_LT(down.direction[1], -0.85);
}

TEST(SteeringVectors, FileRoundTripAndModelCheck) {
    std::vector<std::int64_t> labels;
    const FeatureMatrix x = twoClasses(20, 12, 6, labels);
    const SteeringVector v = SteeringVector::fromClassMeans(x, labels, 1, context());
    const auto dir = test::scratchDir("steering-vector");
    const std::string path = (dir / "rock.safetensors").string();
    v.save(path);
    const SteeringVector w = SteeringVector::load(path, "embedded-test");
    EXPECT_EQ(w.modelId, v.modelId);
    EXPECT_EQ(w.layer, 3);
    EXPECT_EQ(w.pooling, "mean");
    EXPECT_EQ(w.label, "rock");
    EXPECT_EQ(w.labelSet, v.labelSet);
    EXPECT_EQ(w.method, "mean-difference");
    EXPECT_EQ(w.direction, v.direction);
    EXPECT_DOUBLE_EQ(w.signProjection, v.signProjection);
    try {
        SteeringVector::load(path, "musicgen-small");
        FAIL() << "loading onto another model must fail";
    } catch (const SteeringError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("made for model 'embedded-test'"), std::string::npos) << msg;
        EXPECT_NE(msg.find("loaded model is 'musicgen-small'"), std::string::npos) << msg;
    }
    EXPECT_NO_THROW(w.checkCompatible("embedded-test", 12));
    EXPECT_THROW(w.checkCompatible("embedded-test", 1024), SteeringError);
    EXPECT_THROW(w.checkCompatible("other", 12), SteeringError);

    // A file whose direction is not unit length, and one that is not a steering vector.
    models::SafetensorsWriter bad;
    std::vector<float> twice(v.direction);
    for (auto& t : twice)
        t *= 2;
    bad.add("direction", models::DType::F32, {12}, twice.data(), twice.size() * 4);
    for (const char* k : {"model_id", "layer", "pooling", "label", "method", "flipped"})
        bad.setMetadata(k, k == std::string("layer") ? "3" : "x");
    bad.setMetadata("format", "moodsteer.steering_vector");
    bad.setMetadata("label_set", "[]");
    bad.setMetadata("sign_projection", "1.0");
    bad.write((dir / "bad.safetensors").string());
    EXPECT_THROW(SteeringVector::load((dir / "bad.safetensors").string()), SteeringError);
    models::SafetensorsWriter other;
    other.add("weight", models::DType::F32, {1}, twice.data(), 4);
    other.write((dir / "other.safetensors").string());
    EXPECT_THROW(SteeringVector::load((dir / "other.safetensors").string()), SteeringError);
    EXPECT_THROW(SteeringVector::load((dir / "missing.safetensors").string()), SteeringError);
}
