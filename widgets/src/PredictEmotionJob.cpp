#include "widgets/PredictEmotionJob.h"

#include "widgets/EngineContext.h"

#include <QFileInfo>
#include <QObject>

#include <stdexcept>

namespace moodsteer::widgets {

QString PredictEmotionJob::title() const {
    return QObject::tr("Predict the emotion of %1").arg(clipId_);
}

QString PredictEmotionJob::unavailableReason(const QString& headPath) {
    if (!headPath.isEmpty() && QFileInfo::exists(headPath)) return {};
    return QObject::tr("Emotion prediction is off: the emotion head %1 is not installed.")
        .arg(headPath);
}

QVariant PredictEmotionJob::run(EngineContext& context, JobSink&) {
    const QString reason = unavailableReason(headPath_);
    if (!reason.isEmpty()) throw std::runtime_error(reason.toStdString());
    return QVariant::fromValue(context.predictor(headPath_.toStdString()).predict(audio_));
}

} // namespace moodsteer::widgets
