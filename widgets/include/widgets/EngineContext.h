// What engine jobs share on the engine thread: the loaded model, the emotion predictor and the
// text-audio alignment model (each loaded on first use, once per file). Plain C++ over core's
// torch-free headers.
//
// Threading: owned by the engine worker; every method runs on the engine thread only.
#pragma once

#include "core/emotion/EmotionPredictor.h"
#include "core/engine/MusicEngine.h"
#include "core/hub/ModelLocator.h"

#include <memory>
#include <string>

namespace moodsteer {
class AlignmentModel;
class VariationGenerator;
} // namespace moodsteer

namespace moodsteer::widgets {

class EngineContext {
  public:
    EngineContext();
    ~EngineContext();

    /// The loaded model, or null.
    MusicEngine* engine() const { return engine_.get(); }
    /// The loaded model; throws EngineError (one line: load a model first) without one.
    MusicEngine& requireEngine() const;
    /// Frees the current model first (two models need not fit in memory together).
    void setEngine(std::unique_ptr<MusicEngine> engine);
    /// Where the loaded model's weights came from and at which precision, stamped into the
    /// recipe of every clip it makes (ModelLocator::stamp). Cleared by unloadEngine().
    void setProvenance(ModelSource source, std::string precision);
    const ModelSource& source() const { return source_; }
    const std::string& precision() const { return precision_; }
    /// Frees the model and trims the heap (core's unloadModel); returns the resident MB freed.
    double unloadEngine();

    /// The emotion head at `headPath`, loaded on first use; throws naming the file.
    const EmotionPredictor& predictor(const std::string& headPath);
    /// The alignment model at `path`, loaded on first use; throws naming the file.
    const AlignmentModel& alignment(const std::string& path);
    /// The shipped variations model (resources/variations), loaded on first use; throws one
    /// line when it is not installed or cannot be read.
    VariationGenerator& variationGenerator();

  private:
    std::unique_ptr<MusicEngine> engine_;
    ModelSource source_;
    std::string precision_;
    std::unique_ptr<EmotionPredictor> predictor_;
    std::string predictorPath_;
    std::unique_ptr<AlignmentModel> alignment_;
    std::string alignmentPath_;
    std::unique_ptr<VariationGenerator> variations_;
};

} // namespace moodsteer::widgets
