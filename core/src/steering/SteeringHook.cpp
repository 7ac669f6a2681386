#include "steering/SteeringHook.h"

#include "core/steering/SteeringSchedule.h"

#include <ATen/ATen.h>

#include <cmath>

namespace moodsteer {

SteeringHook::SteeringHook(std::shared_ptr<const SteeringPlan> plan, int conditionalRows,
                           int totalSteps, const models::DecoderHooks* observer)
    : plan_(std::move(plan)), conditionalRows_(conditionalRows), totalSteps_(totalSteps) {
    if (plan_ && !plan_->empty()) {
        active_ = true;
        hooks_.intervene = [this](int layer, torch::Tensor& residual) {
            if (layer < 0 || !plan_->steersLayer(layer)) return;
            steerRows(*plan_, layer, time_, residual, conditionalRows_);
        };
    }
    if (observer) {
        active_ = active_ || observer->onResidual || observer->onAttention;
        hooks_.onResidual = observer->onResidual;
        hooks_.onAttention = observer->onAttention;
    }
}

void SteeringHook::setStep(int step) {
    time_ = {clipPosition(step, totalSteps_), NAN};
}

void SteeringHook::steerRows(const SteeringPlan& plan, int layer, double t, torch::Tensor& residual,
                             int conditionalRows) {
    steerRows(plan, layer, SteeringTime{t, NAN}, residual, conditionalRows);
}

void SteeringHook::steerRows(const SteeringPlan& plan, int layer, SteeringTime t,
                             torch::Tensor& residual, int conditionalRows) {
    const auto dim = residual.size(-1);
    auto cond = residual.narrow(0, 0, conditionalRows); // a view: narrowing dim 0 stays contiguous
    if (cond.scalar_type() == at::kFloat && cond.is_contiguous()) {
        plan.apply(layer, t, cond.data_ptr<float>(), cond.numel() / dim, static_cast<int>(dim));
        return;
    }
    auto f = cond.to(at::kFloat).contiguous();
    plan.apply(layer, t, f.data_ptr<float>(), f.numel() / dim, static_cast<int>(dim));
    cond.copy_(f);
}

} // namespace moodsteer
