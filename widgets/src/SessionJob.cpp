#include "widgets/SessionJob.h"

#include "widgets/EngineContext.h"
#include "widgets/GenerateJob.h"

#include <QObject>

#include <algorithm>

namespace moodsteer::widgets {

QString SessionJob::title() const {
    QString prompt = QString::fromStdString(recipe_.prompt).simplified();
    if (prompt.size() > 32) prompt = prompt.left(31) + QChar(0x2026);
    return QObject::tr("Session %1 min: %2")
        .arg(recipe_.seconds / 60.0, 0, 'g', 3)
        .arg(prompt.isEmpty() ? QObject::tr("(no prompt)") : prompt);
}

QVariant SessionJob::run(EngineContext& context, JobSink& sink) {
    MusicEngine& engine = context.requireEngine();
    if (!(recipe_.windowSeconds > 0) || recipe_.emotionPath.empty())
        throw EngineError("a session needs a window length and an emotion path");
    const int rate = engine.info().sampleRate;
    const EmotionPredictor* predictor =
        headPath_.isEmpty() ? nullptr : &context.predictor(headPath_.toStdString());

    QVector<float> pending;
    pending.reserve(GenerateJob::kChunkSamples * 2);
    // The audio of the window not yet predicted, and up to kMinSeconds before it: a short last
    // window is judged over its tail plus the audio just before (the head needs a few seconds).
    // At most one window plus kMinSeconds are held: memory stays flat.
    constexpr double kMinSeconds = 10;
    const std::size_t minSamples = static_cast<std::size_t>(kMinSeconds * rate);
    AudioBuffer unpredicted, before;
    unpredicted.sampleRate = before.sampleRate = rate;
    double predictedUntil = 0;
    int window = 0;
    const auto predictFinished = [&] {
        const double seconds = unpredicted.seconds();
        if (!predictor || seconds <= 0) return;
        WindowEmotion e{window, predictedUntil, predictedUntil + seconds, 5, 5};
        predictedUntil = e.endSeconds;
        AudioBuffer judged = unpredicted;
        if (judged.samples.size() < minSamples) {
            const std::size_t extra =
                std::min(before.samples.size(), minSamples - judged.samples.size());
            judged.samples.insert(judged.samples.begin(), before.samples.end() - extra,
                                  before.samples.end());
        }
        before.samples.insert(before.samples.end(), unpredicted.samples.begin(),
                              unpredicted.samples.end());
        if (before.samples.size() > minSamples)
            before.samples.erase(before.samples.begin(),
                                 before.samples.end() - static_cast<std::ptrdiff_t>(minSamples));
        unpredicted.samples.clear();
        // A silent or too-short stretch has no prediction; the guard already handles silence.
        if (isSilent(judged)) return;
        try {
            const ClipPrediction p = predictor->predict(judged);
            e.valence = p.valence;
            e.arousal = p.arousal;
            sink.partial(QVariant::fromValue(e));
        } catch (const std::invalid_argument&) {
        }
    };

    GenerationCallbacks callbacks;
    callbacks.cancel = cancelToken();
    callbacks.emotionJudge = predictor; // the check hears as the view shows (null: the engine's)
    callbacks.onProgress = [&](const GenerationProgress& p) {
        // The previous window's audio was accepted and streamed before this one's first step.
        if (p.window != window) {
            predictFinished();
            window = p.window;
        }
        const double rtf = p.elapsedSeconds > 0 && p.totalSteps > 0
                               ? p.step / double(p.totalSteps) * recipe_.seconds / p.elapsedSeconds
                               : 0.0;
        sink.progress({p.step, p.totalSteps, p.step > 0 ? p.etaSeconds : -1.0,
                       QObject::tr("Window %1/%2 · %3× real time")
                           .arg(p.window + 1)
                           .arg(p.windows)
                           .arg(rtf, 0, 'f', 1)});
    };
    callbacks.onAudio = [&](const float* samples, std::size_t count) {
        unpredicted.samples.insert(unpredicted.samples.end(), samples, samples + count);
        const qsizetype at = pending.size();
        pending.resize(at + static_cast<qsizetype>(count));
        std::copy(samples, samples + count, pending.begin() + at);
        if (pending.size() >= GenerateJob::kChunkSamples) {
            sink.audio(pending, rate);
            pending.clear();
        }
    };
    GenerationResult result = engine.generate(recipe_, callbacks);
    if (!pending.isEmpty()) sink.audio(pending, rate);
    predictFinished();
    return QVariant::fromValue(std::move(result));
}

} // namespace moodsteer::widgets
