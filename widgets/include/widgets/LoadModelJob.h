// Loads a model folder (empty: the embedded model) at a weight precision into the engine,
// replacing the current one. Result: LoadModelJob::Loaded (the model's info and the provenance
// that the recipes of its clips record). EngineClient follows these jobs to keep its
// modelInfo() current.
#pragma once

#include "core/hub/ModelLocator.h"
#include "widgets/CoreMetaTypes.h"
#include "widgets/EngineJob.h"

namespace moodsteer::widgets {

class LoadModelJob : public EngineJob {
  public:
    /// What was loaded: `source` as ModelLocator::describeFolder gives it (repo id + commit for
    /// a hub snapshot, absolute folder + content hash otherwise), `precision` of the LM weights.
    struct Loaded {
        ModelInfo info;
        ModelSource source;
        std::string precision = "f32";
    };
    using Result = Loaded;
    static constexpr const char* kKind = "load-model";

    LoadModelJob(QString folder, int threads, QString precision = "f32")
        : folder_(std::move(folder)), threads_(threads), precision_(std::move(precision)) {}

    const QString& folder() const { return folder_; }
    const QString& precision() const { return precision_; }
    QString kind() const override { return kKind; }
    QString title() const override;
    QVariant run(EngineContext& context, JobSink& sink) override;

  private:
    QString folder_;
    int threads_;
    QString precision_;
};

} // namespace moodsteer::widgets

Q_DECLARE_METATYPE(moodsteer::widgets::LoadModelJob::Loaded)
