#include "probing/ProbingMath.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace moodsteer::probing {

void solveSpd(std::vector<double>& a, std::vector<double>& b, std::int64_t n, std::int64_t m) {
    // In-place lower Cholesky factor L (A = L L^T).
    for (std::int64_t j = 0; j < n; ++j) {
        double d = a[j * n + j];
        for (std::int64_t k = 0; k < j; ++k)
            d -= a[j * n + k] * a[j * n + k];
        if (!(d > 0))
            throw std::runtime_error("solveSpd: matrix is not positive definite at pivot " +
                                     std::to_string(j) + " (increase the L2 regularisation)");
        const double ljj = std::sqrt(d);
        a[j * n + j] = ljj;
        for (std::int64_t i = j + 1; i < n; ++i) {
            double s = a[i * n + j];
            const double* ri = &a[i * n];
            const double* rj = &a[j * n];
            for (std::int64_t k = 0; k < j; ++k)
                s -= ri[k] * rj[k];
            a[i * n + j] = s / ljj;
        }
    }
    // Forward then backward substitution, all right-hand sides at once.
    for (std::int64_t i = 0; i < n; ++i) {
        for (std::int64_t k = 0; k < i; ++k) {
            const double l = a[i * n + k];
            for (std::int64_t c = 0; c < m; ++c)
                b[i * m + c] -= l * b[k * m + c];
        }
        for (std::int64_t c = 0; c < m; ++c)
            b[i * m + c] /= a[i * n + i];
    }
    for (std::int64_t i = n - 1; i >= 0; --i) {
        for (std::int64_t k = i + 1; k < n; ++k) {
            const double l = a[k * n + i];
            for (std::int64_t c = 0; c < m; ++c)
                b[i * m + c] -= l * b[k * m + c];
        }
        for (std::int64_t c = 0; c < m; ++c)
            b[i * m + c] /= a[i * n + i];
    }
}

} // namespace moodsteer::probing

#include <algorithm>
#include <deque>

