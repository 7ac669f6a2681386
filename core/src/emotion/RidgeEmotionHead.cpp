#include "emotion/RidgeEmotionHead.h"

#include "models/Safetensors.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace moodsteer {
namespace {

void put(models::SafetensorsWriter& w, const std::string& name, const std::vector<double>& v,
         std::vector<int64_t> shape) {
    w.add(name, models::DType::F64, std::move(shape), v.data(), v.size() * sizeof(double));
}

std::vector<double> get(const models::SafetensorsReader& r, const std::string& name,
                        std::size_t expected) {
    const models::TensorInfo* t = r.find(name);
    if (!t)
        throw std::runtime_error("emotion head '" + r.path() + "': tensor '" + name +
                                 "' is missing");
    if (t->dtype != models::DType::F64)
        throw std::runtime_error("emotion head '" + r.path() + "': tensor '" + name +
                                 "' must be float64");
    const auto bytes = r.data(*t);
    if (bytes.size() != expected * sizeof(double))
        throw std::runtime_error("emotion head '" + r.path() + "': tensor '" + name + "' has " +
                                 std::to_string(bytes.size() / sizeof(double)) +
                                 " values, expected " + std::to_string(expected));
    std::vector<double> v(expected);
    std::memcpy(v.data(), bytes.data(), bytes.size());
    for (double x : v)
        if (!std::isfinite(x))
            throw std::runtime_error("emotion head '" + r.path() + "': tensor '" + name +
                                     "' has non-finite values");
    return v;
}

} // namespace

std::vector<double> RidgeEmotionHead::standardise(std::span<const float> x) const {
    if (static_cast<int>(x.size()) != featureSize)
        throw std::invalid_argument("ridge emotion head: " + std::to_string(x.size()) +
                                    " features, expected " + std::to_string(featureSize));
    std::vector<double> z(columns.size());
    for (std::size_t i = 0; i < columns.size(); ++i)
        z[i] = (x[columns[i]] - mean[i]) / scale[i];
    return z;
}

double RidgeEmotionHead::distance(const std::vector<double>& z) const {
    const std::size_t n = z.size();
    double d = 0;
    for (std::size_t i = 0; i < n; ++i) {
        double row = 0;
        for (std::size_t j = 0; j < n; ++j)
            row += precision[i * n + j] * z[j];
        d += z[i] * row;
    }
    return std::sqrt(std::max(0.0, d) / std::max<std::size_t>(1, n));
}

RidgeEmotionHead::Output RidgeEmotionHead::predictWindow(std::span<const float> x) const {
    const auto z = standardise(x);
    std::array<std::vector<double>, 2> outs;
    for (const auto& m : members)
        for (int d = 0; d < 2; ++d) {
            double y = m.bias[d];
            for (std::size_t i = 0; i < z.size(); ++i)
                y += m.weight[d][i] * z[i];
            outs[d].push_back(y);
        }
    Output o;
    std::array<double, 2> spread{0, 0};
    for (int d = 0; d < 2; ++d) {
        if (outs[d].size() > 2) { // fold members only: member 0 saw every clip
            double mu = 0;
            for (std::size_t k = 1; k < outs[d].size(); ++k)
                mu += outs[d][k] / (outs[d].size() - 1);
            for (std::size_t k = 1; k < outs[d].size(); ++k)
                spread[d] += (outs[d][k] - mu) * (outs[d][k] - mu) / (outs[d].size() - 2);
            spread[d] = std::sqrt(spread[d]);
        }
    }
    o.valence = outs[0][0];
    o.arousal = outs[1][0];
    o.valenceSpread = spread[0];
    o.arousalSpread = spread[1];
    o.oodScore = distance(z) / oodThreshold;
    return o;
}

void RidgeEmotionHead::save(const std::string& path,
                            const std::map<std::string, std::string>& metadata) const {
    models::SafetensorsWriter w;
    const auto n = static_cast<int64_t>(columns.size());
    put(w, "columns", std::vector<double>(columns.begin(), columns.end()), {n});
    put(w, "feature_mean", mean, {n});
    put(w, "feature_scale", scale, {n});
    put(w, "ood_precision", precision, {n, n});
    put(w, "stats",
        {oodThreshold, residualSd[0], residualSd[1], targetMean[0], targetMean[1],
         static_cast<double>(featureSize)},
        {6});
    for (std::size_t k = 0; k < members.size(); ++k) {
        std::vector<double> wt(members[k].weight[0]);
        wt.insert(wt.end(), members[k].weight[1].begin(), members[k].weight[1].end());
        put(w, "member." + std::to_string(k) + ".weight", wt, {2, n});
        put(w, "member." + std::to_string(k) + ".bias", {members[k].bias[0], members[k].bias[1]},
            {2});
    }
    for (const auto& [k, v] : metadata)
        w.setMetadata(k, v);
    w.setMetadata("members", std::to_string(members.size()));
    w.write(path);
}

RidgeEmotionHead RidgeEmotionHead::load(const std::string& path,
                                        std::map<std::string, std::string>* metadata) {
    const auto r = models::SafetensorsReader::open(path);
    const models::TensorInfo* c = r.find("columns");
    if (!c || c->shape.size() != 1)
        throw std::runtime_error("emotion head '" + path +
                                 "': tensor 'columns' is missing or "
                                 "not 1-D");
    const auto n = static_cast<std::size_t>(c->shape[0]);
    RidgeEmotionHead h;
    const auto stats = get(r, "stats", 6);
    h.oodThreshold = stats[0];
    h.residualSd = {stats[1], stats[2]};
    h.targetMean = {stats[3], stats[4]};
    h.featureSize = static_cast<int>(stats[5]);
    for (double v : get(r, "columns", n)) {
        if (v < 0 || v >= h.featureSize || v != std::floor(v))
            throw std::runtime_error("emotion head '" + path + "': column " + std::to_string(v) +
                                     " is outside 0.." + std::to_string(h.featureSize - 1));
        h.columns.push_back(static_cast<int>(v));
    }
    h.mean = get(r, "feature_mean", n);
    h.scale = get(r, "feature_scale", n);
    h.precision = get(r, "ood_precision", n * n);
    if (!(h.oodThreshold > 0))
        throw std::runtime_error("emotion head '" + path + "': the OOD threshold must be > 0");
    for (double s : h.scale)
        if (!(s > 0))
            throw std::runtime_error("emotion head '" + path + "': 'feature_scale' must be > 0");
    for (int k = 0; r.find("member." + std::to_string(k) + ".weight"); ++k) {
        const auto wt = get(r, "member." + std::to_string(k) + ".weight", 2 * n);
        const auto b = get(r, "member." + std::to_string(k) + ".bias", 2);
        Member m;
        m.weight[0].assign(wt.begin(), wt.begin() + n);
        m.weight[1].assign(wt.begin() + n, wt.end());
        m.bias = {b[0], b[1]};
        h.members.push_back(std::move(m));
    }
    if (h.members.empty())
        throw std::runtime_error("emotion head '" + path + "': no member.0 tensors");
    const std::size_t expected = 5 + 2 * h.members.size(); // columns..stats, members
    if (r.tensors().size() != expected)
        throw std::runtime_error("emotion head '" + path +
                                 "': " + std::to_string(r.tensors().size()) +
                                 " tensors, expected " + std::to_string(expected));
    if (metadata) *metadata = r.metadata();
    return h;
}

} // namespace moodsteer
