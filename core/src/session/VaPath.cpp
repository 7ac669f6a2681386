#include "core/session/VaPath.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace moodsteer {
namespace {

std::string num(double x) {
    std::ostringstream s;
    s << x;
    return s.str();
}

// Fritsch-Carlson tangents for one axis: secant-averaged slopes, zeroed at local extrema and
// limited so that each cubic segment stays monotone (no overshoot between keyframes).
std::vector<double> monotoneSlopes(const std::vector<double>& x, const std::vector<double>& y) {
    const std::size_t n = x.size();
    std::vector<double> m(n, 0.0);
    if (n < 2) return m;
    std::vector<double> d(n - 1);
    for (std::size_t i = 0; i + 1 < n; ++i)
        d[i] = (y[i + 1] - y[i]) / (x[i + 1] - x[i]);
    m[0] = d[0];
    m[n - 1] = d[n - 2];
    for (std::size_t i = 1; i + 1 < n; ++i)
        m[i] = d[i - 1] * d[i] <= 0 ? 0.0 : (d[i - 1] + d[i]) / 2;
    for (std::size_t i = 0; i + 1 < n; ++i) {
        if (d[i] == 0) {
            m[i] = m[i + 1] = 0;
            continue;
        }
        const double a = m[i] / d[i], b = m[i + 1] / d[i];
        const double s = a * a + b * b;
        if (s > 9) {
            const double tau = 3 / std::sqrt(s);
            m[i] = tau * a * d[i];
            m[i + 1] = tau * b * d[i];
        }
    }
    return m;
}

} // namespace

VaPath::VaPath(std::vector<VaKeyframe> keyframes, PathInterpolation interpolation)
    : keys_(std::move(keyframes)), interpolation_(interpolation) {
    validate();
    if (interpolation_ == PathInterpolation::Smooth) {
        std::vector<double> t, v, a;
        for (const auto& k : keys_) {
            t.push_back(k.time);
            v.push_back(k.valence);
            a.push_back(k.arousal);
        }
        slopeV_ = monotoneSlopes(t, v);
        slopeA_ = monotoneSlopes(t, a);
    }
}

void VaPath::validate() const {
    for (std::size_t i = 0; i < keys_.size(); ++i) {
        const auto& k = keys_[i];
        const std::string where = "emotion path keyframe " + std::to_string(i + 1) + " (" +
                                  num(k.time) + ":" + num(k.valence) + "," + num(k.arousal) + ")";
        if (!std::isfinite(k.time) || k.time < 0)
            throw std::invalid_argument(where + ": time must be a finite number >= 0");
        if (i > 0 && !(k.time > keys_[i - 1].time))
            throw std::invalid_argument(where + ": times must increase");
        for (double x : {k.valence, k.arousal})
            if (!(x >= 1.0 && x <= 9.0))
                throw std::invalid_argument(where + ": valence and arousal must lie in [1, 9]");
    }
}

double VaPath::cubic(std::size_t i, double t, int axis) const {
    const auto& k0 = keys_[i];
    const auto& k1 = keys_[i + 1];
    const double h = k1.time - k0.time;
    const double u = (t - k0.time) / h;
    const double y0 = axis == 0 ? k0.valence : k0.arousal;
    const double y1 = axis == 0 ? k1.valence : k1.arousal;
    const auto& m = axis == 0 ? slopeV_ : slopeA_;
    const double u2 = u * u, u3 = u2 * u;
    return (2 * u3 - 3 * u2 + 1) * y0 + (u3 - 2 * u2 + u) * h * m[i] + (-2 * u3 + 3 * u2) * y1 +
           (u3 - u2) * h * m[i + 1];
}

