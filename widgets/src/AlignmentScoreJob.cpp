#include "widgets/AlignmentScoreJob.h"

#include "widgets/EngineContext.h"

#include "core/alignment/AlignmentModel.h"

#include <QFileInfo>
#include <QObject>

#include <stdexcept>

namespace moodsteer::widgets {

QString AlignmentScoreJob::title() const {
    return QObject::tr("Score %1 against its prompt").arg(clipId_);
}

QString AlignmentScoreJob::unavailableReason(const QString& modelPath) {
    if (!modelPath.isEmpty() && QFileInfo::exists(modelPath)) return {};
    return QObject::tr("Alignment score is off: the alignment model %1 is not installed.")
        .arg(modelPath);
}

QVariant AlignmentScoreJob::run(EngineContext& context, JobSink&) {
    const QString reason = unavailableReason(modelPath_);
    if (!reason.isEmpty()) throw std::runtime_error(reason.toStdString());
    Score s;
    s.clipId = clipId_;
    s.prompt = prompt_;
    s.score = context.alignment(modelPath_.toStdString()).score(audio_, prompt_.toStdString());
    return QVariant::fromValue(s);
}

} // namespace moodsteer::widgets
