#include "core/steering/SteeringPlan.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace moodsteer {

void SteeringPlan::add(SteeringVector vector, double alpha, SteeringSchedule schedule, int layer,
                       double start, double end) {
    if (!(start >= 0 && start < end && end <= 1))
        throw SteeringError("steering '" + vector.label + "': ramp window [" +
                            std::to_string(start) + ", " + std::to_string(end) +
                            "] must satisfy 0 <= start < end <= 1");
    if (!std::isfinite(alpha))
        throw SteeringError("steering '" + vector.label + "': alpha is not finite");
    Entry e;
    e.layer = layer >= 0 ? layer : vector.layer;
    if (e.layer < 0)
        throw SteeringError("steering '" + vector.label + "': no layer given and none stored");
    e.vector = std::move(vector);
    e.alpha = alpha;
    e.schedule = schedule;
    e.start = start;
    e.end = end;
    entries_.push_back(std::move(e));
}

void SteeringPlan::addTransition(SteeringVector from, SteeringVector to, const CrossFade& fade,
                                 int layer) {
    add(std::move(from), fade.alphaFrom, SteeringSchedule::RampDown, layer, fade.start, fade.end);
    add(std::move(to), fade.alphaTo, SteeringSchedule::RampUp, layer, fade.start, fade.end);
}

SteeringPlan
SteeringPlan::fromRecipe(const std::vector<SteeringSpec>& specs, const std::string& modelId,
                         std::int64_t hiddenSize, int numLayers,
                         const std::function<SteeringVector(const SteeringSpec&)>& resolveBuiltIn) {
    SteeringPlan plan;
    for (const auto& spec : specs) {
        SteeringVector v;
        if (!spec.vectorPath.empty()) {
            v = SteeringVector::load(spec.vectorPath, modelId);
        } else {
            if (!resolveBuiltIn)
                throw SteeringError("steering '" + spec.label +
                                    "': no vector file given and no built-in vectors available");
            v = resolveBuiltIn(spec);
        }
        plan.add(std::move(v), spec.alpha, spec.schedule, spec.layer);
    }
    plan.checkCompatible(modelId, hiddenSize, numLayers);
    return plan;
}

void SteeringPlan::checkCompatible(const std::string& modelId, std::int64_t hiddenSize,
                                   int numLayers) const {
    for (const auto& e : entries_) {
        e.vector.checkCompatible(modelId, hiddenSize);
        if (e.layer >= numLayers)
            throw SteeringError("steering '" + e.vector.label + "': layer " +
                                std::to_string(e.layer) + " but the model has " +
                                std::to_string(numLayers) + " layers");
    }
}

std::vector<int> SteeringPlan::layers() const {
    std::vector<int> out;
    for (const auto& e : entries_)
        out.push_back(e.layer);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

bool SteeringPlan::steersLayer(int layer) const {
    return std::any_of(entries_.begin(), entries_.end(),
                       [layer](const Entry& e) { return e.layer == layer; });
}

double SteeringPlan::alphaAt(std::size_t i, double t) const {
    const Entry& e = entries_.at(i);
    return scheduledAlpha(e.schedule, e.alpha, t, e.start, e.end);
}

void SteeringPlan::apply(int layer, double t, float* rows, std::int64_t count, int dim) const {
    // A fixed-size batch keeps the hook allocation-free; more vectors on one layer than fit
    // are applied in further batches (each batch renormalises).
    std::array<SteeringTerm, 16> terms;
    std::size_t n = 0;
    const auto flush = [&] {
        if (n > 0)
            applySteeringRows(rows, count, dim, std::span<const SteeringTerm>(terms.data(), n));
        n = 0;
    };
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        const Entry& e = entries_[i];
        if (e.layer != layer || e.vector.hiddenSize() != dim) continue;
        // Windows were validated in add(), so scheduledAlpha cannot throw here.
        const double a = scheduledAlpha(e.schedule, e.alpha, t, e.start, e.end);
        if (a == 0.0) continue;
        terms[n++] = {e.vector.direction.data(), a};
        if (n == terms.size()) flush();
    }
    flush();
}

} // namespace moodsteer
