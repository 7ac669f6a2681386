#include "widgets/GenerationController.h"

#include "widgets/TransportPanel.h"

namespace moodsteer::widgets {

GenerationController::GenerationController(EngineClient* engine, TransportPanel* transport,
                                           ClipLibrary* library, QObject* parent)
    : QObject(parent), engine_(engine), transport_(transport), library_(library) {
    connect(engine_, &EngineClient::generationStarted, this, &GenerationController::onStarted);
    connect(engine_, &EngineClient::audioChunk, this, &GenerationController::onChunk);
    connect(engine_, &EngineClient::generationProgress, this, &GenerationController::onProgress);
    connect(engine_, &EngineClient::generationFinished, this, &GenerationController::onFinished);
    connect(engine_, &EngineClient::generationFailed, this, &GenerationController::onFailed);
}

bool GenerationController::safeToStartPlayback(double generatedSeconds, double etaSeconds) {
    // 25 % + 1 s of slack: the generator's speed wobbles when other work shares the CPU.
    return generatedSeconds > 0 && generatedSeconds >= 1.25 * etaSeconds + 1.0;
}

double GenerationController::streamedSeconds() const {
    return static_cast<double>(streamed_) / rate_;
}

bool GenerationController::generate(const Recipe& recipe) {
    if (busy_ || engine_->isBusy()) {
        emit statusMessage(tr("A generation is already running."));
        return false;
    }
    if (!engine_->modelInfo()) {
        emit statusMessage(tr("No model is loaded yet."));
        return false;
    }
    setBusy(true);
    engine_->generate(recipe);
    return true;
}

void GenerationController::cancel() {
    if (busy_) engine_->cancel();
}

void GenerationController::setBusy(bool busy) {
    if (busy_ == busy) return;
    busy_ = busy;
    emit busyChanged(busy);
}

void GenerationController::onStarted(const Recipe& recipe, int sampleRate) {
    rate_ = sampleRate > 0 ? sampleRate : 32000;
    streamed_ = 0;
    eta_ = 1e9;
    playStarted_ = playStartedEarly_ = false;
    lastClipId_.clear();
    transport_->beginStream(rate_, recipe.seconds);
    emit statusMessage(tr("Generating…"));
}

void GenerationController::onChunk(const QVector<float>& samples) {
    transport_->appendStream(samples);
    streamed_ += static_cast<std::size_t>(samples.size());
    maybeStartPlayback(false);
}

void GenerationController::onProgress(const GenerationProgress& p) {
    if (p.step > 0) eta_ = p.etaSeconds;
    emit progress(p);
    maybeStartPlayback(false);
}

void GenerationController::maybeStartPlayback(bool finished) {
    if (!autoPlay_ || playStarted_ || !transport_->hasDevice() || streamed_ == 0) return;
    if (!finished && !safeToStartPlayback(streamedSeconds(), eta_)) return;
    if (transport_->player()->play()) {
        playStarted_ = true;
        playStartedEarly_ = !finished;
    }
}

void GenerationController::onFinished(const GenerationResult& result) {
    // The streamed chunks are the clip; the final buffer is authoritative (EnCodec's
    // streaming is exact only within a tolerance), so swap it in at the same position.
    if (streamed_ == 0 || streamed_ != result.audio.samples.size()) {
        transport_->showClip(result.audio, /*keepPosition=*/streamed_ != 0);
    } else {
        transport_->endStream();
    }
    streamed_ = result.audio.samples.size();
    rate_ = result.audio.sampleRate > 0 ? result.audio.sampleRate : rate_;
    setBusy(false);
    if (result.cancelled) {
        emit statusMessage(tr("Cancelled: %1 s of audio kept for listening, not added to the "
                              "library.")
                               .arg(result.audio.seconds(), 0, 'f', 1));
        return;
    }
    maybeStartPlayback(true);
    if (!library_) {
        emit statusMessage(tr("Clip ready (%1 s); the library is unavailable.")
                               .arg(result.audio.seconds(), 0, 'f', 1));
        return;
    }
    try {
        CodeGrid codes(result.numCodebooks, result.frames);
        codes.data = result.codes; // kept for MIDI export of symbolic-codec clips
        const LibraryClip& clip = library_->add(result.audio, result.recipe, "", &codes);
        lastClipId_ = QString::fromStdString(clip.id);
        emit statusMessage(tr("Clip ready: %1 s in %2 s.")
                               .arg(result.audio.seconds(), 0, 'f', 1)
                               .arg(result.generationSeconds, 0, 'f', 1));
        emit clipAdded(lastClipId_);
    } catch (const std::exception& e) {
        emit failed(tr("The clip could not be saved to the library: %1").arg(e.what()));
    }
}

void GenerationController::onFailed(const QString& message) {
    transport_->endStream();
    setBusy(false);
    emit failed(message);
}

} // namespace moodsteer::widgets
