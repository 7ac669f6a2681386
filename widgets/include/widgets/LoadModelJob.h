// Loads a model folder (empty: the embedded model) into the engine, replacing the current one.
// Result: ModelInfo. EngineClient follows these jobs to keep its modelInfo() current.
#pragma once

#include "widgets/CoreMetaTypes.h"
#include "widgets/EngineJob.h"

namespace moodsteer::widgets {

class LoadModelJob : public EngineJob {
  public:
    using Result = ModelInfo;
    static constexpr const char* kKind = "load-model";

    LoadModelJob(QString folder, int threads) : folder_(std::move(folder)), threads_(threads) {}

    const QString& folder() const { return folder_; }
    QString kind() const override { return kKind; }
    QString title() const override;
    QVariant run(EngineContext& context, JobSink& sink) override;

  private:
    QString folder_;
    int threads_;
};

} // namespace moodsteer::widgets
