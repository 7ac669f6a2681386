#include "widgets/EngineContext.h"

namespace moodsteer::widgets {

EngineContext::EngineContext() = default;
EngineContext::~EngineContext() = default;

MusicEngine& EngineContext::requireEngine() const {
    if (!engine_) throw EngineError("No model is loaded.");
    return *engine_;
}

void EngineContext::setEngine(std::unique_ptr<MusicEngine> engine) {
    engine_.reset();
    engine_ = std::move(engine);
}

const EmotionPredictor& EngineContext::predictor(const std::string& headPath) {
    if (!predictor_ || predictorPath_ != headPath) {
        predictor_.reset();
        predictor_ = std::make_unique<EmotionPredictor>(EmotionPredictor::load(headPath));
        predictorPath_ = headPath;
    }
    return *predictor_;
}

} // namespace moodsteer::widgets
