#include "widgets/GenerateJob.h"

#include "widgets/EngineContext.h"

#include <QObject>

#include <algorithm>

namespace moodsteer::widgets {

QString GenerateJob::title() const {
    QString prompt = QString::fromStdString(recipe_.prompt).simplified();
    if (prompt.size() > 40) prompt = prompt.left(39) + QChar(0x2026);
    const QString what = prompt.isEmpty() ? QObject::tr("(no prompt)") : prompt;
    if (takes_ > 1)
        return QObject::tr("Generate %1 takes of %2 s: %3")
            .arg(takes_)
            .arg(recipe_.seconds, 0, 'g', 3)
            .arg(what);
    return QObject::tr("Generate %1 s: %2").arg(recipe_.seconds, 0, 'g', 3).arg(what);
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
    std::vector<GenerationResult> results;
    if (takes_ > 1)
        results = engine.generateTakes(recipe_, takes_, callbacks);
    else
        results.push_back(engine.generate(recipe_, callbacks));
    // The same provenance as the CLI's recipes, so that "regenerate exactly" can tell.
    if (!context.source().model.empty())
        for (auto& r : results)
            ModelLocator::stamp(r.recipe, context.source(), context.precision());
    if (!pending.isEmpty()) sink.audio(pending, rate);
    for (std::size_t i = 1; i < results.size(); ++i)
        sink.partial(QVariant::fromValue(std::move(results[i])));
    return QVariant::fromValue(std::move(results.front()));
}

} // namespace moodsteer::widgets
