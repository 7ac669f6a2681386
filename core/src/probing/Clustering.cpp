// Clustering scores follow scikit-learn 1.2.1's code paths (sklearn/metrics/cluster/
// _supervised.py) so that edge cases and rounding agree with the parity fixtures.
#include "core/probing/Clustering.h"

#include "probing/ProbingMath.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>

namespace moodsteer {

std::int64_t Contingency::rowSum(std::size_t i) const {
    std::int64_t s = 0;
    for (std::size_t j = 0; j < colLabels.size(); ++j)
        s += at(i, j);
    return s;
}

std::int64_t Contingency::colSum(std::size_t j) const {
    std::int64_t s = 0;
    for (std::size_t i = 0; i < rowLabels.size(); ++i)
        s += at(i, j);
    return s;
}

namespace {

std::vector<std::int64_t> sortedUnique(std::span<const std::int64_t> v) {
    std::vector<std::int64_t> u(v.begin(), v.end());
    std::sort(u.begin(), u.end());
    u.erase(std::unique(u.begin(), u.end()), u.end());
    return u;
}

std::size_t indexOf(const std::vector<std::int64_t>& sorted, std::int64_t value) {
    return static_cast<std::size_t>(std::lower_bound(sorted.begin(), sorted.end(), value) -
                                    sorted.begin());
}

// sklearn's entropy(labels): natural log, 0 for a single cluster.
double entropyOf(const std::vector<std::int64_t>& counts) {
    if (counts.size() <= 1) return 0.0;
    double total = 0;
    for (auto c : counts)
        total += static_cast<double>(c);
    const double logTotal = std::log(total);
    double h = 0;
    for (auto c : counts)
        if (c > 0)
            h += (static_cast<double>(c) / total) * (std::log(static_cast<double>(c)) - logTotal);
    return -h;
}

} // namespace

Contingency contingencyMatrix(std::span<const std::int64_t> labelsTrue,
                              std::span<const std::int64_t> labelsPred) {
    if (labelsTrue.size() != labelsPred.size())
        throw std::invalid_argument("contingencyMatrix: labels_true has " +
                                    std::to_string(labelsTrue.size()) + " entries, labels_pred " +
                                    std::to_string(labelsPred.size()));
    Contingency c;
    c.rowLabels = sortedUnique(labelsTrue);
    c.colLabels = sortedUnique(labelsPred);
    c.counts.assign(c.rowLabels.size() * c.colLabels.size(), 0);
    for (std::size_t n = 0; n < labelsTrue.size(); ++n)
        ++c.counts[indexOf(c.rowLabels, labelsTrue[n]) * c.colLabels.size() +
                   indexOf(c.colLabels, labelsPred[n])];
    return c;
}

double adjustedRandScore(std::span<const std::int64_t> labelsTrue,
                         std::span<const std::int64_t> labelsPred) {
    const Contingency c = contingencyMatrix(labelsTrue, labelsPred);
    using Big = __int128; // sklearn converts to Python ints to avoid overflow; so do we
    const Big n = static_cast<Big>(labelsTrue.size());
    Big sumSquares = 0, sumRowSq = 0, sumColSq = 0;
    for (auto v : c.counts)
        sumSquares += static_cast<Big>(v) * v;
    for (std::size_t i = 0; i < c.rowLabels.size(); ++i) {
        const Big r = c.rowSum(i);
        sumRowSq += r * r;
    }
    for (std::size_t j = 0; j < c.colLabels.size(); ++j) {
        const Big s = c.colSum(j);
        sumColSq += s * s;
    }
    // pair_confusion_matrix: C[1,1] = tp, C[0,1] = fp, C[1,0] = fn, C[0,0] = tn.
    const Big tp = sumSquares - n;
    const Big fp = sumColSq - sumSquares;
    const Big fn = sumRowSq - sumSquares;
    const Big tn = n * n - fp - fn - sumSquares;
    if (fn == 0 && fp == 0) return 1.0;
    const Big num = 2 * (tp * tn - fn * fp);
    const Big den = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn);
    return static_cast<double>(static_cast<long double>(num) / static_cast<long double>(den));
}

double normalizedMutualInfo(std::span<const std::int64_t> labelsTrue,
                            std::span<const std::int64_t> labelsPred) {
    const Contingency c = contingencyMatrix(labelsTrue, labelsPred);
    const std::size_t R = c.rowLabels.size(), K = c.colLabels.size();
    if ((R == 1 && K == 1) || (R == 0 && K == 0)) return 1.0;
    // mutual_info_score on the contingency's non-zero entries.
    double mi = 0;
    if (R > 1 && K > 1) {
        std::vector<double> pi(R), pj(K);
        double total = 0;
        for (std::size_t i = 0; i < R; ++i)
            pi[i] = static_cast<double>(c.rowSum(i));
        for (std::size_t j = 0; j < K; ++j)
            pj[j] = static_cast<double>(c.colSum(j));
        for (auto v : c.counts)
            total += static_cast<double>(v);
        const double logTotal = std::log(total);
        const double eps = std::numeric_limits<double>::epsilon();
        for (std::size_t i = 0; i < R; ++i)
            for (std::size_t j = 0; j < K; ++j) {
                const double v = static_cast<double>(c.at(i, j));
                if (v == 0) continue;
                const double nm = v / total;
                const double logOuter = -std::log(pi[i] * pj[j]) + 2 * logTotal;
                double term = nm * (std::log(v) - logTotal) + nm * logOuter;
                if (std::abs(term) < eps) term = 0.0;
                mi += term;
            }
        mi = std::max(mi, 0.0);
    }
    if (mi == 0) return 0.0;
    std::vector<std::int64_t> rows(R), cols(K);
    for (std::size_t i = 0; i < R; ++i)
        rows[i] = c.rowSum(i);
    for (std::size_t j = 0; j < K; ++j)
        cols[j] = c.colSum(j);
    const double normaliser =
        std::max((entropyOf(rows) + entropyOf(cols)) / 2.0, std::numeric_limits<double>::epsilon());
    return mi / normaliser;
}

std::vector<double> jaccardMatrix(const Contingency& c) {
    const std::size_t R = c.rowLabels.size(), K = c.colLabels.size();
    std::vector<double> j(R * K, 0.0);
    std::vector<std::int64_t> rows(R), cols(K);
    for (std::size_t r = 0; r < R; ++r)
        rows[r] = c.rowSum(r);
    for (std::size_t k = 0; k < K; ++k)
        cols[k] = c.colSum(k);
    for (std::size_t r = 0; r < R; ++r)
        for (std::size_t k = 0; k < K; ++k) {
            const double inter = static_cast<double>(c.at(r, k));
            const double uni = static_cast<double>(rows[r] + cols[k]) - inter;
            j[r * K + k] = uni > 0 ? inter / uni : 0.0;
        }
    return j;
}

} // namespace moodsteer
