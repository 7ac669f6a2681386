// The studio's view of the engine: requests go in as value structs, results come back as
// queued signals. The real implementation (app/studio) runs MusicEngine on its own thread;
// tests use a fake. Widgets never see LibTorch.
//
// Threading: all methods are called on the GUI thread and return at once; signals are
// delivered on the GUI thread.
#pragma once

#include "widgets/CoreMetaTypes.h"

#include <QObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include <optional>

namespace moodsteer::widgets {

/// A layer-explorer run: collect activations (from a labelled folder, or from clips the model
/// generates per genre), then analyse every layer.
struct LayerExplorerRequest {
    QString folder;     ///< folder with labels.csv; empty: generate
    QStringList labels; ///< generate: genres (empty: the model's own)
    int perLabel = 8;   ///< generate: clips per genre
    double seconds = 5.0;
    std::uint64_t seed = 1;
    QString activationPath; ///< where the activation set is written (kept for re-analysis)
};

/// Registers the core value types for queued connections (call once before connecting).
void registerEngineMetaTypes();

class EngineClient : public QObject {
    Q_OBJECT
  public:
    using QObject::QObject;
    ~EngineClient() override = default;

    /// Loads a model folder in the background (modelLoaded or modelLoadFailed follows).
    virtual void loadModel(const QString& folder, int threads) = 0;
    /// Starts one generation (generationStarted, progress/audio, then finished or failed).
    virtual void generate(const moodsteer::Recipe& recipe) = 0;
    /// Asks the running generation to stop; it finishes with `cancelled` set.
    virtual void cancel() = 0;
    virtual bool isBusy() const = 0;
    virtual std::optional<moodsteer::ModelInfo> modelInfo() const = 0;
    /// Where the embedded default model lives ("" when it is not installed).
    virtual QString embeddedModelFolder() const = 0;

    /// Why the emotion predictor cannot run ("" when it can: its head file is installed).
    virtual QString emotionPredictorUnavailableReason() const = 0;
    /// Predicts a clip's valence and arousal on the engine thread, after any running request
    /// (emotionPredicted or emotionPredictionFailed follows, naming `clipId`).
    virtual void predictEmotion(const QString& clipId, const moodsteer::AudioBuffer& audio) = 0;
    /// Runs the layer explorer on the engine thread (layerProgress..., then layerReportReady
    /// or layerExplorerFailed); cancel() stops it.
    virtual void exploreLayers(const LayerExplorerRequest& request) = 0;
    /// Generates and predicts clips over a valence-arousal grid (core/EmotionBenchmark.h) on
    /// the engine thread: benchmarkProgress per clip, then benchmarkFinished or
    /// benchmarkFailed; cancel() stops it. Needs the emotion predictor.
    virtual void runEmotionBenchmark(const moodsteer::EmotionBenchmarkOptions& options) = 0;

  signals:
    void modelLoadStarted(const QString& folder);
    void modelLoaded(const moodsteer::ModelInfo& info);
    void modelLoadFailed(const QString& message);
    void generationStarted(const moodsteer::Recipe& recipe, int sampleRate);
    void generationProgress(const moodsteer::GenerationProgress& progress);
    void audioChunk(const QVector<float>& samples);
    void generationFinished(const moodsteer::GenerationResult& result);
    void generationFailed(const QString& message);
    void emotionPredicted(const QString& clipId, const moodsteer::ClipPrediction& prediction);
    void emotionPredictionFailed(const QString& clipId, const QString& message);
    void layerProgress(int done, int total, const QString& stage);
    void layerReportReady(const moodsteer::LayerAnalysisReport& report);
    void layerExplorerFailed(const QString& message);
    void benchmarkProgress(int done, int total, const moodsteer::EmotionBenchmarkClip& clip);
    void benchmarkFinished(const moodsteer::EmotionBenchmarkReport& report);
    void benchmarkFailed(const QString& message);
};

} // namespace moodsteer::widgets

Q_DECLARE_METATYPE(moodsteer::widgets::LayerExplorerRequest)
