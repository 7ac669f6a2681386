// Generates and predicts clips over a valence-arousal grid (core/emotion/EmotionBenchmark.h). Each
// clip goes out as a partial result (Step) as soon as it is predicted. Result:
// EmotionBenchmarkReport; a cancelled run finishes early with `cancelled` set.
#pragma once

#include "widgets/CoreMetaTypes.h"
#include "widgets/EngineJob.h"

namespace moodsteer::widgets {

class EmotionGridBenchmarkJob : public EngineJob {
  public:
    using Result = EmotionBenchmarkReport;
    static constexpr const char* kKind = "emotion-benchmark";
    /// The partial result per clip.
    struct Step {
        int done = 0;
        int total = 0;
        EmotionBenchmarkClip clip;
    };

    EmotionGridBenchmarkJob(EmotionBenchmarkOptions options, QString headPath)
        : options_(std::move(options)), headPath_(std::move(headPath)) {}

    const EmotionBenchmarkOptions& options() const { return options_; }
    QString kind() const override { return kKind; }
    QString title() const override;
    QVariant run(EngineContext& context, JobSink& sink) override;

  private:
    EmotionBenchmarkOptions options_;
    QString headPath_;
};

} // namespace moodsteer::widgets

Q_DECLARE_METATYPE(moodsteer::widgets::EmotionGridBenchmarkJob::Step)
