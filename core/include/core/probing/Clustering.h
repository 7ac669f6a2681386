// Clustering and its scores, matching scikit-learn 1.2 exactly (checked against
// ../shared/parity/metrics.json): contingency matrix, adjusted Rand index, normalised mutual
// information (arithmetic mean, natural log), the cluster/label Jaccard matrix, and k-means
// (k-means++ initialisation, several seeded restarts, Lloyd iterations, best inertia).
#pragma once

#include "core/probing/FeatureMatrix.h"

#include <cstdint>
#include <span>
#include <vector>

namespace moodsteer {

/// C[i, j] = number of samples with true label rowLabels[i] and predicted label colLabels[j];
/// rows and columns are ordered by sorted label value (as sklearn's contingency_matrix).
struct Contingency {
    std::vector<std::int64_t> rowLabels;
    std::vector<std::int64_t> colLabels;
    std::vector<std::int64_t> counts; ///< rowLabels.size() x colLabels.size(), row-major

    std::int64_t at(std::size_t i, std::size_t j) const { return counts[i * colLabels.size() + j]; }
    std::int64_t rowSum(std::size_t i) const;
    std::int64_t colSum(std::size_t j) const;
};

/// Throws std::invalid_argument when the two labelings differ in length.
Contingency contingencyMatrix(std::span<const std::int64_t> labelsTrue,
                              std::span<const std::int64_t> labelsPred);

/// sklearn.metrics.adjusted_rand_score (pair-confusion form; 1.0 for full agreement).
double adjustedRandScore(std::span<const std::int64_t> labelsTrue,
                         std::span<const std::int64_t> labelsPred);

/// sklearn.metrics.normalized_mutual_info_score(average_method="arithmetic"): MI divided by
/// the mean of the two entropies; 1.0 when both labelings are a single cluster, 0.0 when
/// exactly one is.
double normalizedMutualInfo(std::span<const std::int64_t> labelsTrue,
                            std::span<const std::int64_t> labelsPred);

/// J[i, j] = C[i, j] / (rowSum_i + colSum_j - C[i, j]), row-major like `c.counts`.
std::vector<double> jaccardMatrix(const Contingency& c);

struct KMeansOptions {
    int k = 2;
    int nInit = 10; ///< restarts; the run with the lowest inertia wins
    int maxIterations = 300;
    double tolerance = 1e-4; ///< stop when the squared centroid shift < tol * mean feature variance
    std::uint64_t seed = 0;
};

struct KMeansResult {
    std::vector<std::int64_t> labels; ///< cluster index per row, 0..k-1
    FeatureMatrix centroids;          ///< k x D
    double inertia = 0;               ///< sum of squared distances to the assigned centroid
    int iterations = 0;               ///< Lloyd iterations of the winning run
    int bestRun = 0;
};

/// Deterministic for a given seed (own RNG stream, no std:: distributions). Throws
/// std::invalid_argument when k < 1 or k > number of rows.
KMeansResult kMeans(const FeatureMatrix& x, const KMeansOptions& options);

} // namespace moodsteer
