#include "widgets/UnloadModelJob.h"

#include "widgets/EngineContext.h"

#include <QObject>

namespace moodsteer::widgets {

QString UnloadModelJob::title() const {
    return QObject::tr("Unload the model");
}

QVariant UnloadModelJob::run(EngineContext& context, JobSink& sink) {
    sink.progress({0, 0, -1, QObject::tr("Unloading the model")});
    return QVariant::fromValue(context.unloadEngine());
}

} // namespace moodsteer::widgets
