// Steering strength over a clip: alpha(t) for t in [0, 1] (0 = first decode step, 1 = last)
// for the schedules a Recipe names (constant, ramp up, ramp down) and the genre-transition
// cross-fade (alpha of the source falls while alpha of the target rises).
// The schedule kinds are Recipe.h's `SteeringSchedule` enum; this header adds their meaning.
#pragma once

#include "core/engine/Recipe.h"

#include <string>
#include <utility>

namespace moodsteer {

/// Gain in [0, 1] at clip position t: Constant 1; RampUp 0 -> 1 and RampDown 1 -> 0, linear
/// between `start` and `end` (fractions of the clip; held before and after). t is clamped to
/// [0, 1]. Throws std::invalid_argument unless 0 <= start < end <= 1.
double scheduleGain(SteeringSchedule schedule, double t, double start = 0.0, double end = 1.0);
/// alpha x scheduleGain(...).
double scheduledAlpha(SteeringSchedule schedule, double alpha, double t, double start = 0.0,
                      double end = 1.0);

/// "constant" | "ramp-up" | "ramp-down"; the inverse throws std::invalid_argument naming it.
const char* steeringScheduleName(SteeringSchedule schedule);
SteeringSchedule steeringScheduleFromName(const std::string& name);

/// Position in the clip of decode step `step` of `totalSteps` (0 for the first, 1 for the
/// last; 0 when there is a single step).
double clipPosition(int step, int totalSteps);

/// A genre transition A -> B: alpha_A falls from alphaFrom to 0 while alpha_B rises from 0 to
/// alphaTo, linearly between start and end.
struct CrossFade {
    double alphaFrom = 0.5;
    double alphaTo = 0.5;
    double start = 0.0;
    double end = 1.0;

    /// {alpha_A(t), alpha_B(t)}.
    std::pair<double, double> alphasAt(double t) const;
};

} // namespace moodsteer
