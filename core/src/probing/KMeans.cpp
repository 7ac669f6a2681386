// k-means as in scikit-learn's KMeans(algorithm="lloyd"): greedy k-means++ seeding
// (2 + ln k candidate centres per step, keep the one that lowers the potential most), Lloyd
// iterations until the labels stop changing or the centres move less than tol x mean feature
// variance, several restarts with the lowest inertia kept. Empty clusters are re-seeded with
// the point farthest from its centre.
#include "core/probing/Clustering.h"

#include "probing/ProbingMath.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace moodsteer {

namespace {

using probing::squaredDistance;

FeatureMatrix kMeansPlusPlus(const FeatureMatrix& x, int k, probing::Rng& rng) {
    const std::int64_t n = x.rows, d = x.cols;
    FeatureMatrix centres(k, d);
    const int localTrials = 2 + static_cast<int>(std::log(static_cast<double>(k)));
    std::int64_t first = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(n)));
    std::copy(x.row(first), x.row(first) + d, centres.row(0));
    std::vector<double> closest(n);
    double potential = 0;
    for (std::int64_t i = 0; i < n; ++i)
        potential += closest[i] = squaredDistance(x.row(i), centres.row(0), d);
    std::vector<double> cumulative(n), candidateDist(n), bestDist(n);
    for (int c = 1; c < k; ++c) {
        double acc = 0;
        for (std::int64_t i = 0; i < n; ++i)
            cumulative[i] = acc += closest[i];
        double bestPotential = std::numeric_limits<double>::infinity();
        std::int64_t bestId = 0;
        for (int t = 0; t < localTrials; ++t) {
            const double r = rng.uniform() * potential;
            std::int64_t id =
                std::lower_bound(cumulative.begin(), cumulative.end(), r) - cumulative.begin();
            id = std::min(id, n - 1);
            double pot = 0;
            for (std::int64_t i = 0; i < n; ++i)
                pot += candidateDist[i] =
                    std::min(closest[i], squaredDistance(x.row(i), x.row(id), d));
            if (pot < bestPotential) {
                bestPotential = pot;
                bestId = id;
                bestDist.swap(candidateDist);
            }
        }
        std::copy(x.row(bestId), x.row(bestId) + d, centres.row(c));
        closest = bestDist;
        potential = bestPotential;
    }
    return centres;
}

// Assigns each row to its nearest centre; returns the inertia.
double assign(const FeatureMatrix& x, const FeatureMatrix& centres,
              std::vector<std::int64_t>& labels, std::vector<double>& dist) {
    double inertia = 0;
    for (std::int64_t i = 0; i < x.rows; ++i) {
        double best = std::numeric_limits<double>::infinity();
        std::int64_t arg = 0;
        for (std::int64_t c = 0; c < centres.rows; ++c) {
            const double dd = squaredDistance(x.row(i), centres.row(c), x.cols);
            if (dd < best) {
                best = dd;
                arg = c;
            }
        }
        labels[i] = arg;
        dist[i] = best;
        inertia += best;
    }
    return inertia;
}

KMeansResult lloyd(const FeatureMatrix& x, FeatureMatrix centres, const KMeansOptions& o,
                   double tol) {
    const std::int64_t n = x.rows, d = x.cols, k = centres.rows;
    KMeansResult r;
    r.labels.assign(n, -1);
    std::vector<std::int64_t> previous;
    std::vector<double> dist(n), sums(k * d);
    std::vector<std::int64_t> counts(k);
    r.inertia = assign(x, centres, r.labels, dist);
    for (int it = 0; it < o.maxIterations; ++it) {
        r.iterations = it + 1;
        std::fill(sums.begin(), sums.end(), 0.0);
        std::fill(counts.begin(), counts.end(), 0);
        for (std::int64_t i = 0; i < n; ++i) {
            const float* xi = x.row(i);
            double* s = &sums[r.labels[i] * d];
            for (std::int64_t j = 0; j < d; ++j)
                s[j] += xi[j];
            ++counts[r.labels[i]];
        }
        // Re-seed empty clusters with the points farthest from their centres.
        for (std::int64_t c = 0; c < k; ++c) {
            if (counts[c] > 0) continue;
            const std::int64_t far = std::max_element(dist.begin(), dist.end()) - dist.begin();
            dist[far] = 0;
            double* s = &sums[r.labels[far] * d];
            for (std::int64_t j = 0; j < d; ++j)
                s[j] -= x.at(far, j);
            --counts[r.labels[far]];
            r.labels[far] = c;
            std::fill(&sums[c * d], &sums[c * d] + d, 0.0);
            for (std::int64_t j = 0; j < d; ++j)
                sums[c * d + j] = x.at(far, j);
            counts[c] = 1;
        }
        double shift = 0;
        for (std::int64_t c = 0; c < k; ++c)
            for (std::int64_t j = 0; j < d; ++j) {
                const float v = static_cast<float>(sums[c * d + j] / counts[c]);
                const double delta = static_cast<double>(v) - centres.at(c, j);
                shift += delta * delta;
                centres.at(c, j) = v;
            }
        previous = r.labels;
        r.inertia = assign(x, centres, r.labels, dist);
        if (previous == r.labels || shift <= tol) break;
    }
    r.centroids = std::move(centres);
    return r;
}

} // namespace

KMeansResult kMeans(const FeatureMatrix& x, const KMeansOptions& options) {
    if (options.k < 1 || options.k > x.rows)
        throw std::invalid_argument("kMeans: k = " + std::to_string(options.k) +
                                    " must be in [1, number of rows = " + std::to_string(x.rows) +
                                    "]");
    if (options.nInit < 1 || options.maxIterations < 1)
        throw std::invalid_argument("kMeans: nInit and maxIterations must be >= 1");
    if (x.cols == 0) throw std::invalid_argument("kMeans: the feature matrix has no columns");
    // sklearn's tolerance is relative to the data's mean per-feature variance.
    double meanVariance = 0;
    for (std::int64_t j = 0; j < x.cols; ++j) {
        double m = 0, m2 = 0;
        for (std::int64_t i = 0; i < x.rows; ++i)
            m += x.at(i, j);
        m /= static_cast<double>(x.rows);
        for (std::int64_t i = 0; i < x.rows; ++i) {
            const double dv = x.at(i, j) - m;
            m2 += dv * dv;
        }
        meanVariance += m2 / static_cast<double>(x.rows);
    }
    meanVariance /= static_cast<double>(x.cols);
    const double tol = options.tolerance * meanVariance;

    probing::Rng seeds(options.seed);
    KMeansResult best;
    best.inertia = std::numeric_limits<double>::infinity();
    for (int run = 0; run < options.nInit; ++run) {
        probing::Rng rng(seeds.next());
        KMeansResult r = lloyd(x, kMeansPlusPlus(x, options.k, rng), options, tol);
        if (r.inertia < best.inertia) {
            best = std::move(r);
            best.bestRun = run;
        }
    }
    return best;
}

} // namespace moodsteer
