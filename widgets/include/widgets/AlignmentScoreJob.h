// Scores a clip against its prompt with the text-audio alignment model (the cosine of their
// embeddings, core/alignment/AlignmentModel.h). Result: AlignmentScoreJob::Score. Does not need
// the music model, but runs in the one queue like every job (the model is loaded on first use
// into the EngineContext).
#pragma once

#include "widgets/CoreMetaTypes.h"
#include "widgets/EngineJob.h"

namespace moodsteer::widgets {

class AlignmentScoreJob : public EngineJob {
  public:
    struct Score {
        QString clipId;
        QString prompt;
        double score = 0; ///< cosine, -1..1
    };
    using Result = Score;
    static constexpr const char* kKind = "alignment-score";

    AlignmentScoreJob(QString clipId, AudioBuffer audio, QString prompt, QString modelPath)
        : clipId_(std::move(clipId)), audio_(std::move(audio)), prompt_(std::move(prompt)),
          modelPath_(std::move(modelPath)) {}

    const QString& clipId() const { return clipId_; }
    const QString& prompt() const { return prompt_; }
    const AudioBuffer& audio() const { return audio_; }
    QString kind() const override { return kKind; }
    QString title() const override;
    QVariant run(EngineContext& context, JobSink& sink) override;

    /// Why the model at `modelPath` cannot be used ("" when the file exists).
    static QString unavailableReason(const QString& modelPath);

  private:
    QString clipId_;
    AudioBuffer audio_;
    QString prompt_;
    QString modelPath_;
};

} // namespace moodsteer::widgets

Q_DECLARE_METATYPE(moodsteer::widgets::AlignmentScoreJob::Score)
