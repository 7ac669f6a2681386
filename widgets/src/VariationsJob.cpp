#include "widgets/VariationsJob.h"

#include "core/io/Version.h"
#include "core/synth/SynthCodec.h"
#include "core/variations/VariationGenerator.h"
#include "widgets/EngineContext.h"

#include <QObject>

namespace moodsteer::widgets {

QString VariationsJob::title() const {
    if (settings_.restoreFrom)
        return QObject::tr("Restore %1 s – %2 s of %3")
            .arg(*settings_.restoreFrom, 0, 'f', 1)
            .arg(settings_.restoreTo.value_or(0), 0, 'f', 1)
            .arg(sourceName_);
    return QObject::tr("%n variation(s) of %1", nullptr, settings_.count).arg(sourceName_);
}

GenerationResult VariationsJob::clipOf(const CodeGrid& codes, const QString& sourceId,
                                       const VariationSettings& s, int index) {
    GenerationResult r;
    r.audio = SynthCodec().decode(codes);
    r.numCodebooks = codes.numCodebooks;
    r.frames = codes.frames;
    r.codes = codes.data;
    Recipe& recipe = r.recipe;
    recipe.model = "embedded";
    recipe.seed = s.seed + static_cast<std::uint64_t>(index);
    recipe.seconds = codes.frames / 25.0;
    recipe.engineVersion = engineVersion();
    recipe.variationOf = sourceId.toStdString();
    recipe.variation = index + 1;
    recipe.variations = s.count;
    recipe.variationSimilarity = s.similarity;
    recipe.variationShiftArousal = s.shiftArousal;
    recipe.variationShiftValence = s.shiftValence;
    if (s.restoreFrom && s.restoreTo) {
        recipe.restoredFrom = *s.restoreFrom;
        recipe.restoredTo = *s.restoreTo;
    }
    return r;
}

QVariant VariationsJob::run(EngineContext& context, JobSink& sink) {
    VariationRequest request;
    request.source = codes_;
    request.count = settings_.count;
    request.similarity = settings_.similarity;
    request.shiftArousal = settings_.shiftArousal;
    request.shiftValence = settings_.shiftValence;
    request.seed = settings_.seed;
    request.restoreBeginSeconds = settings_.restoreFrom;
    request.restoreEndSeconds = settings_.restoreTo;
    VariationGenerator& generator = context.variationGenerator();
    generator.validate(request);
    const VariationResult result = generator.generate(
        request,
        [&sink](const VariationProgress& p) {
            sink.progress({p.step, p.totalSteps, p.etaSeconds, QString::fromStdString(p.message)});
        },
        cancelToken());
    Outcome out;
    out.sourceId = sourceId_;
    out.cancelled = result.cancelled;
    for (std::size_t i = 0; i < result.variations.size(); ++i)
        out.variations << clipOf(result.variations[i].codes, sourceId_, settings_,
                                 static_cast<int>(i));
    return QVariant::fromValue(out);
}

} // namespace moodsteer::widgets
