#include "widgets/LoadModelJob.h"

#include "widgets/EngineContext.h"

#include <QObject>

#include <exception>

namespace moodsteer::widgets {

QString LoadModelJob::title() const {
    return folder_.isEmpty() ? QObject::tr("Load the embedded model")
                             : QObject::tr("Load model %1").arg(folder_);
}

QVariant LoadModelJob::run(EngineContext& context, JobSink& sink) {
    context.unloadEngine(); // free the old model first; a failed load leaves none
    std::string path = folder_.toStdString();
    if (path.empty()) {
        path = MusicEngine::embeddedModelFolder();
        if (path.empty())
            throw EngineError(QObject::tr("The embedded model is not installed. Choose a MusicGen "
                                          "model folder in Settings.")
                                  .toStdString());
    }
    sink.progress({0, 0, -1, QObject::tr("Loading %1").arg(QString::fromStdString(path))});
    try {
        LoadOptions options;
        options.threads = threads_;
        context.setEngine(MusicEngine::load(path, options));
        return QVariant::fromValue(context.engine()->info());
    } catch (const std::exception& e) {
        throw EngineError(QObject::tr("Cannot load the model in %1: %2")
                              .arg(QString::fromStdString(path), QString::fromUtf8(e.what()))
                              .toStdString());
    }
}

} // namespace moodsteer::widgets
