// A fake engine for widget tests: behaves like the threaded engine (asynchronous signals,
// progress, streamed chunks, cancellation) and makes deterministic sine "music" whose pitch
// depends on the seed, so a regenerated recipe gives the same audio.
#pragma once

#include "core/AudioPlayer.h"
#include "widgets/EngineClient.h"

#include <QList>
#include <QPointF>
#include <QStringList>
#include <QTimer>

#include <cmath>

namespace moodsteer::test {

class FakeEngineClient : public widgets::EngineClient {
    Q_OBJECT
  public:
    /// Chunks of audio per timer tick and the eta it reports (seconds per remaining chunk).
    double chunkSeconds = 0.5;
    double etaPerChunk = 0.01;
    bool failNextGeneration = false;
    int generateCalls = 0;
    Recipe lastRecipe;
    /// Emotion prediction: "" = available; otherwise predictEmotion fails with this reason.
    QString predictorReason;
    /// Predictions handed out in order (then a neutral 5, 5); windows are added per 5 s.
    QList<QPointF> predictions;
    QStringList predictedClips;
    /// The layer explorer's answer (empty layers: it fails).
    LayerAnalysisReport layerReport;
    QList<widgets::LayerExplorerRequest> exploreRequests;
    QList<EmotionBenchmarkOptions> benchmarkRequests;

    explicit FakeEngineClient(QObject* parent = nullptr) : EngineClient(parent) {
        connect(&timer_, &QTimer::timeout, this, &FakeEngineClient::tick);
        timer_.setInterval(1);
    }

    void loadModel(const QString& folder, int) override {
        emit modelLoadStarted(folder);
        QTimer::singleShot(0, this, [this, folder] {
            if (folder.contains("broken")) {
                info_.reset();
                emit modelLoadFailed("cannot load " + folder + ": config.json is missing");
                return;
            }
            ModelInfo info;
            info.id = "fake";
            info.folder = folder.toStdString();
            info.hasTokenizer = true;
            info.hasAvEncoder = true;
            info.maxFrames = 1500;
            info.frameRate = 50;
            info_ = info;
            emit modelLoaded(info);
        });
    }

    void generate(const Recipe& recipe) override {
        ++generateCalls;
        lastRecipe = recipe;
        busy_ = true;
        cancel_ = false;
        audio_ = {};
        audio_.sampleRate = 32000;
        total_ = static_cast<std::size_t>(recipe.seconds * 32000);
        QTimer::singleShot(0, this, [this, recipe] {
            if (failNextGeneration) {
                failNextGeneration = false;
                busy_ = false;
                emit generationFailed("emotion conditioning needs an AV encoder");
                return;
            }
            emit generationStarted(recipe, 32000);
            timer_.start();
        });
    }
    void cancel() override { cancel_ = true; }
    bool isBusy() const override { return busy_; }
    std::optional<ModelInfo> modelInfo() const override { return info_; }
    QString embeddedModelFolder() const override { return {}; }
    QString emotionPredictorUnavailableReason() const override { return predictorReason; }
    void exploreLayers(const widgets::LayerExplorerRequest& request) override {
        exploreRequests << request;
        QTimer::singleShot(0, this, [this] {
            const int n = static_cast<int>(layerReport.layers.size());
            for (int i = 1; i <= n; ++i)
                emit layerProgress(i, n, QString("Analysing layer %1").arg(i - 1));
            if (n == 0)
                emit layerExplorerFailed("no activations");
            else
                emit layerReportReady(layerReport);
        });
    }
    /// A grid benchmark whose "prediction" is the target shifted by +0.5 valence.
    void runEmotionBenchmark(const EmotionBenchmarkOptions& options) override {
        benchmarkRequests << options;
        QTimer::singleShot(0, this, [this, options] {
            if (!predictorReason.isEmpty()) {
                emit benchmarkFailed(predictorReason);
                return;
            }
            EmotionBenchmarkReport report;
            const auto vs = emotionGridValues(options.gridValence);
            const auto as = emotionGridValues(options.gridArousal);
            const int total = int(vs.size() * as.size());
            for (double v : vs)
                for (double a : as) {
                    EmotionBenchmarkClip c;
                    c.target = {v, a};
                    c.prediction = {std::min(9.0, v + 0.5), a};
                    c.predicted = true;
                    report.clips.push_back(c);
                    emit benchmarkProgress(int(report.clips.size()), total, c);
                }
            report.predictedClips = total;
            emit benchmarkFinished(report);
        });
    }
    void predictEmotion(const QString& clipId, const AudioBuffer& audio) override {
        predictedClips << clipId;
        const QPointF va = predictions.isEmpty() ? QPointF(5, 5) : predictions.takeFirst();
        const double seconds =
            audio.sampleRate > 0 ? double(audio.samples.size()) / audio.sampleRate : 0.0;
        QTimer::singleShot(0, this, [this, clipId, va, seconds] {
            if (!predictorReason.isEmpty()) {
                emit emotionPredictionFailed(clipId, predictorReason);
                return;
            }
            ClipPrediction p;
            p.valence = va.x();
            p.arousal = va.y();
            for (double t = 0; t < seconds; t += 5.0) // windows wobble around the mean
                p.windows.push_back({t, std::min(seconds, t + 5.0),
                                     va.x() + (p.windows.size() % 2 ? 0.2 : -0.2), va.y()});
            emit emotionPredicted(clipId, p);
        });
    }

