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
        if (spec.hasRange())
            plan.setRange(plan.entries_.size() - 1, spec.fromSeconds.value_or(0.0),
                          spec.toSeconds.value_or(INFINITY));
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

void SteeringPlan::setRange(std::size_t i, double fromSeconds, double toSeconds) {
    Entry& e = entries_.at(i);
    if (!(fromSeconds >= 0 && fromSeconds < toSeconds) || std::isnan(toSeconds))
        throw SteeringError("steering '" + e.vector.label + "': time range [" +
                            std::to_string(fromSeconds) + ", " + std::to_string(toSeconds) +
                            ") s must satisfy 0 <= from < to");
    e.fromSeconds = fromSeconds;
    e.toSeconds = toSeconds;
}

double SteeringPlan::alphaAt(std::size_t i, double t) const {
    const Entry& e = entries_.at(i);
    if (e.ranged()) return 0.0;
    return scheduledAlpha(e.schedule, e.alpha, t, e.start, e.end);
}

namespace {

// Validated in add()/setRange(), so scheduledAlpha cannot throw here.
double entryAlpha(const SteeringPlan::Entry& e, SteeringTime t) {
    if (!e.ranged()) return scheduledAlpha(e.schedule, e.alpha, t.clip, e.start, e.end);
    if (!(t.seconds >= e.fromSeconds && t.seconds < e.toSeconds)) return 0.0;
    const double u = std::isfinite(e.toSeconds)
                         ? (t.seconds - e.fromSeconds) / (e.toSeconds - e.fromSeconds)
                         : t.clip;
    return scheduledAlpha(e.schedule, e.alpha, u, e.start, e.end);
}

} // namespace

double SteeringPlan::alphaAt(std::size_t i, SteeringTime t) const {
    return entryAlpha(entries_.at(i), t);
}

void SteeringPlan::apply(int layer, double t, float* rows, std::int64_t count, int dim) const {
    // Unranged entries only, as before ranges existed (seconds NaN switches ranged ones off).
    apply(layer, SteeringTime{t, NAN}, rows, count, dim);
}

void SteeringPlan::apply(int layer, SteeringTime t, float* rows, std::int64_t count,
                         int dim) const {
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
        const double a = entryAlpha(e, t);
        if (a == 0.0) continue;
        terms[n++] = {e.vector.direction.data(), a};
        if (n == terms.size()) flush();
    }
    flush();
}

} // namespace moodsteer
