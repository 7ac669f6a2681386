// The Session view: a long piece that follows an emotion path (the iso principle). The path
// is edited on a timeline (valence and arousal lanes, SessionTimeline) or filled from a preset
// (calm / activate / lift, from -> to over the session, then a hold, as `moodsteer-cli session
// --preset`); genre segments on the timeline's third lane become steering towards that genre's
// vector over the segment's time range (the model's genre vectors, as the genre steering
// panel); also the total length, the prompt ("{word}" follows the path's mood) and the seed.
// Generate runs the whole session as ONE SessionJob through the GenerationController (audio
// streamed to the player as windows finish, the finished session filed in the library with its
// recipe; cancel keeps what was made). While it runs the view shows progress and time left, the
// predicted valence/arousal of each finished window over the target path, and says so when
// generation falls behind real time; a playhead follows playback while the session is the clip
// being heard.
//
// Threading: GUI thread only. Talks to the engine only through EngineClient (job signals) and
// the GenerationController.
#pragma once

#include "core/playback/AudioPlayer.h"
#include "widgets/EngineClient.h"
#include "widgets/GenreSteeringPanel.h"
#include "widgets/SessionTimeline.h"

#include <QElapsedTimer>
#include <QPointF>
#include <QVector>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTimer;

namespace moodsteer::widgets {

class EmotionGuidanceBox;

class GenerationController;

class SessionPanel : public QWidget {
    Q_OBJECT
  public:
    /// Below this generation speed (audio seconds per second) the view warns that playback
    /// will pause; measured once a few seconds have passed.
    static constexpr double kRealTime = 1.0;
    static constexpr int kSettleMs = 4000;

    /// `controller` streams and files the session (use one of its own: its Cancel is this
    /// view's). `player` (may be null) gives the playhead and takes seeks. All outlive it.
    SessionPanel(EngineClient* engine, GenerationController* controller, AudioPlayer* player,
                 QWidget* parent = nullptr);

    /// Enables Generate and sets the window length, the guidance and the recipe's model id.
    void setModelInfo(const ModelInfo& info, const QString& modelId);
    /// The genre vectors the genre lane offers (the genre steering panel's, made for the loaded
    /// model). Segments of genres no longer offered are kept but not generated.
    void setGenreVectors(const QVector<GenreSteeringPanel::Vector>& vectors);
    /// The session as it would be generated now. Throws std::invalid_argument for a prompt of
    /// token ids that does not parse, or a genre segment whose genre has no vector.
    Recipe sessionRecipe() const;

    /// Whether the view warns that generation is behind real time: measured speed below
    /// kRealTime after kSettleMs, or playback `position` within 0.25 s of the audio made.
    static bool behindRealTime(double speed, double elapsedMs, bool playing, double position,
                               double madeSeconds);

    SessionTimeline* timeline() const { return timeline_; }
    QComboBox* presetBox() const { return preset_; }
    QComboBox* genreBox() const { return genre_; }
    QDoubleSpinBox* genreStrengthBox() const { return genreAlpha_; }
    QDoubleSpinBox* minutesBox() const { return minutes_; }
    QDoubleSpinBox* holdBox() const { return hold_; }
    /// The emotion path's own guidance (Recipe::emotionGuidance); its minimum is none.
    EmotionGuidanceBox* emotionGuidanceBox() const { return emotionGuidance_; }
    /// The emotion check's tolerance (Recipe::emotionCheck); its minimum, 0, is off.
    QDoubleSpinBox* emotionCheckBox() const { return emotionCheck_; }
    QPushButton* applyPresetButton() const { return applyPreset_; }
    QPushButton* generateButton() const { return generate_; }
    QPushButton* cancelButton() const { return cancel_; }
    QLineEdit* promptEdit() const { return prompt_; }
    QLabel* statusLabel() const { return status_; }
    QLabel* speedWarning() const { return behind_; }
    /// Shown when a mood word in the prompt contradicts the path (core moodConflict).
    QLabel* moodNote() const { return moodNote_; }
    QProgressBar* progressBar() const { return progress_; }
    /// The target path sampled from start to end (what pathChanged last sent).
    QVector<QPointF> pathPoints() const;
    /// The running (or last) session job; 0 before the first.
    JobId job() const { return job_; }

  public slots:
    /// Fills the path from the preset fields: from -> to over (length - hold), then hold.
    void applyPreset();
    void generate();
    void cancel();

  signals:
    /// The target path changed: sampled points (valence, arousal) from start to end, for
    /// drawing on the VA pad.
    void pathChanged(const QVector<QPointF>& valenceArousal);

  private:
    void onPresetChosen();
    void onStarted(JobId id);
    void onProgress(JobId id, const JobProgress& p);
    void onAudio(JobId id, const QVector<float>& samples, int sampleRate);
    void onPartial(JobId id, const QVariant& value);
    void onEnded(JobId id);
    /// From the timeline's ruler: loop [from, to) of the session audio (0, 0: stop looping a
    /// region), when the player holds the session.
    void applyLoopRegion(double from, double to);
    bool playerHoldsSession() const;
    void setRunning(bool running);
    void publishPath();
    void updateMoodNote();
    /// Playhead and the "behind real time" check (30 Hz while a session is shown).
    void poll();

    EngineClient* engine_;
    GenerationController* controller_;
    AudioPlayer* player_;
    SessionTimeline* timeline_;
    QComboBox* preset_;
    QDoubleSpinBox *fromV_, *fromA_, *toV_, *toA_;
    QDoubleSpinBox* minutes_;
    QDoubleSpinBox* hold_;
    QCheckBox* smooth_;
    QPushButton* applyPreset_;
    QLineEdit* prompt_;
    QSpinBox* seed_;
    EmotionGuidanceBox* emotionGuidance_;
    QDoubleSpinBox* emotionCheck_ = nullptr;
    QComboBox* genre_;
    QDoubleSpinBox* genreAlpha_;
    QVector<GenreSteeringPanel::Vector> genreVectors_;
    QPushButton* generate_;
    QPushButton* cancel_;
    QProgressBar* progress_;
    QLabel* status_;
    QLabel* behind_;
    QLabel* moodNote_;
    QTimer* timer_;
    std::optional<ModelInfo> info_;
    QString modelId_;
    JobId job_ = 0;
    bool running_ = false;
    double sessionSeconds_ = 0; ///< audio of the session received (the playhead's clip length)
    double totalSeconds_ = 0;   ///< the running session's length
    double speed_ = 0;          ///< audio seconds made per second, from the last progress
    QElapsedTimer clock_;       ///< since the running session started
};

} // namespace moodsteer::widgets
