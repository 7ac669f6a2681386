// The decoder hooks a steered generation runs with: SteeringPlan::apply on the conditional
// rows [0, B) of the CFG batch at the plan's layers, with the schedule evaluated at the
// current decode step (set before every step by GeneratorOptions::beforeStep). Optional
// observers (activation collection) are chained after the intervention, so they see the
// steered residual exactly as the next layer does.
#pragma once

#include "core/steering/SteeringPlan.h"
#include "models/MusicgenDecoder.h"

#include <memory>

namespace moodsteer {

class SteeringHook {
  public:
    /// `plan` may be null (no steering: intervene is left empty, zero cost); `observer` may be
    /// null. `conditionalRows` = B, `totalSteps` = decode steps of the clip.
    SteeringHook(std::shared_ptr<const SteeringPlan> plan, int conditionalRows, int totalSteps,
                 const models::DecoderHooks* observer = nullptr);

    /// Clip position of decode step `step` of this clip (ranged entries off: no clock).
    void setStep(int step);
    /// The step's place on the session clock (windowed and time-ranged steering).
    void setTime(SteeringTime time) { time_ = time; }
    /// null when neither steering nor observation is requested.
    const models::DecoderHooks* hooks() const { return active_ ? &hooks_ : nullptr; }

    /// Steers the rows [0, conditionalRows) of `residual` ([rows, T, D]) in place with `plan`
    /// at clip position t. Any floating dtype (non-f32 residuals round-trip through f32).
    static void steerRows(const SteeringPlan& plan, int layer, double t, torch::Tensor& residual,
                          int conditionalRows);
    static void steerRows(const SteeringPlan& plan, int layer, SteeringTime t,
                          torch::Tensor& residual, int conditionalRows);

  private:
    std::shared_ptr<const SteeringPlan> plan_;
    int conditionalRows_;
    int totalSteps_;
    SteeringTime time_{0.0, NAN};
    bool active_ = false;
    models::DecoderHooks hooks_;
};

} // namespace moodsteer
