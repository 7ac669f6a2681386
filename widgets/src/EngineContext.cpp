#include "widgets/EngineContext.h"

#include "core/alignment/AlignmentModel.h"
#include "core/hub/ModelUnload.h"
#include "core/variations/VariationGenerator.h"

namespace moodsteer::widgets {

EngineContext::EngineContext() = default;
EngineContext::~EngineContext() = default;

MusicEngine& EngineContext::requireEngine() const {
    if (!engine_)
        throw EngineError("No model is loaded: choose one in the prompt panel's model chooser "
                          "and press Load.");
    return *engine_;
}

void EngineContext::setEngine(std::unique_ptr<MusicEngine> engine) {
    engine_.reset();
    engine_ = std::move(engine);
}

void EngineContext::setProvenance(ModelSource source, std::string precision) {
    source_ = std::move(source);
    precision_ = std::move(precision);
}

double EngineContext::unloadEngine() {
    source_ = {};
    precision_.clear();
    return moodsteer::unloadModel(engine_);
}

const EmotionPredictor& EngineContext::predictor(const std::string& headPath) {
    if (!predictor_ || predictorPath_ != headPath) {
        predictor_.reset();
        predictor_ = std::make_unique<EmotionPredictor>(EmotionPredictor::load(headPath));
        predictorPath_ = headPath;
    }
    return *predictor_;
}

const AlignmentModel& EngineContext::alignment(const std::string& path) {
    if (!alignment_ || alignmentPath_ != path) {
        alignment_.reset();
        alignment_ = std::make_unique<AlignmentModel>(AlignmentModel::load(path));
        alignmentPath_ = path;
    }
    return *alignment_;
}

VariationGenerator& EngineContext::variationGenerator() {
    if (!variations_) {
        const std::string folder = VariationGenerator::shippedFolder();
        if (folder.empty())
            throw std::runtime_error("The variations model is not installed (resources/variations "
                                     "is missing): reinstall the studio or run "
                                     "scripts/train-variations.sh");
        variations_ = VariationGenerator::load(folder);
    }
    return *variations_;
}

} // namespace moodsteer::widgets
