// Generates one clip from a recipe, streaming its audio (sink.audio, ~0.1 s at a time) and
// reporting progress per decode step. Result: GenerationResult; a cancelled run finishes
// (not fails) with the audio made so far and `cancelled` set.
//
// With takes > 1 it makes that many takes in one batch (MusicEngine::generateTakes: seeds seed,
// seed + 1, ...): take 1 streams and is the result; takes 2..N are sent just before it as
// partial results (sink.partial, one GenerationResult each, in take order).
#pragma once

#include "widgets/CoreMetaTypes.h"
#include "widgets/EngineJob.h"

namespace moodsteer::widgets {

class GenerateJob : public EngineJob {
  public:
    using Result = GenerationResult;
    static constexpr const char* kKind = "generate";
    /// Audio is gathered to at least this many samples before it is sent (~0.1 s), so the GUI
    /// is not flooded once per decode step.
    static constexpr int kChunkSamples = 3200;

    explicit GenerateJob(Recipe recipe, int takes = 1)
        : recipe_(std::move(recipe)), takes_(takes) {}

    const Recipe& recipe() const { return recipe_; }
    int takes() const { return takes_; }
    QString kind() const override { return kKind; }
    QString title() const override;
    QVariant run(EngineContext& context, JobSink& sink) override;

  private:
    Recipe recipe_;
    int takes_ = 1;
};

} // namespace moodsteer::widgets