std::pair<double, double> VaPath::at(double t) const {
    if (keys_.empty()) throw std::logic_error("VaPath::at on an empty path");
    if (!(t > keys_.front().time)) return {keys_.front().valence, keys_.front().arousal};
    if (t >= keys_.back().time) return {keys_.back().valence, keys_.back().arousal};
    // The segment [k_i, k_i+1) holding t.
    const auto next = std::upper_bound(keys_.begin(), keys_.end(), t,
                                       [](double x, const VaKeyframe& k) { return x < k.time; });
    const std::size_t i = static_cast<std::size_t>(next - keys_.begin()) - 1;
    if (interpolation_ == PathInterpolation::Smooth) {
        // Monotone segments stay within their keyframes; the clamp only absorbs rounding.
        const auto clampTo = [&](double x, double a, double b) {
            return std::clamp(x, std::min(a, b), std::max(a, b));
        };
        return {clampTo(cubic(i, t, 0), keys_[i].valence, keys_[i + 1].valence),
                clampTo(cubic(i, t, 1), keys_[i].arousal, keys_[i + 1].arousal)};
    }
    const double u = (t - keys_[i].time) / (keys_[i + 1].time - keys_[i].time);
    return {keys_[i].valence + u * (keys_[i + 1].valence - keys_[i].valence),
            keys_[i].arousal + u * (keys_[i + 1].arousal - keys_[i].arousal)};
}

VaPath VaPath::parse(const std::string& text, PathInterpolation interpolation) {
    std::string spaced = text;
    std::replace(spaced.begin(), spaced.end(), ';', ' ');
    std::istringstream in(spaced);
    std::vector<VaKeyframe> keys;
    std::string item;
    while (in >> item) {
        const auto colon = item.find(':');
        const auto comma = item.find(',', colon == std::string::npos ? 0 : colon);
        const std::string bad = "emotion path: '" + item + "' is not TIME:VALENCE,AROUSAL";
        if (colon == std::string::npos || comma == std::string::npos)
            throw std::invalid_argument(bad);
        VaKeyframe k;
        try {
            std::size_t used = 0;
            const std::string parts[3] = {item.substr(0, colon),
                                          item.substr(colon + 1, comma - colon - 1),
                                          item.substr(comma + 1)};
            double* out[3] = {&k.time, &k.valence, &k.arousal};
            for (int p = 0; p < 3; ++p) {
                *out[p] = std::stod(parts[p], &used);
                if (used != parts[p].size()) throw std::invalid_argument(bad);
            }
        } catch (const std::logic_error&) {
            throw std::invalid_argument(bad);
        }
        keys.push_back(k);
    }
    if (keys.empty())
        throw std::invalid_argument("emotion path is empty: give TIME:VALENCE,AROUSAL");
    return VaPath(std::move(keys), interpolation);
}

VaPath VaPath::iso(std::pair<double, double> from, std::pair<double, double> to, double moveSeconds,
                   double holdSeconds, PathInterpolation interpolation) {
    if (!(moveSeconds > 0) || !std::isfinite(moveSeconds))
        throw std::invalid_argument("iso path: the move must last > 0 seconds");
    if (!(holdSeconds >= 0) || !std::isfinite(holdSeconds))
        throw std::invalid_argument("iso path: the hold must be >= 0 seconds");
    std::vector<VaKeyframe> keys{{0.0, from.first, from.second},
                                 {moveSeconds, to.first, to.second}};
    if (holdSeconds > 0) keys.push_back({moveSeconds + holdSeconds, to.first, to.second});
    return VaPath(std::move(keys), interpolation);
}

std::pair<std::pair<double, double>, std::pair<double, double>>
VaPath::presetEndpoints(const std::string& name) {
    if (name == "calm") return {{5.0, 8.0}, {6.0, 2.0}};
    if (name == "activate") return {{5.0, 2.0}, {6.0, 8.0}};
    if (name == "lift") return {{2.0, 4.0}, {8.0, 5.0}};
    throw std::invalid_argument("unknown preset '" + name + "' (use calm, activate or lift)");
}

const char* VaPath::interpolationName(PathInterpolation p) {
    return p == PathInterpolation::Smooth ? "smooth" : "linear";
}

PathInterpolation VaPath::interpolationFromName(const std::string& name) {
    if (name == "linear") return PathInterpolation::Linear;
    if (name == "smooth") return PathInterpolation::Smooth;
    throw std::invalid_argument("interpolation '" + name + "': expected linear or smooth");
}

} // namespace moodsteer
