#include "widgets/EmotionGridBenchmarkJob.h"

#include "widgets/EngineContext.h"
#include "widgets/PredictEmotionJob.h"

#include <QObject>

#include <stdexcept>

namespace moodsteer::widgets {

QString EmotionGridBenchmarkJob::title() const {
    return QObject::tr("Emotion benchmark: %1 × %2 targets")
        .arg(options_.gridValence)
        .arg(options_.gridArousal);
}

QVariant EmotionGridBenchmarkJob::run(EngineContext& context, JobSink& sink) {
    MusicEngine& engine = context.requireEngine();
    const QString reason = PredictEmotionJob::unavailableReason(headPath_);
    if (!reason.isEmpty()) throw std::runtime_error(reason.toStdString());
    const EmotionBenchmarkReport report = runEmotionBenchmark(
        engine, context.predictor(headPath_.toStdString()), nullptr, options_,
        [&sink](int done, int total, const EmotionBenchmarkClip& clip) {
            sink.progress({done, total, -1, QObject::tr("Clip %1 of %2").arg(done).arg(total)});
            sink.partial(QVariant::fromValue(Step{done, total, clip}));
        },
        cancelToken());
    return QVariant::fromValue(report);
}

} // namespace moodsteer::widgets