    static float sample(std::uint64_t seed, std::size_t i) {
        const double hz = 220.0 + static_cast<double>(seed % 200);
        return 0.4f * static_cast<float>(std::sin(2 * M_PI * hz * double(i) / 32000.0));
    }

  private:
    void tick() {
        const bool done = cancel_ || audio_.samples.size() >= total_;
        if (!done) {
            const std::size_t n = std::min<std::size_t>(std::size_t(chunkSeconds * 32000),
                                                        total_ - audio_.samples.size());
            QVector<float> chunk(static_cast<int>(n));
            for (std::size_t i = 0; i < n; ++i)
                chunk[int(i)] = sample(lastRecipe.seed, audio_.samples.size() + i);
            audio_.samples.insert(audio_.samples.end(), chunk.begin(), chunk.end());
            GenerationProgress p;
            p.totalSteps = static_cast<int>(total_ / 640);
            p.step = static_cast<int>(audio_.samples.size() / 640);
            const double chunksLeft =
                double(total_ - audio_.samples.size()) / (chunkSeconds * 32000);
            p.etaSeconds = chunksLeft * etaPerChunk;
            emit generationProgress(p);
            emit audioChunk(chunk);
            return;
        }
        timer_.stop();
        busy_ = false;
        GenerationResult r;
        r.audio = audio_;
        r.recipe = lastRecipe;
        r.cancelled = cancel_;
        r.generationSeconds = 0.1;
        emit generationFinished(r);
    }

    QTimer timer_;
    bool busy_ = false;
    bool cancel_ = false;
    std::size_t total_ = 0;
    AudioBuffer audio_;
    std::optional<ModelInfo> info_;
};

/// An audio sink that opens but is never pumped (or reports no device at all).
class SilentSink : public AudioSink {
  public:
    explicit SilentSink(bool present = true) : present_(present) {}
    std::vector<AudioOutputDevice> devices() override {
        if (!present_) return {};
        return {AudioOutputDevice{0, "test output", 32000, true}};
    }
    int open(int, int, AudioRenderer*) override {
        if (!present_) throw AudioDeviceError("no audio output device found");
        return 32000;
    }
    void start() override { running_ = true; }
    void stop() override { running_ = false; }
    void close() override {}
    bool isRunning() const override { return running_; }
    std::string deviceName() const override { return "test output"; }

  private:
    bool present_;
    bool running_ = false;
};

} // namespace moodsteer::test
