// Runs the MusicEngine on the engine thread. Requests arrive as queued slot calls with value
// arguments; progress, audio chunks and results leave as signals (queued to the GUI thread).
// Cancellation is the atomic flag the client owns, read by the engine between decode steps.
//
// Threading: constructed on the GUI thread, then moved to the engine thread; every slot runs
// on the engine thread; nothing here touches a widget.
#pragma once

#include "widgets/CoreMetaTypes.h"
#include "widgets/EngineClient.h"

#include <QObject>
#include <QString>
#include <QVector>

#include <atomic>
#include <memory>

namespace moodsteer::studio {

class EngineWorker : public QObject {
    Q_OBJECT
  public:
    explicit EngineWorker(const std::atomic<bool>* cancel, QObject* parent = nullptr);
    ~EngineWorker() override;

    /// Audio chunks are gathered to at least this many samples before a signal (~0.1 s),
    /// so the GUI is not flooded once per decode step.
    static constexpr int kChunkSamples = 3200;

  public slots:
    /// `folder` empty: the embedded model.
    void load(const QString& folder, int threads);
    void generate(const moodsteer::Recipe& recipe);
    /// Loads the emotion head on first use (from `headPath`), then predicts `audio`.
    void predictEmotion(const QString& clipId, const moodsteer::AudioBuffer& audio,
                        const QString& headPath);
    /// Collects activations (folder or generated), then analyses every layer.
    void exploreLayers(const moodsteer::widgets::LayerExplorerRequest& request);
    void runEmotionBenchmark(const moodsteer::EmotionBenchmarkOptions& options,
                             const QString& headPath);

  signals:
    void loaded(const moodsteer::ModelInfo& info);
    void loadFailed(const QString& message);
    void started(const moodsteer::Recipe& recipe, int sampleRate);
    void progress(const moodsteer::GenerationProgress& progress);
    void audioChunk(const QVector<float>& samples);
    void finished(const moodsteer::GenerationResult& result);
    void failed(const QString& message);
    void emotionPredicted(const QString& clipId, const moodsteer::ClipPrediction& prediction);
    void emotionPredictionFailed(const QString& clipId, const QString& message);
    void layerProgress(int done, int total, const QString& stage);
    void layerReportReady(const moodsteer::LayerAnalysisReport& report);
    void layerExplorerFailed(const QString& message);
    void benchmarkProgress(int done, int total, const moodsteer::EmotionBenchmarkClip& clip);
    void benchmarkFinished(const moodsteer::EmotionBenchmarkReport& report);
    void benchmarkFailed(const QString& message);

  private:
    /// Loads the emotion head (once per path); throws naming the file.
    const EmotionPredictor& predictor(const QString& headPath);

    const std::atomic<bool>* cancel_;
    std::unique_ptr<MusicEngine> engine_;
    std::unique_ptr<EmotionPredictor> predictor_;
    QString predictorPath_;
};

} // namespace moodsteer::studio
