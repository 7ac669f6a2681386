#include "widgets/GenerationController.h"

#include "widgets/GenerateJob.h"
#include "widgets/TransportPanel.h"

#include "core/playback/PrebufferEstimate.h"

#include <algorithm>

namespace moodsteer::widgets {

GenerationController::GenerationController(EngineClient* engine, TransportPanel* transport,
                                           ClipLibrary* library, QObject* parent)
    : QObject(parent), engine_(engine), transport_(transport), library_(library) {
    connect(engine_, &EngineClient::jobStarted, this, &GenerationController::onStarted);
    connect(engine_, &EngineClient::jobAudio, this, &GenerationController::onChunk);
    connect(engine_, &EngineClient::jobProgress, this, &GenerationController::onProgress);
    connect(engine_, &EngineClient::jobFinished, this, &GenerationController::onFinished);
    connect(engine_, &EngineClient::jobFailed, this, &GenerationController::onFailed);
    connect(engine_, &EngineClient::jobPartial, this, &GenerationController::onPartial);
}

bool GenerationController::safeToStartPlayback(double generatedSeconds, double etaSeconds) {
    // 25 % + 1 s of slack: the generator's speed wobbles when other work shares the CPU.
    return generatedSeconds > 0 && generatedSeconds >= 1.25 * etaSeconds + 1.0;
}

double GenerationController::streamedSeconds() const {
    return static_cast<double>(streamed_) / rate_;
}

JobId GenerationController::generate(const Recipe& recipe, int takes) {
    if (!engine_->modelInfo()) {
        emit statusMessage(tr("No model is loaded: choose one in the model chooser and press "
                              "Load."));
        return 0;
    }
    const bool waits = engine_->isBusy();
    const JobId id = takes > 1 ? engine_->submit(std::make_shared<GenerateJob>(recipe, takes))
                               : engine_->generate(recipe);
    track(id, recipe.seconds, waits);
    return id;
}

JobId GenerationController::submit(std::shared_ptr<EngineJob> job, double seconds) {
    if (!engine_->modelInfo()) {
        emit statusMessage(tr("No model is loaded yet."));
        return 0;
    }
    const bool waits = engine_->isBusy();
    const JobId id = engine_->submit(std::move(job));
    track(id, seconds, waits);
    return id;
}

void GenerationController::track(JobId id, double seconds, bool waits) {
    jobs_.append(id);
    seconds_.insert(id, seconds);
    if (jobs_.size() == 1) emit busyChanged(true);
    if (waits) emit statusMessage(tr("Queued: the generation starts when the engine is free."));
}

QString GenerationController::exactRegenerationProblem(const Recipe& r) const {
    const auto loaded = engine_->loadedModel();
    if (!loaded) return tr("no model is loaded: load the one the clip was made with");
    const ModelSource& s = loaded->source;
    const bool hasProvenance = !r.modelRevision.empty() || !r.modelHash.empty();
    if (hasProvenance && !s.model.empty() && r.model != s.model)
        return tr("the clip was made with %1, the loaded model is %2: load %1 for an exact "
                  "regeneration")
            .arg(QString::fromStdString(r.model), QString::fromStdString(s.model));
    if (const auto why = ModelLocator::mismatch(r, s); !why.empty())
        return QString::fromStdString(why);
    if (!r.precision.empty() && r.precision != loaded->precision)
        return tr("the clip was made at %1 precision, the model is loaded at %2: load it at %1 "
                  "for an exact regeneration")
            .arg(QString::fromStdString(r.precision), QString::fromStdString(loaded->precision));
    return {};
}

void GenerationController::cancel() {
    for (JobId id : QList<JobId>(jobs_)) { // a queued job leaves the list at once
        cancelling_.insert(id);
        engine_->cancel(id);
    }
}

void GenerationController::forget(JobId id) {
    jobs_.removeAll(id);
    seconds_.remove(id);
    cancelling_.remove(id);
    if (running_ == id) running_ = 0;
    if (jobs_.isEmpty()) emit busyChanged(false);
}

void GenerationController::onStarted(JobId id) {
    if (!jobs_.contains(id)) return;
    running_ = id;
    streamOpen_ = false;
    streamed_ = 0;
    eta_ = 1e9;
    speed_ = 0;
    largestChunk_ = 0;
    bufferingShown_.invalidate();
    clock_.start();
    playStarted_ = playStartedEarly_ = false;
    lastClipId_.clear();
    emit statusMessage(tr("Generating…"));
}

void GenerationController::onChunk(JobId id, const QVector<float>& samples, int sampleRate) {
    if (id != running_) return;
    if (!streamOpen_) {
        rate_ = sampleRate > 0 ? sampleRate : 32000;
        transport_->beginStream(rate_, seconds_.value(id));
        streamOpen_ = true;
    }
    transport_->appendStream(samples);
    streamed_ += static_cast<std::size_t>(samples.size());
    largestChunk_ = std::max(largestChunk_, double(samples.size()) / rate_);
    maybeStartPlayback(false);
}

void GenerationController::onProgress(JobId id, const JobProgress& p) {
    if (id != running_) return;
    if (p.done > 0 && p.etaSeconds >= 0) eta_ = p.etaSeconds;
    const double elapsed = clock_.elapsed() / 1000.0;
    if (p.total > 0 && elapsed > 0)
        speed_ = double(p.done) / p.total * seconds_.value(id) / elapsed;
    GenerationProgress g;
    g.step = p.done;
    g.totalSteps = p.total;
    g.etaSeconds = std::max(0.0, p.etaSeconds);
    emit progress(g);
    maybeStartPlayback(false);
}

void GenerationController::maybeStartPlayback(bool finished) {
    if (!autoPlay_ || playStarted_ || !transport_->hasDevice() || streamed_ == 0) return;
    const bool fastEnough = sessionMode_ && speed_ >= 1.25;
    const double length = seconds_.value(running_);
    const auto plan =
        PrebufferEstimate::of(length, streamedSeconds(), eta_ < 1e9 ? eta_ : -1.0, largestChunk_);
    // A clip asked for in steps has no length here: only the eta is known.
    const bool ready = length > 0 ? plan.startNow : safeToStartPlayback(streamedSeconds(), eta_);
    if (!finished && !fastEnough && !ready) {
        // Say how long the wait is, instead of letting playback stutter; a few times a second.
        if (bufferingShown_.isValid() && bufferingShown_.elapsed() < 250) return;
        bufferingShown_.start();
        QString text =
            plan.speed > 0
                ? tr("Buffering %1 s before playback: generating at %2× real time, so %3 s "
                     "are made first for playback never to run dry.")
                      .arg(plan.waitSeconds, 0, 'f', 1)
                      .arg(plan.speed, 0, 'f', 2)
                      .arg(plan.bufferSeconds, 0, 'f', 1)
                : tr("Buffering before playback: measuring the generation speed…");
        if (plan.speed > 0 && !bufferingHint_.isEmpty()) text += " " + bufferingHint_;
        emit statusMessage(text);
        return;
    }
    if (transport_->player()->play()) {
        playStarted_ = true;
        playStartedEarly_ = !finished;
        if (bufferingShown_.isValid() && !finished)
            emit statusMessage(
                tr("Playing while generating (%1 s buffered).").arg(streamedSeconds(), 0, 'f', 1));
    }
}

void GenerationController::onFinished(JobId id, const QVariant& value) {
    if (!jobs_.contains(id)) return;
    const auto result = value.value<GenerationResult>();
    // The streamed chunks are the clip; the final buffer is authoritative (EnCodec's
    // streaming is exact only within a tolerance), so swap it in at the same position.
    if (streamed_ == 0 || streamed_ != result.audio.samples.size()) {
        transport_->showClip(result.audio, /*keepPosition=*/streamed_ != 0);
    } else {
        transport_->endStream();
    }
    streamOpen_ = false;
    streamed_ = result.audio.samples.size();
    rate_ = result.audio.sampleRate > 0 ? result.audio.sampleRate : rate_;
    forget(id);
    if (result.cancelled && !(sessionMode_ && !result.audio.samples.empty())) {
        emit statusMessage(tr("Cancelled: %1 s of audio kept for listening, not added to the "
                              "library.")
                               .arg(result.audio.seconds(), 0, 'f', 1));
        emit ended(id);
        return;
    }
    maybeStartPlayback(true);
    if (!library_) {
        emit statusMessage(tr("Clip ready (%1 s); the library is unavailable.")
                               .arg(result.audio.seconds(), 0, 'f', 1));
        emit ended(id);
        return;
    }
    const QString clipId = file(result, id);
    if (clipId.isEmpty()) return;
    lastClipId_ = clipId;
    if (result.recipe.takes > 1)
        emit statusMessage(tr("%1 takes ready: %2 s each in %3 s, grouped in the library.")
                               .arg(result.recipe.takes)
                               .arg(result.audio.seconds(), 0, 'f', 1)
                               .arg(result.generationSeconds, 0, 'f', 1));
    else
        emit statusMessage((result.cancelled ? tr("Cancelled: the %1 s made so far are in the "
                                                  "library (recipe marked incomplete, %2 s).")
                                             : tr("Clip ready: %1 s in %2 s."))
                               .arg(result.audio.seconds(), 0, 'f', 1)
                               .arg(result.generationSeconds, 0, 'f', 1));
    emit clipAdded(clipId, id);
}

QString GenerationController::file(const GenerationResult& result, JobId job) {
    try {
        CodeGrid codes(result.numCodebooks, result.frames);
        codes.data = result.codes; // kept for MIDI export of symbolic-codec clips
        const LibraryClip& clip = library_->add(result.audio, result.recipe, "", &codes);
        return QString::fromStdString(clip.id);
    } catch (const std::exception& e) {
        emit failed(tr("The clip could not be saved to the library: %1").arg(e.what()), job);
        return {};
    }
}

void GenerationController::onPartial(JobId id, const QVariant& value) {
    // Takes 2..N arrive just before take 1 finishes the job; a cancelled batch keeps none
    // (as a cancelled single clip is not filed).
    if (!jobs_.contains(id) || !value.canConvert<GenerationResult>() || !library_) return;
    const auto take = value.value<GenerationResult>();
    if (take.cancelled) return;
    const QString clipId = file(take, id);
    if (!clipId.isEmpty()) emit clipAdded(clipId, id);
}

void GenerationController::onFailed(JobId id, const QString& message) {
    if (!jobs_.contains(id)) return;
    if (id == running_ && streamOpen_) transport_->endStream();
    if (id == running_) streamOpen_ = false;
    const bool cancelled = cancelling_.contains(id);
    forget(id);
    if (cancelled) {
        emit statusMessage(tr("Cancelled."));
        emit ended(id);
        return;
    }
    emit failed(message, id);
}

} // namespace moodsteer::widgets
