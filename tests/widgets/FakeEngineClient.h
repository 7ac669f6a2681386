// A fake engine for widget tests: runs the submitted jobs like the threaded engine (one at a
// time in submission order, asynchronous signals, progress, streamed chunks, per-job
// cancellation) on a 1 ms timer, and simulates each kind: deterministic sine "music" whose
// pitch depends on the seed (a regenerated recipe gives the same audio), predictions from a
// list, a layer report given by the test, a benchmark whose prediction is the target shifted,
// a session streamed like a generation with one "window" prediction (the path's target plus
// 0.5 arousal) every sessionWindowSeconds; takes as the real GenerateJob sends them (takes 2..N
// as partial results, then take 1). Model loads report a provenance (folder, a hash of
// its name, the precision) that the fake's generations stamp into their recipes; after an
// unload, generations fail as the real one's. Alignment scores: 0.5 minus a hundredth per word
// of the prompt (deterministic; alignmentReason makes them unavailable).
// unload, generations fail as the real one's. MIDI imports run the real import (it needs no
// engine state). Variations take 3 ticks each (progress per tick, cancel between ticks): each
// is the source with its melody moved up by 1, 2, ... semitones, filed like the real ones.
#pragma once

#include "core/playback/AudioPlayer.h"
#include "widgets/AlignmentScoreJob.h"
#include "widgets/EmotionGridBenchmarkJob.h"
#include "widgets/EngineClient.h"
#include "widgets/ExploreLayersJob.h"
#include "widgets/GenerateJob.h"
#include "widgets/ImportMidiJob.h"
#include "widgets/LoadModelJob.h"
#include "widgets/PredictEmotionJob.h"
#include "widgets/SessionJob.h"
#include "widgets/UnloadModelJob.h"
#include "widgets/VariationsJob.h"

#include <QList>
#include <QPointF>
#include <QStringList>
#include <QTimer>

