// Small numeric kernels shared by the probing code (private to core/): dot products with
// several accumulators (so the compiler can keep the FPU busy without -ffast-math), a
// portable seeded RNG, and a symmetric positive-definite solver.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace moodsteer::probing {

inline double dot(const float* a, const float* b, std::int64_t n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    std::int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += static_cast<double>(a[i]) * b[i];
        s1 += static_cast<double>(a[i + 1]) * b[i + 1];
        s2 += static_cast<double>(a[i + 2]) * b[i + 2];
        s3 += static_cast<double>(a[i + 3]) * b[i + 3];
    }
    for (; i < n; ++i)
        s0 += static_cast<double>(a[i]) * b[i];
    return (s0 + s1) + (s2 + s3);
}

inline double dot(const float* a, const double* b, std::int64_t n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    std::int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; ++i)
        s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

inline double squaredDistance(const float* a, const float* b, std::int64_t n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    std::int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const double d0 = static_cast<double>(a[i]) - b[i];
        const double d1 = static_cast<double>(a[i + 1]) - b[i + 1];
        const double d2 = static_cast<double>(a[i + 2]) - b[i + 2];
        const double d3 = static_cast<double>(a[i + 3]) - b[i + 3];
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
    }
    for (; i < n; ++i) {
        const double d = static_cast<double>(a[i]) - b[i];
        s0 += d * d;
    }
    return (s0 + s1) + (s2 + s3);
}

/// mt19937_64 is specified bit-exactly by the standard; the distributions are not, so we map
/// its output to numbers ourselves to stay reproducible across standard libraries.
class Rng {
  public:
    explicit Rng(std::uint64_t seed) : engine_(seed) {}
    std::uint64_t next() { return engine_(); }
    /// Uniform in [0, 1).
    double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
    /// Uniform integer in [0, n).
    std::uint64_t below(std::uint64_t n) {
        const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
        std::uint64_t v;
        do
            v = engine_();
        while (v >= limit);
        return v % n;
    }
    template <class T> void shuffle(std::vector<T>& v) {
        for (std::size_t i = v.size(); i > 1; --i)
            std::swap(v[i - 1], v[below(i)]);
    }

  private:
    std::mt19937_64 engine_;
};

/// Solves A X = B in place for symmetric positive-definite A (n x n, row-major) and B
/// (n x m, row-major) by Cholesky; A is overwritten. Throws std::runtime_error when A is not
/// positive definite (add ridge regularisation).
void solveSpd(std::vector<double>& a, std::vector<double>& b, std::int64_t n, std::int64_t m);

} // namespace moodsteer::probing

#include "core/probing/FeatureMatrix.h"

#include <functional>

namespace moodsteer::probing {

/// Column means and standard deviations (population, as sklearn's StandardScaler); constant
/// columns get scale 1 so that they standardise to 0 instead of dividing by zero.
void columnMoments(const FeatureMatrix& x, std::vector<double>& mean, std::vector<double>& scale);
FeatureMatrix standardise(const FeatureMatrix& x, const std::vector<double>& mean,
                          const std::vector<double>& scale);

/// Ridge regression on column-centred features z (N x D) and column-centred targets y (N x m):
/// minimises sum ||W z_i - y_i||^2 + ridge ||W||^2 exactly. Uses the primal normal equations
/// when D <= N and the dual (kernel) form otherwise. Returns W as m x D, row-major.
std::vector<double> ridgeSolve(const FeatureMatrix& z, const std::vector<double>& y, std::int64_t m,
                               double ridge);

/// Limited-memory BFGS with a backtracking (Armijo) line search. `f` returns the objective and
/// writes its gradient. Returns the number of iterations; `theta` holds the minimiser.
int lbfgsMinimise(std::vector<double>& theta,
                  const std::function<double(const std::vector<double>&, std::vector<double>&)>& f,
                  int maxIterations, double gradientTolerance, double* finalValue,
                  int history = 10);

} // namespace moodsteer::probing
