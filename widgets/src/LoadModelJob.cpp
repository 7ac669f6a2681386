#include "widgets/LoadModelJob.h"

#include "widgets/EngineContext.h"

#include <QObject>

#include <exception>

namespace moodsteer::widgets {

QString LoadModelJob::title() const {
    const QString at = precision_ == "f32" ? QString() : QObject::tr(" (%1)").arg(precision_);
    return (folder_.isEmpty() ? QObject::tr("Load the embedded model")
                              : QObject::tr("Load model %1").arg(folder_)) +
           at;
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
        options.precision = precision_.toStdString();
        Loaded loaded;
        // Provenance first: a folder that cannot be described is refused before gigabytes load.
        loaded.source = ModelLocator::describeFolder(path);
        loaded.precision = options.precision;
        context.setEngine(MusicEngine::load(path, options));
        context.setProvenance(loaded.source, loaded.precision);
        loaded.info = context.engine()->info();
        return QVariant::fromValue(loaded);
    } catch (const std::exception& e) {
        throw EngineError(QObject::tr("Cannot load the model in %1: %2")
                              .arg(QString::fromStdString(path), QString::fromUtf8(e.what()))
                              .toStdString());
    }
}

} // namespace moodsteer::widgets
