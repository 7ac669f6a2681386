// The steering a generation applies: vectors with their layer, strength and schedule, grouped
// so that the decoder hook of layer L can steer its rows in one call. Built once per
// generation (from a Recipe's steering list or by hand), then immutable: the engine swaps a
// std::shared_ptr<const SteeringPlan> atomically and reads it once per decode step.
//
// Threading: building (add*, fromRecipe) on any thread; once published, apply()/alphaAt() are
// const, allocation-free and exception-free, safe to call from the engine thread's hooks.
#pragma once

#include "core/engine/Recipe.h"
#include "core/steering/SteeringSchedule.h"
#include "core/steering/SteeringVector.h"

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace moodsteer {

/// Where a decode step is: `clip` in [0, 1] over the whole clip or session (what unranged
/// schedules follow) and `seconds` from its start (what ranged entries follow).
struct SteeringTime {
    double clip = 0;
    double seconds = 0;
};

class SteeringPlan {
  public:
    struct Entry {
        SteeringVector vector;
        int layer = -1;   ///< resolved layer (the vector's own unless overridden)
        double alpha = 0; ///< peak strength; negative pushes away
        SteeringSchedule schedule = SteeringSchedule::Constant;
        double start = 0.0; ///< ramp window (fractions of the clip)
        double end = 1.0;
        /// Time range in seconds (SteeringSpec::fromSeconds/toSeconds): outside it the entry
        /// is off; inside, its schedule runs from `fromSeconds` to `toSeconds` (or, with an
        /// open end, over the clip position). Unranged: [0, inf).
        double fromSeconds = 0.0;
        double toSeconds = INFINITY;
        bool ranged() const { return fromSeconds > 0 || toSeconds < INFINITY; }
    };

    /// `layer` < 0 uses the layer stored with the vector.
    void add(SteeringVector vector, double alpha,
             SteeringSchedule schedule = SteeringSchedule::Constant, int layer = -1,
             double start = 0.0, double end = 1.0);
    /// A transition A -> B: A ramps down from fade.alphaFrom, B ramps up to fade.alphaTo.
    void addTransition(SteeringVector from, SteeringVector to, const CrossFade& fade,
                       int layer = -1);

    /// Loads every SteeringSpec's vector file (spec.vectorPath); specs without a path go to
    /// `resolveBuiltIn` (throws SteeringError when it is empty). Checks each vector against
    /// the model (id and hidden size) and the layer range.
    static SteeringPlan
    fromRecipe(const std::vector<SteeringSpec>& specs, const std::string& modelId,
               std::int64_t hiddenSize, int numLayers,
               const std::function<SteeringVector(const SteeringSpec&)>& resolveBuiltIn = {});

    /// Throws SteeringError naming the vector when it was made for another model, has another
    /// hidden size, or targets a layer outside [0, numLayers).
    void checkCompatible(const std::string& modelId, std::int64_t hiddenSize, int numLayers) const;

    bool empty() const { return entries_.empty(); }
    const std::vector<Entry>& entries() const { return entries_; }
    /// Sorted, unique layers that have at least one vector.
    std::vector<int> layers() const;
    bool steersLayer(int layer) const;

    /// Limits entry `i` to [fromSeconds, toSeconds). Throws SteeringError unless
    /// 0 <= from < to.
    void setRange(std::size_t i, double fromSeconds, double toSeconds);

    /// Strength of entry `i` at clip position t in [0, 1] (ranged entries: off).
    double alphaAt(std::size_t i, double t) const;
    double alphaAt(std::size_t i, SteeringTime t) const;
    /// Steers `count` rows of width `dim` (the conditional branch's positions at `layer`) at
    /// clip position t: applySteering with every vector of that layer at its scheduled alpha.
    /// No-op for layers without vectors.
    void apply(int layer, double t, float* rows, std::int64_t count, int dim) const;
    /// The same at a step's clip position and time (ranged entries follow the seconds).
    void apply(int layer, SteeringTime t, float* rows, std::int64_t count, int dim) const;

  private:
    std::vector<Entry> entries_;
};

} // namespace moodsteer
