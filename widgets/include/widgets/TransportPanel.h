// Transport: play/pause, stop, loop, time, the waveform (click to seek), the output level
// meter, the audio device chooser and the underrun count. Drives a core AudioPlayer and polls
// it ~30 times a second (the audio thread never signals the GUI).
#pragma once

#include "core/audio/AudioBuffer.h"
#include "core/playback/AudioPlayer.h"

#include <QVector>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QTimer;
class QToolButton;

namespace moodsteer::widgets {

class LevelMeter;
class WaveformView;

class TransportPanel : public QWidget {
    Q_OBJECT
  public:
    /// `player` must outlive the panel.
    explicit TransportPanel(AudioPlayer* player, QWidget* parent = nullptr);

    AudioPlayer* player() const { return player_; }
    WaveformView* waveform() const { return waveform_; }
    LevelMeter* meter() const { return meter_; }

    /// Shows and loads a finished clip; `keepPosition` switches clips at the same position
    /// without changing the playing state (A/B comparison).
    void showClip(const AudioBuffer& clip, bool keepPosition = false);
    void beginStream(int sampleRate, double expectedSeconds);
    void appendStream(const QVector<float>& samples);
    void endStream();

    /// Fills the device chooser and opens `preferredName` (or the default device).
    void refreshDevices(const QString& preferredName = {});
    QString deviceName() const;
    bool hasDevice() const { return player_->hasDevice(); }
    QString statusText() const;
    /// Whether the shown clip can be restored (a SynthCodec clip); `why` is the tooltip when
    /// not. The Restore selection button needs this and a selected range.
    void setRestoreAvailable(bool available, const QString& why = {});
    QToolButton* restoreButton() const { return restore_; }

  public slots:
    void togglePlay();
    void stop();
    void setLoop(bool loop);
    void seek(double seconds);
    /// Reads the player's position, state, peak and underruns (the timer calls it); about once
    /// a second also checks the device (AudioPlayer::checkDevice()).
    void poll();
    /// Notices a device lost during playback or back again; poll() calls it every ~1 s.
    void checkDevice();

  signals:
    /// Loop was switched on or off: by its checkbox, setLoop(), or the player itself (a
    /// session's loop region switches it on); the menu's Loop action follows this.
    void loopChanged(bool loop);
    void deviceChanged(const QString& name);
    void playbackUnavailable(const QString& reason);
    /// An output device works again after playback was unavailable (`message` says which).
    void playbackRestored(const QString& message);
    /// Restore selection: regenerate [from, to) seconds of the shown clip.
    void restoreRequested(double from, double to);

  private:
    void openDevice(int index);
    int fillDevices(const QString& preferredName); ///< the chosen device's index
    void updateStatus();
    void updateRestore();

    AudioPlayer* player_;
    QToolButton* playButton_;
    QToolButton* stopButton_;
    QCheckBox* loop_;
    QLabel* time_;
    QToolButton* restore_;
    bool restoreAvailable_ = false;
    QString restoreWhy_;
    QComboBox* devices_;
    QLabel* status_;
    WaveformView* waveform_;
    LevelMeter* meter_;
    QTimer* timer_;
    std::uint64_t shownUnderruns_ = ~0ull;
    int pollsSinceCheck_ = 0;
    AudioPlayer::State shownState_ = AudioPlayer::State::Stopped;
};

} // namespace moodsteer::widgets
