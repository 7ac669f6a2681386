#include "EngineWorker.h"

#include "core/ActivationCollector.h"

#include <QThread>

#include <algorithm>
#include <exception>

namespace moodsteer::studio {

EngineWorker::EngineWorker(const std::atomic<bool>* cancel, QObject* parent)
    : QObject(parent), cancel_(cancel) {}

EngineWorker::~EngineWorker() = default;

void EngineWorker::load(const QString& folder, int threads) {
    std::string path = folder.toStdString();
    if (path.empty()) {
        path = MusicEngine::embeddedModelFolder();
        if (path.empty()) {
            emit loadFailed(tr("The embedded model is not installed. Choose a MusicGen model "
                               "folder in Settings."));
            return;
        }
    }
    try {
        LoadOptions options;
        options.threads = threads;
        engine_.reset(); // free the old model before loading the next
        engine_ = MusicEngine::load(path, options);
        emit loaded(engine_->info());
    } catch (const std::exception& e) {
        engine_.reset();
        emit loadFailed(tr("Cannot load the model in %1: %2")
                            .arg(QString::fromStdString(path), QString::fromUtf8(e.what())));
    }
}

void EngineWorker::generate(const Recipe& recipe) {
    if (!engine_) {
        emit failed(tr("No model is loaded."));
        return;
    }
    QVector<float> pending;
    pending.reserve(kChunkSamples * 2);
    GenerationCallbacks callbacks;
    callbacks.cancel = cancel_;
    callbacks.onProgress = [this](const GenerationProgress& p) { emit progress(p); };
    callbacks.onAudio = [this, &pending](const float* samples, std::size_t count) {
        const qsizetype at = pending.size();
        pending.resize(at + static_cast<qsizetype>(count));
        std::copy(samples, samples + count, pending.begin() + at);
        if (pending.size() >= kChunkSamples) {
            emit audioChunk(pending);
            pending.clear();
        }
    };
    try {
        emit started(recipe, engine_->info().sampleRate);
        GenerationResult result = engine_->generate(recipe, callbacks);
        if (!pending.isEmpty()) emit audioChunk(pending);
        emit finished(result);
    } catch (const std::exception& e) {
        emit failed(QString::fromUtf8(e.what()));
    }
}

void EngineWorker::predictEmotion(const QString& clipId, const AudioBuffer& audio,
                                  const QString& headPath) {
    try {
        if (!predictor_ || predictorPath_ != headPath) {
            predictor_.reset();
            predictor_ =
                std::make_unique<EmotionPredictor>(EmotionPredictor::load(headPath.toStdString()));
            predictorPath_ = headPath;
        }
        emit emotionPredicted(clipId, predictor_->predict(audio));
    } catch (const std::exception& e) {
        emit emotionPredictionFailed(clipId, QString::fromUtf8(e.what()));
    }
}

const EmotionPredictor& EngineWorker::predictor(const QString& headPath) {
    if (!predictor_ || predictorPath_ != headPath) {
        predictor_.reset();
        predictor_ =
            std::make_unique<EmotionPredictor>(EmotionPredictor::load(headPath.toStdString()));
        predictorPath_ = headPath;
    }
    return *predictor_;
}

void EngineWorker::runEmotionBenchmark(const EmotionBenchmarkOptions& options,
                                       const QString& headPath) {
    if (!engine_) {
        emit benchmarkFailed(tr("No model is loaded."));
        return;
    }
    try {
        const EmotionBenchmarkReport report = moodsteer::runEmotionBenchmark(
            *engine_, predictor(headPath), nullptr, options,
            [this](int done, int total, const EmotionBenchmarkClip& clip) {
                emit benchmarkProgress(done, total, clip);
            },
            cancel_);
        emit benchmarkFinished(report);
    } catch (const std::exception& e) {
        emit benchmarkFailed(QString::fromUtf8(e.what()));
    }
}

void EngineWorker::exploreLayers(const widgets::LayerExplorerRequest& request) {
    if (!engine_) {
        emit layerExplorerFailed(tr("No model is loaded."));
        return;
    }
    try {
        const std::string path = request.activationPath.toStdString();
        ActivationCollector collector(*engine_);
        CollectionOptions options;
        const auto collecting = [this](const CollectionProgress& p) {
            emit layerProgress(
                p.done, p.total,
                tr("Collecting activations: %1").arg(QString::fromStdString(p.clip)));
        };
        if (!request.folder.isEmpty()) {
            collector.collectFolder(request.folder.toStdString(), path, options, collecting,
                                    cancel_);
        } else {
            GenerationSpec spec;
            for (const QString& l : request.labels)
                spec.labels.push_back(l.toStdString());
            spec.perLabel = request.perLabel;
            spec.seconds = request.seconds;
            spec.seed = request.seed;
            collector.collectGenerated(spec, path, options, collecting, cancel_);
        }
        LayerAnalysisOptions analysis;
        const LayerAnalysisReport report =
            analyseLayerFile(path, analysis, [this](int done, int total, int layer) {
                if (cancel_ && cancel_->load()) throw EngineError("cancelled");
                emit layerProgress(done, total, tr("Analysing layer %1").arg(layer));
            });
        emit layerReportReady(report);
    } catch (const std::exception& e) {
        emit layerExplorerFailed(QString::fromUtf8(e.what()));
    }
}

} // namespace moodsteer::studio
