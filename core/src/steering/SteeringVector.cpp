#include "core/steering/SteeringVector.h"

#include "models/Safetensors.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>

namespace moodsteer {

namespace {

constexpr const char* kFormat = "moodsteer.steering_vector";

std::vector<double> meanOfRows(const FeatureMatrix& x, std::span<const std::int64_t> labels,
                               std::int64_t onlyClass, bool exclude, std::int64_t& count) {
    std::vector<double> m(x.cols, 0.0);
    count = 0;
    for (std::int64_t i = 0; i < x.rows; ++i) {
        if (onlyClass >= 0 && ((labels[i] == onlyClass) == exclude)) continue;
        const float* r = x.row(i);
        for (std::int64_t j = 0; j < x.cols; ++j)
            m[j] += r[j];
        ++count;
    }
    if (count > 0)
        for (auto& v : m)
            v /= static_cast<double>(count);
    return m;
}

void checkShapes(const FeatureMatrix& x, std::size_t labelCount, std::int64_t dim,
                 const char* who) {
    if (static_cast<std::int64_t>(labelCount) != x.rows)
        throw SteeringError(std::string(who) + ": " + std::to_string(x.rows) +
                            " activation rows but " + std::to_string(labelCount) + " labels");
    if (x.cols != dim)
        throw SteeringError(std::string(who) + ": activations have " + std::to_string(x.cols) +
                            " features, the direction " + std::to_string(dim));
}

// Normalises `raw`, runs the sign check against `projection(v)`, applies the policy.
SteeringVector finish(std::vector<double> raw, double projection, const SteeringContext& ctx,
                      const std::string& label, const std::string& method, SignPolicy policy) {
    double norm = 0;
    for (double v : raw)
        norm += v * v;
    norm = std::sqrt(norm);
    if (!(norm > 0) || !std::isfinite(norm))
        throw SteeringError("steering vector for '" + label + "' (" + method +
                            "): the direction is zero or not finite");
    SteeringVector s;
    s.modelId = ctx.modelId;
    s.layer = ctx.layer;
    s.pooling = ctx.pooling;
    s.label = label;
    s.labelSet = ctx.labelSet;
    s.method = method;
    projection /= norm;
    if (!(projection > 0)) {
        if (policy == SignPolicy::Fail)
            throw SteeringError("steering vector for '" + label + "' (" + method + ", layer " +
                                std::to_string(ctx.layer) +
                                "): the direction points away from its class on the data (sign "
                                "check projection " +
                                std::to_string(projection) + " <= 0)");
        for (auto& v : raw)
            v = -v;
        projection = -projection;
        s.flipped = true;
    }
    s.signProjection = projection;
    s.direction.resize(raw.size());
    for (std::size_t j = 0; j < raw.size(); ++j)
        s.direction[j] = static_cast<float>(raw[j] / norm);
    return s;
}

// (class mean - overall mean) . raw: positive when the direction points to the class.
double classProjection(const FeatureMatrix& x, std::span<const std::int64_t> labels, int cls,
                       const std::vector<double>& raw, const std::string& label) {
    std::int64_t nClass = 0, nAll = 0;
    const auto mc = meanOfRows(x, labels, cls, false, nClass);
    const auto ma = meanOfRows(x, labels, -1, false, nAll);
    if (nClass == 0)
        throw SteeringError("steering vector for '" + label + "': no rows of that class");
    double p = 0;
    for (std::size_t j = 0; j < raw.size(); ++j)
        p += (mc[j] - ma[j]) * raw[j];
    return p;
}

std::string labelName(const SteeringContext& ctx, int cls) {
    if (cls >= 0 && cls < static_cast<int>(ctx.labelSet.size())) return ctx.labelSet[cls];
    return "class " + std::to_string(cls);
}

} // namespace

SteeringVector SteeringVector::fromProbe(const LinearProbe& probe, int classIndex,
                                         const FeatureMatrix& x,
                                         std::span<const std::int64_t> labels,
                                         const SteeringContext& context, SignPolicy policy) {
    checkShapes(x, labels.size(), probe.inputSize(), "SteeringVector::fromProbe");
    const std::string label = labelName(context, classIndex);
    auto raw = probe.inputSpaceDirection(classIndex);
    const double proj = classProjection(x, labels, classIndex, raw, label);
    return finish(std::move(raw), proj, context, label,
                  std::string("probe-") + probeKindName(probe.kind()), policy);
}

SteeringVector SteeringVector::fromClassMeans(const FeatureMatrix& x,
                                              std::span<const std::int64_t> labels, int classIndex,
                                              const SteeringContext& context, SignPolicy policy) {
    checkShapes(x, labels.size(), x.cols, "SteeringVector::fromClassMeans");
    const std::string label = labelName(context, classIndex);
    std::int64_t nIn = 0, nOut = 0;
    const auto in = meanOfRows(x, labels, classIndex, false, nIn);
    const auto out = meanOfRows(x, labels, classIndex, true, nOut);
    if (nIn == 0 || nOut == 0)
        throw SteeringError("steering vector for '" + label +
                            "' (mean-difference): needs rows of the class and of other classes");
    std::vector<double> raw(x.cols);
    for (std::int64_t j = 0; j < x.cols; ++j)
        raw[j] = in[j] - out[j];
    const double proj = classProjection(x, labels, classIndex, raw, label);
    return finish(std::move(raw), proj, context, label, "mean-difference", policy);
}

SteeringVector SteeringVector::fromRegression(const RegressionProbe& probe, const FeatureMatrix& x,
                                              std::span<const float> targets,
                                              const std::string& target,
                                              const SteeringContext& context, SignPolicy policy) {
    checkShapes(x, targets.size(), probe.inputSize(), "SteeringVector::fromRegression");
    auto raw = probe.inputSpaceDirection();
    // cov(x . raw, target): positive when moving along raw raises the target on this data.
    std::vector<double> proj(x.rows);
    double mp = 0, mt = 0;
    for (std::int64_t i = 0; i < x.rows; ++i) {
        double p = 0;
        for (std::int64_t j = 0; j < x.cols; ++j)
            p += x.at(i, j) * raw[j];
        proj[i] = p;
        mp += p;
        mt += targets[i];
    }
    mp /= static_cast<double>(x.rows);
    mt /= static_cast<double>(x.rows);
    double cov = 0;
    for (std::int64_t i = 0; i < x.rows; ++i)
        cov += (proj[i] - mp) * (targets[i] - mt);
    cov /= static_cast<double>(x.rows);
    return finish(std::move(raw), cov, context, target, "regression", policy);
}

void SteeringVector::save(const std::string& path) const {
    if (direction.empty()) throw SteeringError("steering vector '" + path + "': empty direction");
    models::SafetensorsWriter w;
    w.add("direction", models::DType::F32, {static_cast<int64_t>(direction.size())},
          direction.data(), direction.size() * sizeof(float));
    w.setMetadata("format", kFormat);
    w.setMetadata("model_id", modelId);
    w.setMetadata("layer", std::to_string(layer));
    w.setMetadata("pooling", pooling);
    w.setMetadata("label", label);
    w.setMetadata("label_set", nlohmann::json(labelSet).dump());
    w.setMetadata("method", method);
    w.setMetadata("hidden_size", std::to_string(direction.size()));
    w.setMetadata("sign_projection", nlohmann::json(signProjection).dump());
    w.setMetadata("flipped", flipped ? "true" : "false");
    w.write(path);
}

SteeringVector SteeringVector::load(const std::string& path, const std::string& expectedModelId) {
    const auto fail = [&](const std::string& what) -> SteeringError {
        return SteeringError("steering vector '" + path + "': " + what);
    };
    models::SafetensorsReader r = [&] {
        try {
            return models::SafetensorsReader::open(path);
        } catch (const std::exception& e) {
            throw SteeringError(e.what());
        }
    }();
    const auto& md = r.metadata();
    const auto get = [&](const std::string& key) -> const std::string& {
        auto it = md.find(key);
        if (it == md.end()) throw fail("metadata field '" + key + "' is missing");
        return it->second;
    };
    if (get("format") != kFormat)
        throw fail("not a steering vector (format '" + get("format") + "')");
    SteeringVector s;
    s.modelId = get("model_id");
    s.pooling = get("pooling");
    s.label = get("label");
    s.method = get("method");
    try {
        s.layer = std::stoi(get("layer"));
        s.labelSet = nlohmann::json::parse(get("label_set")).get<std::vector<std::string>>();
        s.signProjection = nlohmann::json::parse(get("sign_projection")).get<double>();
    } catch (const SteeringError&) {
        throw;
    } catch (const std::exception& e) {
        throw fail(std::string("malformed metadata (") + e.what() + ")");
    }
    s.flipped = get("flipped") == "true";
    const models::TensorInfo* t = r.find("direction");
    if (!t) throw fail("tensor 'direction' is missing");
    if (t->dtype != models::DType::F32 || t->shape.size() != 1 || t->shape[0] < 1)
        throw fail("tensor 'direction' must be F32 [D]");
    s.direction.resize(static_cast<std::size_t>(t->shape[0]));
    std::memcpy(s.direction.data(), r.data(*t).data(), t->nbytes);
    double norm = 0;
    for (float v : s.direction)
        norm += static_cast<double>(v) * v;
    if (!(std::abs(std::sqrt(norm) - 1.0) < 1e-4))
        throw fail("direction is not unit length (norm " + std::to_string(std::sqrt(norm)) + ")");
    if (!expectedModelId.empty() && expectedModelId != s.modelId)
        throw fail("vector was made for model '" + s.modelId + "', the loaded model is '" +
                   expectedModelId + "'");
    return s;
}

void SteeringVector::checkCompatible(const std::string& loadedModelId,
                                     std::int64_t loadedHiddenSize) const {
    if (loadedModelId != modelId)
        throw SteeringError("steering vector '" + label + "': vector was made for model '" +
                            modelId + "', the loaded model is '" + loadedModelId + "'");
    if (loadedHiddenSize != hiddenSize())
        throw SteeringError("steering vector '" + label + "': direction has " +
                            std::to_string(hiddenSize()) + " dimensions, the loaded model's " +
                            "hidden size is " + std::to_string(loadedHiddenSize));
}

void applySteering(float* h, int dim, const float* unitDirection, double alpha) {
    const SteeringTerm term{unitDirection, alpha};
    applySteering(h, dim, std::span<const SteeringTerm>(&term, 1));
}

void applySteering(float* h, int dim, std::span<const SteeringTerm> terms) {
    double norm2 = 0;
    for (int j = 0; j < dim; ++j)
        norm2 += static_cast<double>(h[j]) * h[j];
    const double norm = std::sqrt(norm2);
    if (!(norm > 0) || terms.empty()) return;
    // Two passes so no scratch buffer is needed: first the new norm, then write.
    double newNorm2 = 0;
    for (int j = 0; j < dim; ++j) {
        double v = h[j];
        for (const auto& t : terms)
            v += t.alpha * norm * t.unitDirection[j];
        newNorm2 += v * v;
    }
    const double newNorm = std::sqrt(newNorm2);
    if (!(newNorm > 0) || !std::isfinite(newNorm))
        return; // h was cancelled exactly: no direction to keep, leave it as it was
    const double scale = norm / newNorm;
    for (int j = 0; j < dim; ++j) {
        double v = h[j];
        for (const auto& t : terms)
            v += t.alpha * norm * t.unitDirection[j];
        h[j] = static_cast<float>(v * scale);
    }
}

void applySteeringRows(float* rows, std::int64_t count, int dim,
                       std::span<const SteeringTerm> terms) {
    for (std::int64_t i = 0; i < count; ++i)
        applySteering(rows + i * dim, dim, terms);
}

} // namespace moodsteer
