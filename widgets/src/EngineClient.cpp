#include "widgets/EngineClient.h"

namespace moodsteer::widgets {

void registerEngineMetaTypes() {
    qRegisterMetaType<moodsteer::Recipe>();
    qRegisterMetaType<moodsteer::ModelInfo>();
    qRegisterMetaType<moodsteer::GenerationProgress>();
    qRegisterMetaType<moodsteer::GenerationResult>();
    qRegisterMetaType<moodsteer::AudioBuffer>();
    qRegisterMetaType<moodsteer::ClipPrediction>();
    qRegisterMetaType<moodsteer::LayerAnalysisReport>();
    qRegisterMetaType<moodsteer::EmotionBenchmarkOptions>();
    qRegisterMetaType<moodsteer::EmotionBenchmarkClip>();
    qRegisterMetaType<moodsteer::EmotionBenchmarkReport>();
    qRegisterMetaType<moodsteer::widgets::LayerExplorerRequest>();
    qRegisterMetaType<QVector<float>>();
}

} // namespace moodsteer::widgets
