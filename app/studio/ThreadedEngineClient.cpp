#include "ThreadedEngineClient.h"

#include "EngineWorker.h"

#include "core/DefaultEmotionHead.h"

#include <QFileInfo>

namespace moodsteer::studio {

ThreadedEngineClient::ThreadedEngineClient(QObject* parent) : EngineClient(parent) {
    widgets::registerEngineMetaTypes();
    thread_.setObjectName("engine");
    worker_ = new EngineWorker(&cancel_);
    worker_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
    // Requests: GUI -> engine thread (queued because the worker lives there).
    connect(this, &ThreadedEngineClient::requestLoad, worker_, &EngineWorker::load);
    connect(this, &ThreadedEngineClient::requestGenerate, worker_, &EngineWorker::generate);
    connect(this, &ThreadedEngineClient::requestPrediction, worker_, &EngineWorker::predictEmotion);
    connect(worker_, &EngineWorker::emotionPredicted, this, &EngineClient::emotionPredicted);
    connect(this, &ThreadedEngineClient::requestExplore, worker_, &EngineWorker::exploreLayers);
    connect(worker_, &EngineWorker::layerProgress, this, &EngineClient::layerProgress);
    connect(this, &ThreadedEngineClient::requestBenchmark, worker_,
            &EngineWorker::runEmotionBenchmark);
    connect(worker_, &EngineWorker::benchmarkProgress, this, &EngineClient::benchmarkProgress);
    connect(worker_, &EngineWorker::benchmarkFinished, this, &EngineClient::benchmarkFinished);
    connect(worker_, &EngineWorker::benchmarkFailed, this, &EngineClient::benchmarkFailed);
    connect(worker_, &EngineWorker::layerReportReady, this, &EngineClient::layerReportReady);
    connect(worker_, &EngineWorker::layerExplorerFailed, this, &EngineClient::layerExplorerFailed);
    connect(worker_, &EngineWorker::emotionPredictionFailed, this,
            &EngineClient::emotionPredictionFailed);
    // Results: engine thread -> GUI (queued because this object lives on the GUI thread).
    connect(worker_, &EngineWorker::loaded, this, [this](const ModelInfo& info) {
        loading_ = false;
        info_ = info;
        emit modelLoaded(info);
    });
    connect(worker_, &EngineWorker::loadFailed, this, [this](const QString& message) {
        loading_ = false;
        info_.reset();
        emit modelLoadFailed(message);
    });
    connect(worker_, &EngineWorker::started, this, &EngineClient::generationStarted);
    connect(worker_, &EngineWorker::progress, this, &EngineClient::generationProgress);
    connect(worker_, &EngineWorker::audioChunk, this, &EngineClient::audioChunk);
    connect(worker_, &EngineWorker::finished, this, [this](const GenerationResult& result) {
        busy_ = false;
        emit generationFinished(result);
    });
    connect(worker_, &EngineWorker::failed, this, [this](const QString& message) {
        busy_ = false;
        emit generationFailed(message);
    });
    thread_.start();
}

ThreadedEngineClient::~ThreadedEngineClient() {
    cancel_ = true;
    thread_.quit();
    thread_.wait();
}

void ThreadedEngineClient::loadModel(const QString& folder, int threads) {
    loading_ = true;
    info_.reset();
    emit modelLoadStarted(folder);
    emit requestLoad(folder, threads);
}

void ThreadedEngineClient::generate(const Recipe& recipe) {
    busy_ = true;
    cancel_ = false;
    emit requestGenerate(recipe);
}

void ThreadedEngineClient::cancel() {
    cancel_ = true;
}

QString ThreadedEngineClient::embeddedModelFolder() const {
    return QString::fromStdString(MusicEngine::embeddedModelFolder());
}

void ThreadedEngineClient::exploreLayers(const widgets::LayerExplorerRequest& request) {
    cancel_ = false;
    emit requestExplore(request);
}

void ThreadedEngineClient::runEmotionBenchmark(const EmotionBenchmarkOptions& options) {
    const QString reason = emotionPredictorUnavailableReason();
    if (!reason.isEmpty()) {
        emit benchmarkFailed(reason);
        return;
    }
    cancel_ = false;
    emit requestBenchmark(options, defaultEmotionHeadPath());
}

QString ThreadedEngineClient::defaultEmotionHeadPath() {
    return QString::fromStdString(moodsteer::defaultEmotionHeadPath());
}

QString ThreadedEngineClient::emotionPredictorUnavailableReason() const {
    const QString path = defaultEmotionHeadPath();
    if (QFileInfo::exists(path)) return {};
    return tr("Emotion prediction is off: the emotion head %1 is not installed.").arg(path);
}

void ThreadedEngineClient::predictEmotion(const QString& clipId, const AudioBuffer& audio) {
    const QString reason = emotionPredictorUnavailableReason();
    if (!reason.isEmpty()) {
        emit emotionPredictionFailed(clipId, reason);
        return;
    }
    emit requestPrediction(clipId, audio, defaultEmotionHeadPath());
}

} // namespace moodsteer::studio