#include <cmath>
#include <deque>

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
    int lastTakes = 1; ///< takes of the last GenerateJob
    /// Emotion prediction: "" = available; otherwise prediction jobs fail with this reason.
    QString predictorReason;
    /// Predictions handed out in order (then a neutral 5, 5); windows are added per 5 s.
    QList<QPointF> predictions;
    QStringList predictedClips;
    /// The layer explorer's answer (empty layers: it fails); one layer per tick.
    LayerAnalysisReport layerReport;
    QList<widgets::LayerExplorerRequest> exploreRequests;
    QList<EmotionBenchmarkOptions> benchmarkRequests;
    /// Models loaded (folder, precision) and unloads run, in order.
    QStringList loads;
    int unloads = 0;
    /// Sessions submitted (recipe and emotion head path), and their simulated window length.
    QList<Recipe> sessionRecipes;
    QStringList sessionHeads;
    double sessionWindowSeconds = 2.0;
    /// Alignment scores: "" = available; clips scored (id, prompt), in order.
    QString alignmentReason;
    QStringList alignedClips, alignedPrompts;
    /// Variations jobs submitted (their settings).
    QList<widgets::VariationSettings> variationRequests;

    explicit FakeEngineClient(QObject* parent = nullptr) : EngineClient(parent) {
        connect(&timer_, &QTimer::timeout, this, &FakeEngineClient::tick);
        timer_.setInterval(1);
    }
    ~FakeEngineClient() override { cancelAll(); }

    QString embeddedModelFolder() const override { return {}; }
    QString emotionPredictorUnavailableReason() const override { return predictorReason; }
    QString alignmentUnavailableReason() const override { return alignmentReason; }

    static float sample(std::uint64_t seed, std::size_t i) {
        const double hz = 220.0 + static_cast<double>(seed % 200);
        return 0.4f * static_cast<float>(std::sin(2 * M_PI * hz * double(i) / 32000.0));
    }

  protected:
    void enqueue(std::shared_ptr<widgets::EngineJob> job) override {
        // What the tests inspect is recorded at submission, like the old direct calls.
        if (auto* g = dynamic_cast<widgets::GenerateJob*>(job.get())) {
            ++generateCalls;
            lastRecipe = g->recipe();
            lastTakes = g->takes();
        } else if (auto* p = dynamic_cast<widgets::PredictEmotionJob*>(job.get())) {
            predictedClips << p->clipId();
        } else if (auto* e = dynamic_cast<widgets::ExploreLayersJob*>(job.get())) {
            exploreRequests << e->request();
        } else if (auto* sj = dynamic_cast<widgets::SessionJob*>(job.get())) {
            sessionRecipes << sj->recipe();
            sessionHeads << sj->headPath();
        } else if (auto* v = dynamic_cast<widgets::VariationsJob*>(job.get())) {
            variationRequests << v->settings();
        } else if (auto* b = dynamic_cast<widgets::EmotionGridBenchmarkJob*>(job.get())) {
            benchmarkRequests << b->options();
        } else if (auto* a = dynamic_cast<widgets::AlignmentScoreJob*>(job.get())) {
            alignedClips << a->clipId();
            alignedPrompts << a->prompt();
        }
        queue_.push_back(std::move(job));
        timer_.start();
    }

  private:
    /// One step of the running job (or starts the next one).
    void tick() {
        if (!current_) {
            if (queue_.empty()) {
                timer_.stop();
                return;
            }
            current_ = queue_.front();
            queue_.pop_front();
            step_ = 0;
            if (!current_->tryStart()) {
                reportFailed(current_->id(), "Cancelled before it started.");
                current_.reset();
                return;
            }
            reportStarted(current_->id());
            if (const Recipe* r = recipeOf(*current_)) {
                audio_ = {};
                audio_.sampleRate = 32000;
                total_ = static_cast<std::size_t>(r->seconds * 32000);
                predictedUntil_ = 0;
            }
            return;
        }
        const QString kind = current_->kind();
        bool done = true;
        if (kind == widgets::LoadModelJob::kKind)
            simulateLoad();
        else if (kind == widgets::UnloadModelJob::kKind)
            simulateUnload();
        else if (kind == widgets::GenerateJob::kKind || kind == widgets::SessionJob::kKind)
            done = generateStep();
        else if (kind == widgets::PredictEmotionJob::kKind)
            predict();
        else if (kind == widgets::ExploreLayersJob::kKind)
            done = exploreStep();
        else if (kind == widgets::EmotionGridBenchmarkJob::kKind)
            benchmark();
        else if (kind == widgets::AlignmentScoreJob::kKind)
            scoreAlignment();
        else if (kind == widgets::ImportMidiJob::kKind)
            importMidi();
        else if (kind == widgets::VariationsJob::kKind)
            done = variationsStep();
        else
            reportFailed(current_->id(), "the fake engine cannot run " + kind);
        if (done) current_.reset();
        ++step_;
    }

    void simulateLoad() {
        const auto& job = static_cast<const widgets::LoadModelJob&>(*current_);
        const QString folder = job.folder();
        loaded_.reset();
        if (folder.contains("broken")) {
            reportFailed(current_->id(), "cannot load " + folder + ": config.json is missing");
            return;
        }
        loads << folder + "@" + job.precision();
        ModelInfo info;
        info.id = "fake";
        info.folder = folder.toStdString();
        info.hasTokenizer = true;
        info.hasAvEncoder = true;
        info.maxFrames = 1500;
        info.frameRate = 50;
        widgets::LoadModelJob::Loaded loaded;
        loaded.info = info;
        loaded.source.folder = info.folder;
        loaded.source.model = folder.isEmpty() ? "embedded" : folder.toStdString();
        loaded.source.contentHash = "sha256:fake-" + std::to_string(qHash(folder));
        loaded.precision = job.precision().toStdString();
        loaded_ = loaded;
        reportFinished(current_->id(), QVariant::fromValue(loaded));
    }

    void importMidi() {
        const auto& job = static_cast<const widgets::ImportMidiJob&>(*current_);
        try {
            reportFinished(job.id(), QVariant::fromValue(widgets::ImportMidiJob::import(
                                         job.path(), MidiImportOptions{})));
        } catch (const std::exception& e) {
            reportFailed(job.id(), QString::fromStdString(e.what()));
        }
    }

    bool variationsStep() {
        const auto& job = static_cast<const widgets::VariationsJob&>(*current_);
        const auto& s = job.settings();
        const int total = 3 * s.count;
        const bool cancelled = job.isCancelRequested();
        if (step_ < total && !cancelled) {
            reportProgress(job.id(),
                           {step_ + 1, total, 0.01 * (total - step_ - 1),
                            QString("variation %1 of %2").arg(step_ / 3 + 1).arg(s.count)});
            return false;
        }
        widgets::VariationsJob::Outcome out;
        out.sourceId = job.sourceId();
        out.cancelled = cancelled;
        const int made = cancelled ? step_ / 3 : s.count;
        for (int i = 0; i < made; ++i) {
            CodeGrid g = job.codes();
            for (int t = 0; t < g.frames; ++t) {
                auto& code = g.data[static_cast<std::size_t>(g.frames + t)];    // melody stream
                if (code >= 2 && code + 8 * (i + 1) < 514) code += 8 * (i + 1); // +i+1 semitones
            }
            out.variations << widgets::VariationsJob::clipOf(g, job.sourceId(), s, i);
        }
        reportFinished(job.id(), QVariant::fromValue(out));
        return true;
    }

    void simulateUnload() {
        ++unloads;
        unloaded_ = true;
        loaded_.reset();
        reportFinished(current_->id(), QVariant::fromValue(24.0));
    }

    static const Recipe* recipeOf(const widgets::EngineJob& job) {
        if (auto* g = dynamic_cast<const widgets::GenerateJob*>(&job)) return &g->recipe();
        if (auto* s = dynamic_cast<const widgets::SessionJob*>(&job)) return &s->recipe();
        return nullptr;
    }

    /// A session's window prediction once another sessionWindowSeconds of audio exist.
    void sessionWindows(bool last) {
        const auto* session = dynamic_cast<const widgets::SessionJob*>(current_.get());
        if (!session || session->headPath().isEmpty()) return;
        const double made = double(audio_.samples.size()) / 32000;
        while (made - predictedUntil_ >= sessionWindowSeconds || (last && made > predictedUntil_)) {
            const double end = std::min(made, predictedUntil_ + sessionWindowSeconds);
            const auto [v, a] = session->recipe().emotionPath.at((predictedUntil_ + end) / 2);
            widgets::SessionJob::WindowEmotion w{int(predictedUntil_ / sessionWindowSeconds),
                                                 predictedUntil_, end, v, std::min(9.0, a + 0.5)};
            reportPartial(current_->id(), QVariant::fromValue(w));
            predictedUntil_ = end;
        }
    }

    bool generateStep() {
        const auto& job = *current_;
        const Recipe& recipe = *recipeOf(job);
        const bool session = job.kind() == widgets::SessionJob::kKind;
        if (unloaded_ && !loaded_) {
            reportFailed(job.id(), "No model is loaded: choose one in the prompt panel's model "
                                   "chooser and press Load.");
            return true;
        }
        if (failNextGeneration) {
            failNextGeneration = false;
            reportFailed(job.id(), "emotion conditioning needs an AV encoder");
            return true;
        }
        if (!job.isCancelRequested() && audio_.samples.size() < total_) {
            const std::size_t n = std::min<std::size_t>(std::size_t(chunkSeconds * 32000),
                                                        total_ - audio_.samples.size());
            QVector<float> chunk(static_cast<int>(n));
            for (std::size_t i = 0; i < n; ++i)
                chunk[int(i)] = sample(recipe.seed, audio_.samples.size() + i);
            audio_.samples.insert(audio_.samples.end(), chunk.begin(), chunk.end());
            widgets::JobProgress p;
            p.total = static_cast<int>(total_ / 640);
            p.done = static_cast<int>(audio_.samples.size() / 640);
            p.etaSeconds =
                double(total_ - audio_.samples.size()) / (chunkSeconds * 32000) * etaPerChunk;
            reportProgress(job.id(), p);
            reportAudio(job.id(), chunk, 32000);
            sessionWindows(false);
            return false;
        }
        sessionWindows(true);
        GenerationResult r;
        r.audio = audio_;
        r.recipe = recipe;
        if (loaded_) ModelLocator::stamp(r.recipe, loaded_->source, loaded_->precision);
        r.cancelled = job.isCancelRequested();
        r.recipe.incomplete = session && r.cancelled;
        r.generationSeconds = 0.1;
        // Takes (GenerateJob with takes > 1): takes 2..N as partial results, each with its
        // own seed's audio, then take 1 as the result, as the real job does.
        const auto* takesJob = dynamic_cast<const widgets::GenerateJob*>(&job);
        const int takes = takesJob ? takesJob->takes() : 1;
        for (int k = 2; k <= takes; ++k) {
            GenerationResult t = r;
            t.recipe.seed = recipe.seed + static_cast<std::uint64_t>(k - 1);
            t.recipe.take = k;
            t.recipe.takes = takes;
            for (std::size_t i = 0; i < t.audio.samples.size(); ++i)
                t.audio.samples[i] = sample(t.recipe.seed, i);
            reportPartial(job.id(), QVariant::fromValue(t));
        }
        if (takes > 1) {
            r.recipe.take = 1;
            r.recipe.takes = takes;
        }
        reportFinished(job.id(), QVariant::fromValue(r));
        return true;
    }

    void scoreAlignment() {
        const auto& job = static_cast<const widgets::AlignmentScoreJob&>(*current_);
        if (!alignmentReason.isEmpty()) {
            reportFailed(job.id(), alignmentReason);
            return;
        }
        widgets::AlignmentScoreJob::Score s;
        s.clipId = job.clipId();
        s.prompt = job.prompt();
        s.score = 0.5 - 0.01 * job.prompt().split(' ', Qt::SkipEmptyParts).size();
        reportFinished(job.id(), QVariant::fromValue(s));
    }

    void predict() {
        const auto& job = static_cast<const widgets::PredictEmotionJob&>(*current_);
        if (!predictorReason.isEmpty()) {
            reportFailed(job.id(), predictorReason);
            return;
        }
        const QPointF va = predictions.isEmpty() ? QPointF(5, 5) : predictions.takeFirst();
        const AudioBuffer& audio = job.audio();
        const double seconds =
            audio.sampleRate > 0 ? double(audio.samples.size()) / audio.sampleRate : 0.0;
        ClipPrediction p;
        p.valence = va.x();
        p.arousal = va.y();
        for (double t = 0; t < seconds; t += 5.0) // windows wobble around the mean
            p.windows.push_back({t, std::min(seconds, t + 5.0),
                                 va.x() + (p.windows.size() % 2 ? 0.2 : -0.2), va.y()});
        reportFinished(job.id(), QVariant::fromValue(p));
    }

    bool exploreStep() {
        const int n = static_cast<int>(layerReport.layers.size());
        if (n == 0) {
            reportFailed(current_->id(), "no activations");
            return true;
        }
        if (current_->isCancelRequested()) {
            reportFailed(current_->id(), "cancelled");
            return true;
        }
        if (step_ < n) {
            reportProgress(current_->id(),
                           {step_ + 1, n, -1, QString("Analysing layer %1").arg(step_)});
            return false;
        }
        reportFinished(current_->id(), QVariant::fromValue(layerReport));
        return true;
    }

    /// A grid benchmark whose "prediction" is the target shifted by +0.5 valence.
    void benchmark() {
        const auto& job = static_cast<const widgets::EmotionGridBenchmarkJob&>(*current_);
        if (!predictorReason.isEmpty()) {
            reportFailed(job.id(), predictorReason);
            return;
        }
        EmotionBenchmarkReport report;
        const auto vs = emotionGridValues(job.options().gridValence);
        const auto as = emotionGridValues(job.options().gridArousal);
        const int total = int(vs.size() * as.size());
        for (double v : vs)
            for (double a : as) {
                EmotionBenchmarkClip c;
                c.target = {v, a};
                c.prediction = {std::min(9.0, v + 0.5), a};
                c.predicted = true;
                report.clips.push_back(c);
                const int done = int(report.clips.size());
                reportPartial(job.id(), QVariant::fromValue(widgets::EmotionGridBenchmarkJob::Step{
                                            done, total, c}));
            }
        report.predictedClips = total;
        reportFinished(job.id(), QVariant::fromValue(report));
    }

    std::optional<widgets::LoadModelJob::Loaded> loaded_;
    bool unloaded_ = false; ///< an unload ran (tests that never load still generate)
    QTimer timer_;
    std::deque<std::shared_ptr<widgets::EngineJob>> queue_;
    std::shared_ptr<widgets::EngineJob> current_;
    int step_ = 0;
    std::size_t total_ = 0;
    double predictedUntil_ = 0;
    AudioBuffer audio_;
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
