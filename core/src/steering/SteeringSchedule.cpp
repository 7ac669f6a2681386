#include "core/steering/SteeringSchedule.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace moodsteer {

namespace {
double rampPosition(double t, double start, double end) {
    if (!(start >= 0 && start < end && end <= 1))
        throw std::invalid_argument("steering schedule: need 0 <= start < end <= 1, got start " +
                                    std::to_string(start) + ", end " + std::to_string(end));
    t = std::clamp(t, 0.0, 1.0);
    return std::clamp((t - start) / (end - start), 0.0, 1.0);
}
} // namespace

double scheduleGain(SteeringSchedule schedule, double t, double start, double end) {
    const double u = rampPosition(t, start, end);
    switch (schedule) {
    case SteeringSchedule::Constant:
        return 1.0;
    case SteeringSchedule::RampUp:
        return u;
    case SteeringSchedule::RampDown:
        return 1.0 - u;
    }
    throw std::invalid_argument("steering schedule: unknown kind");
}

double scheduledAlpha(SteeringSchedule schedule, double alpha, double t, double start, double end) {
    return alpha * scheduleGain(schedule, t, start, end);
}

const char* steeringScheduleName(SteeringSchedule schedule) {
    switch (schedule) {
    case SteeringSchedule::Constant:
        return "constant";
    case SteeringSchedule::RampUp:
        return "ramp-up";
    case SteeringSchedule::RampDown:
        return "ramp-down";
    }
    return "constant";
}

SteeringSchedule steeringScheduleFromName(const std::string& name) {
    if (name == "constant") return SteeringSchedule::Constant;
    if (name == "ramp-up") return SteeringSchedule::RampUp;
    if (name == "ramp-down") return SteeringSchedule::RampDown;
    throw std::invalid_argument("steering schedule '" + name +
                                "': expected constant, ramp-up or ramp-down");
}

double clipPosition(int step, int totalSteps) {
    if (totalSteps <= 1) return 0.0;
    return std::clamp(static_cast<double>(step) / (totalSteps - 1), 0.0, 1.0);
}

std::pair<double, double> CrossFade::alphasAt(double t) const {
    const double u = rampPosition(t, start, end);
    return {alphaFrom * (1.0 - u), alphaTo * u};
}

} // namespace moodsteer
