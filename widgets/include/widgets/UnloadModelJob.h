// Unloads the engine's model and gives its memory back to the system (core's unloadModel:
// destroy, then trim the heap). Queued like every job, so a generation submitted before it
// still runs on the model. Result: the resident memory freed in MB (may be ~0 when nothing
// was loaded). EngineClient follows these jobs: modelInfo() is empty afterwards.
#pragma once

#include "widgets/EngineJob.h"

namespace moodsteer::widgets {

class UnloadModelJob : public EngineJob {
  public:
    using Result = double;
    static constexpr const char* kKind = "unload-model";

    QString kind() const override { return kKind; }
    QString title() const override;
    QVariant run(EngineContext& context, JobSink& sink) override;
};

} // namespace moodsteer::widgets
