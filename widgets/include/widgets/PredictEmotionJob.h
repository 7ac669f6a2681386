// Predicts a clip's valence and arousal (per window and overall) with the emotion head.
// Result: ClipPrediction. Does not need the model, but runs in the one queue like every job.
#pragma once

#include "widgets/CoreMetaTypes.h"
#include "widgets/EngineJob.h"

namespace moodsteer::widgets {

class PredictEmotionJob : public EngineJob {
  public:
    using Result = ClipPrediction;
    static constexpr const char* kKind = "predict-emotion";

    PredictEmotionJob(QString clipId, AudioBuffer audio, QString headPath)
        : clipId_(std::move(clipId)), audio_(std::move(audio)), headPath_(std::move(headPath)) {}

    const QString& clipId() const { return clipId_; }
    const AudioBuffer& audio() const { return audio_; }
    QString kind() const override { return kKind; }
    QString title() const override;
    QVariant run(EngineContext& context, JobSink& sink) override;

    /// Why a head at `headPath` cannot be used ("" when the file exists).
    static QString unavailableReason(const QString& headPath);

  private:
    QString clipId_;
    AudioBuffer audio_;
    QString headPath_;
};

} // namespace moodsteer::widgets
