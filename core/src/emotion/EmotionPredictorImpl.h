// EmotionPredictor's private state (LibTorch), shared by the predictor and its trainer.
#pragma once

#include "core/emotion/EmotionPredictor.h"
#include "emotion/RidgeEmotionHead.h"
#include "models/EmotionHead.h"

#include <optional>

namespace moodsteer {

struct EmotionPredictor::Impl {
    models::EmotionHead head{nullptr};     ///< kind "mlp"
    std::optional<RidgeEmotionHead> ridge; ///< kind "ridge"
    EmotionHeadInfo info;
    std::shared_ptr<const AudioFeatureEncoder> encoder;
};

/// The metadata a head file carries (format tag, encoder, layer, window, sizes).
std::map<std::string, std::string> headMetadata(const EmotionHeadInfo& info);

} // namespace moodsteer