namespace moodsteer::probing {

void columnMoments(const FeatureMatrix& x, std::vector<double>& mean, std::vector<double>& scale) {
    const std::int64_t n = x.rows, d = x.cols;
    mean.assign(d, 0.0);
    scale.assign(d, 0.0);
    for (std::int64_t i = 0; i < n; ++i) {
        const float* r = x.row(i);
        for (std::int64_t j = 0; j < d; ++j)
            mean[j] += r[j];
    }
    for (auto& m : mean)
        m /= static_cast<double>(n);
    for (std::int64_t i = 0; i < n; ++i) {
        const float* r = x.row(i);
        for (std::int64_t j = 0; j < d; ++j) {
            const double dv = r[j] - mean[j];
            scale[j] += dv * dv;
        }
    }
    for (auto& s : scale) {
        s = std::sqrt(s / static_cast<double>(n));
        // Same rule as sklearn's _handle_zeros_in_scale: (near-)constant columns keep scale 1.
        if (s < 10 * std::numeric_limits<double>::epsilon()) s = 1.0;
    }
}

FeatureMatrix standardise(const FeatureMatrix& x, const std::vector<double>& mean,
                          const std::vector<double>& scale) {
    FeatureMatrix z(x.rows, x.cols);
    for (std::int64_t i = 0; i < x.rows; ++i) {
        const float* r = x.row(i);
        float* o = z.row(i);
        for (std::int64_t j = 0; j < x.cols; ++j)
            o[j] = static_cast<float>((r[j] - mean[j]) / scale[j]);
    }
    return z;
}

std::vector<double> ridgeSolve(const FeatureMatrix& z, const std::vector<double>& y, std::int64_t m,
                               double ridge) {
    const std::int64_t n = z.rows, d = z.cols;
    std::vector<double> w(static_cast<std::size_t>(m * d), 0.0);
    if (d <= n) {
        // (Z^T Z + ridge I) W^T = Z^T Y, accumulated row by row (lower triangle, mirrored).
        std::vector<double> a(d * d, 0.0), b(d * m, 0.0);
        std::vector<double> zi(d);
        for (std::int64_t i = 0; i < n; ++i) {
            const float* r = z.row(i);
            for (std::int64_t j = 0; j < d; ++j)
                zi[j] = r[j];
            for (std::int64_t j = 0; j < d; ++j) {
                const double v = zi[j];
                if (v == 0) continue;
                double* aj = &a[j * d];
                for (std::int64_t k = 0; k <= j; ++k)
                    aj[k] += v * zi[k];
                for (std::int64_t c = 0; c < m; ++c)
                    b[j * m + c] += v * y[i * m + c];
            }
        }
        for (std::int64_t j = 0; j < d; ++j) {
            for (std::int64_t k = 0; k < j; ++k)
                a[k * d + j] = a[j * d + k];
            a[j * d + j] += ridge;
        }
        solveSpd(a, b, d, m);
        for (std::int64_t j = 0; j < d; ++j)
            for (std::int64_t c = 0; c < m; ++c)
                w[c * d + j] = b[j * m + c];
    } else {
        // Dual: W^T = Z^T (Z Z^T + ridge I)^-1 Y.
        std::vector<double> a(n * n), alpha(y);
        for (std::int64_t i = 0; i < n; ++i)
            for (std::int64_t k = 0; k <= i; ++k)
                a[i * n + k] = a[k * n + i] = dot(z.row(i), z.row(k), d);
        for (std::int64_t i = 0; i < n; ++i)
            a[i * n + i] += ridge;
        solveSpd(a, alpha, n, m);
        for (std::int64_t i = 0; i < n; ++i) {
            const float* r = z.row(i);
            for (std::int64_t c = 0; c < m; ++c) {
                const double s = alpha[i * m + c];
                double* wc = &w[c * d];
                for (std::int64_t j = 0; j < d; ++j)
                    wc[j] += s * r[j];
            }
        }
    }
    return w;
}

namespace {
double dotd(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        s += a[i] * b[i];
    return s;
}
double maxAbs(const std::vector<double>& a) {
    double m = 0;
    for (double v : a)
        m = std::max(m, std::abs(v));
    return m;
}
} // namespace

int lbfgsMinimise(std::vector<double>& theta,
                  const std::function<double(const std::vector<double>&, std::vector<double>&)>& f,
                  int maxIterations, double gradientTolerance, double* finalValue, int history) {
    const std::size_t n = theta.size();
    std::vector<double> g(n), gNew(n), dir(n), trial(n);
    double value = f(theta, g);
    std::deque<std::vector<double>> sHist, yHist;
    std::deque<double> rhoHist;
    int it = 0;
    for (; it < maxIterations; ++it) {
        if (maxAbs(g) < gradientTolerance) break;
        // Two-loop recursion: dir = -H g.
        dir = g;
        std::vector<double> alphas(sHist.size());
        for (std::size_t k = sHist.size(); k-- > 0;) {
            alphas[k] = rhoHist[k] * dotd(sHist[k], dir);
            for (std::size_t i = 0; i < n; ++i)
                dir[i] -= alphas[k] * yHist[k][i];
        }
        const double gamma =
            sHist.empty() ? 1.0 / std::max(1.0, std::sqrt(dotd(g, g)))
                          : dotd(sHist.back(), yHist.back()) / dotd(yHist.back(), yHist.back());
        for (auto& v : dir)
            v *= gamma;
        for (std::size_t k = 0; k < sHist.size(); ++k) {
            const double beta = rhoHist[k] * dotd(yHist[k], dir);
            for (std::size_t i = 0; i < n; ++i)
                dir[i] += sHist[k][i] * (alphas[k] - beta);
        }
        for (auto& v : dir)
            v = -v;
        double slope = dotd(g, dir);
        if (slope >= 0) { // not a descent direction: restart from steepest descent
            sHist.clear();
            yHist.clear();
            rhoHist.clear();
            for (std::size_t i = 0; i < n; ++i)
                dir[i] = -g[i] / std::max(1.0, std::sqrt(dotd(g, g)));
            slope = dotd(g, dir);
        }
        double step = 1.0, newValue = 0;
        bool accepted = false;
        for (int ls = 0; ls < 40; ++ls) {
            for (std::size_t i = 0; i < n; ++i)
                trial[i] = theta[i] + step * dir[i];
            newValue = f(trial, gNew);
            if (std::isfinite(newValue) && newValue <= value + 1e-4 * step * slope) {
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if (!accepted) break; // no further decrease possible at this precision
        std::vector<double> s(n), y(n);
        for (std::size_t i = 0; i < n; ++i) {
            s[i] = trial[i] - theta[i];
            y[i] = gNew[i] - g[i];
        }
        const double sy = dotd(s, y);
        if (sy > 1e-12 * std::sqrt(dotd(s, s) * dotd(y, y))) {
            sHist.push_back(std::move(s));
            yHist.push_back(std::move(y));
            rhoHist.push_back(1.0 / sy);
            if (static_cast<int>(sHist.size()) > history) {
                sHist.pop_front();
                yHist.pop_front();
                rhoHist.pop_front();
            }
        }
        const double decrease = value - newValue;
        theta.swap(trial);
        g.swap(gNew);
        value = newValue;
        if (decrease <= 1e-15 * std::max(1.0, std::abs(value))) break;
    }
    if (finalValue) *finalValue = value;
    return it;
}

} // namespace moodsteer::probing
