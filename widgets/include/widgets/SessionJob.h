// A long session (minutes of music following an emotion path) as ONE engine job: the engine's
// windowed generation (core/src/session/, a recipe with `windowSeconds` > 0 and an
// `emotionPath`), its audio streamed as it is accepted (sink.audio, ~0.1 s at a time), and,
// after each finished window, the emotion head's prediction of that window's new audio sent as
// a partial result (WindowEmotion), computed here on the engine thread with the same head as
// the emotion view. Result: GenerationResult; a cancelled session *finishes* with the windows
// accepted so far and its recipe marked `incomplete`.
#pragma once

#include "widgets/CoreMetaTypes.h"
#include "widgets/EngineJob.h"

namespace moodsteer::widgets {

class SessionJob : public EngineJob {
  public:
    using Result = GenerationResult;
    static constexpr const char* kKind = "session";

    /// The partial result after each finished generation window.
    struct WindowEmotion {
        int window = 0;          ///< 0-based generation window
        double startSeconds = 0; ///< the window's new audio on the session clock
        double endSeconds = 0;
        double valence = 5; ///< predicted (the clip-level mean over the head's windows)
        double arousal = 5;
    };

    /// `headPath` empty: no per-window prediction (the head is not installed).
    SessionJob(Recipe recipe, QString headPath)
        : recipe_(std::move(recipe)), headPath_(std::move(headPath)) {}

    const Recipe& recipe() const { return recipe_; }
    const QString& headPath() const { return headPath_; }
    QString kind() const override { return kKind; }
    QString title() const override;
    /// Progress: done/total in frames, the time left, and "Window i/n · x.x× real time".
    QVariant run(EngineContext& context, JobSink& sink) override;

  private:
    Recipe recipe_;
    QString headPath_;
};

} // namespace moodsteer::widgets

Q_DECLARE_METATYPE(moodsteer::widgets::SessionJob::WindowEmotion)
