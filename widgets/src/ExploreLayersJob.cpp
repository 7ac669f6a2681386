#include "widgets/ExploreLayersJob.h"

#include "widgets/EngineContext.h"

#include "core/probing/ActivationCollector.h"

#include <QObject>

namespace moodsteer::widgets {

QString ExploreLayersJob::title() const {
    return request_.folder.isEmpty()
               ? QObject::tr("Explore layers: %1 generated clips per genre").arg(request_.perLabel)
               : QObject::tr("Explore layers: %1").arg(request_.folder);
}

QVariant ExploreLayersJob::run(EngineContext& context, JobSink& sink) {
    MusicEngine& engine = context.requireEngine();
    const std::string path = request_.activationPath.toStdString();
    ActivationCollector collector(engine);
    CollectionOptions options;
    const auto collecting = [&sink](const CollectionProgress& p) {
        sink.progress(
            {p.done, p.total, -1,
             QObject::tr("Collecting activations: %1").arg(QString::fromStdString(p.clip))});
    };
    if (!request_.folder.isEmpty()) {
        collector.collectFolder(request_.folder.toStdString(), path, options, collecting,
                                cancelToken());
    } else {
        GenerationSpec spec;
        for (const QString& l : request_.labels)
            spec.labels.push_back(l.toStdString());
        spec.perLabel = request_.perLabel;
        spec.seconds = request_.seconds;
        spec.seed = request_.seed;
        collector.collectGenerated(spec, path, options, collecting, cancelToken());
    }
    const LayerAnalysisReport report =
        analyseLayerFile(path, LayerAnalysisOptions{}, [this, &sink](int done, int total, int l) {
            if (isCancelRequested()) throw EngineError("cancelled");
            sink.progress({done, total, -1, QObject::tr("Analysing layer %1").arg(l)});
        });
    return QVariant::fromValue(report);
}

} // namespace moodsteer::widgets
