#include "widgets/GenerateJob.h"

#include "widgets/EngineContext.h"

#include <QObject>

#include <algorithm>

namespace moodsteer::widgets {

QString GenerateJob::title() const {
    QString prompt = QString::fromStdString(recipe_.prompt).simplified();
    if (prompt.size() > 40) prompt = prompt.left(39) + QChar(0x2026);
    return QObject::tr("Generate %1 s: %2")
        .arg(recipe_.seconds, 0, 'g', 3)
        .arg(prompt.isEmpty() ? QObject::tr("(no prompt)") : prompt);
}

QVariant GenerateJob::run(EngineContext& context, JobSink& sink) {
    MusicEngine& engine = context.requireEngine();
    const int rate = engine.info().sampleRate;
    QVector<float> pending;
    pending.reserve(kChunkSamples * 2);
    GenerationCallbacks callbacks;
    callbacks.cancel = cancelToken();
    callbacks.onProgress = [&sink](const GenerationProgress& p) {
        sink.progress({p.step, p.totalSteps, p.step > 0 ? p.etaSeconds : -1.0, QString()});
    };
    callbacks.onAudio = [&sink, &pending, rate](const float* samples, std::size_t count) {
        const qsizetype at = pending.size();
        pending.resize(at + static_cast<qsizetype>(count));
        std::copy(samples, samples + count, pending.begin() + at);
        if (pending.size() >= kChunkSamples) {
            sink.audio(pending, rate);
            pending.clear();
        }
    };
    GenerationResult result = engine.generate(recipe_, callbacks);
    // The same provenance as the CLI's recipes, so that "regenerate exactly" can tell.
    if (!context.source().model.empty())
        ModelLocator::stamp(result.recipe, context.source(), context.precision());
    if (!pending.isEmpty()) sink.audio(pending, rate);
    return QVariant::fromValue(std::move(result));
}

} // namespace moodsteer::widgets
