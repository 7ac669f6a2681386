// The studio's EngineClient: owns the engine thread and its EngineWorker, forwards requests
// by queued calls and re-emits the worker's signals on the GUI thread. Never blocks the GUI
// (the destructor cancels and joins the thread, at exit only).
#pragma once

#include "widgets/EngineClient.h"

#include <QThread>

#include <atomic>

namespace moodsteer::studio {

class EngineWorker;

class ThreadedEngineClient : public widgets::EngineClient {
    Q_OBJECT
  public:
    explicit ThreadedEngineClient(QObject* parent = nullptr);
    ~ThreadedEngineClient() override;

    void loadModel(const QString& folder, int threads) override;
    void generate(const Recipe& recipe) override;
    void cancel() override;
    bool isBusy() const override { return busy_; }
    std::optional<ModelInfo> modelInfo() const override { return info_; }
    QString embeddedModelFolder() const override;
    QString emotionPredictorUnavailableReason() const override;
    void predictEmotion(const QString& clipId, const AudioBuffer& audio) override;
    void exploreLayers(const widgets::LayerExplorerRequest& request) override;
    void runEmotionBenchmark(const EmotionBenchmarkOptions& options) override;

    /// The default emotion head: resources/emotion/emotion_head_dsp.safetensors.
    static QString defaultEmotionHeadPath();

  signals:
    // Internal: queued to the worker on the engine thread.
    void requestLoad(const QString& folder, int threads);
    void requestGenerate(const moodsteer::Recipe& recipe);
    void requestPrediction(const QString& clipId, const moodsteer::AudioBuffer& audio,
                           const QString& headPath);
    void requestExplore(const moodsteer::widgets::LayerExplorerRequest& request);
    void requestBenchmark(const moodsteer::EmotionBenchmarkOptions& options,
                          const QString& headPath);

  private:
    QThread thread_;
    EngineWorker* worker_;
    std::atomic<bool> cancel_{false};
    bool busy_ = false;
    bool loading_ = false;
    std::optional<ModelInfo> info_;
};

} // namespace moodsteer::studio
