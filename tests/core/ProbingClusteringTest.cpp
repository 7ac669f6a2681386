// Clustering scores against scikit-learn (../shared/parity/metrics.json) and k-means on
// well-separated blobs.
#include "core/probing/Clustering.h"

#include "TestPaths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

using namespace moodsteer;

namespace {

nlohmann::json loadMetrics() {
    const std::string path = test::parityDir() + "/metrics.json";
    std::ifstream in(path);
    if (!in) return nullptr;
    return nlohmann::json::parse(in);
}

// Gaussian blobs around well separated centres; labels = blob index.
FeatureMatrix blobs(int k, int perBlob, int dim, double spread, std::uint64_t seed,
                    std::vector<std::int64_t>& labels) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> noise(0.0, spread);
    FeatureMatrix x(static_cast<std::int64_t>(k) * perBlob, dim);
    labels.clear();
    for (int c = 0; c < k; ++c)
        for (int i = 0; i < perBlob; ++i) {
            const std::int64_t r = static_cast<std::int64_t>(c) * perBlob + i;
            for (int j = 0; j < dim; ++j)
                x.at(r, j) = static_cast<float>((j % k == c ? 10.0 : 0.0) + noise(rng));
            labels.push_back(c);
        }
    return x;
}

} // namespace

TEST(ProbingClustering, MatchesScikitLearnOnParityCases) {
    const auto metrics = loadMetrics();
    if (metrics.is_null())
        GTEST_SKIP() << "*** " << test::parityDir()
                     << "/metrics.json NOT FOUND — parity NOT checked";
    ASSERT_EQ(metrics["cases"].size(), 5u);
    double maxDiff = 0;
    for (const auto& c : metrics["cases"]) {
        SCOPED_TRACE(c["name"].get<std::string>());
        const auto t = c["labels_true"].get<std::vector<std::int64_t>>();
        const auto p = c["labels_pred"].get<std::vector<std::int64_t>>();
        const Contingency cm = contingencyMatrix(t, p);
        EXPECT_EQ(cm.rowLabels, c["row_labels"].get<std::vector<std::int64_t>>());
        EXPECT_EQ(cm.colLabels, c["col_labels"].get<std::vector<std::int64_t>>());
        const auto ref = c["contingency_matrix"].get<std::vector<std::vector<std::int64_t>>>();
        ASSERT_EQ(ref.size(), cm.rowLabels.size());
        for (std::size_t i = 0; i < ref.size(); ++i)
            for (std::size_t j = 0; j < ref[i].size(); ++j)
                EXPECT_EQ(cm.at(i, j), ref[i][j]);
        const double ari = adjustedRandScore(t, p);
        const double nmi = normalizedMutualInfo(t, p);
        EXPECT_NEAR(ari, c["adjusted_rand_score"].get<double>(), 1e-9);
        EXPECT_NEAR(nmi, c["normalized_mutual_info_score_arithmetic"].get<double>(), 1e-9);
        maxDiff =
            std::max({maxDiff, std::abs(ari - c["adjusted_rand_score"].get<double>()),
                      std::abs(nmi - c["normalized_mutual_info_score_arithmetic"].get<double>())});
        const auto jac = jaccardMatrix(cm);
        const auto refJ = c["jaccard_matrix"].get<std::vector<std::vector<double>>>();
        for (std::size_t i = 0; i < refJ.size(); ++i)
            for (std::size_t j = 0; j < refJ[i].size(); ++j) {
                EXPECT_NEAR(jac[i * cm.colLabels.size() + j], refJ[i][j], 1e-12);
                maxDiff =
                    std::max(maxDiff, std::abs(jac[i * cm.colLabels.size() + j] - refJ[i][j]));
            }
    }
    std::printf("[ProbingClustering] max |diff| vs scikit-learn over 5 cases: %.3g\n", maxDiff);
}

TEST(ProbingClustering, HandComputedSmallCase) {
    // true {0,0,1,1}, pred {0,0,1,2}: pairs: tp=1, fp=0, fn=1, tn=4 (ordered pairs x2).
    const std::vector<std::int64_t> t{0, 0, 1, 1}, p{0, 0, 1, 2};
    // sklearn: ARI = 2(tp tn - fn fp)/((tp+fn)(fn+tn)+(tp+fp)(fp+tn)) with doubled counts
    // tp=2, fp=0, fn=2, tn=8 -> 2*16/(4*10+2*8) = 32/56.
    EXPECT_NEAR(adjustedRandScore(t, p), 32.0 / 56.0, 1e-15);
    // MI = H(true) = ln 2; H(pred) = 1.5 ln 2 -> NMI = 1 / 1.25.
    EXPECT_NEAR(normalizedMutualInfo(t, p), 0.8, 1e-12);
    EXPECT_THROW(contingencyMatrix(t, std::vector<std::int64_t>{0, 1}), std::invalid_argument);
}

TEST(ProbingClustering, KMeansRecoversSeparatedBlobs) {
    std::vector<std::int64_t> labels;
    const FeatureMatrix x = blobs(4, 30, 16, 1.0, 7, labels);
    KMeansOptions o;
    o.k = 4;
    o.seed = 3;
    const KMeansResult r = kMeans(x, o);
    EXPECT_DOUBLE_EQ(adjustedRandScore(labels, r.labels), 1.0);
    EXPECT_DOUBLE_EQ(normalizedMutualInfo(labels, r.labels), 1.0);
    EXPECT_EQ(r.centroids.rows, 4);
    // Inertia = sum of squared distances to the centroids, recomputed here.
    double inertia = 0;
    for (std::int64_t i = 0; i < x.rows; ++i)
        for (std::int64_t j = 0; j < x.cols; ++j) {
            const double d = x.at(i, j) - r.centroids.at(r.labels[i], j);
            inertia += d * d;
        }
    EXPECT_NEAR(r.inertia, inertia, 1e-6 * inertia);
}

TEST(ProbingClustering, KMeansIsDeterministicPerSeed) {
    std::vector<std::int64_t> labels;
    // Overlapping blobs so that different seeds can land in different optima.
    const FeatureMatrix x = blobs(3, 40, 8, 6.0, 11, labels);
    KMeansOptions o;
    o.k = 3;
    o.nInit = 1;
    o.seed = 42;
    const KMeansResult a = kMeans(x, o), b = kMeans(x, o);
    EXPECT_EQ(a.labels, b.labels);
    EXPECT_EQ(a.centroids.data, b.centroids.data);
    EXPECT_EQ(a.inertia, b.inertia);
    // More restarts never give a worse optimum than the first of them.
    o.nInit = 8;
    const KMeansResult c = kMeans(x, o);
    EXPECT_LE(c.inertia, a.inertia + 1e-9);
    bool anyDifferent = false;
    for (std::uint64_t s = 0; s < 6 && !anyDifferent; ++s) {
        KMeansOptions q = o;
        q.nInit = 1;
        q.seed = s;
        anyDifferent = kMeans(x, q).inertia != a.inertia;
    }
    EXPECT_TRUE(anyDifferent) << "the seed has no effect on the initialisation";
}

TEST(ProbingClustering, KMeansRejectsBadK) {
    FeatureMatrix x(3, 2);
    KMeansOptions o;
    o.k = 4;
    EXPECT_THROW(kMeans(x, o), std::invalid_argument);
    o.k = 0;
    EXPECT_THROW(kMeans(x, o), std::invalid_argument);
}
