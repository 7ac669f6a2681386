#include "widgets/TransportPanel.h"

#include "widgets/LevelMeter.h"
#include "widgets/WaveformView.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QStyle>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace moodsteer::widgets {

namespace {
QString clock(double s) {
    const int m = static_cast<int>(s) / 60;
    return QStringLiteral("%1:%2").arg(m).arg(s - 60 * m, 4, 'f', 1, QChar('0'));
}
} // namespace

TransportPanel::TransportPanel(AudioPlayer* player, QWidget* parent)
    : QWidget(parent), player_(player) {
    playButton_ = new QToolButton(this);
    playButton_->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
    playButton_->setToolTip(tr("Play / pause (Space)"));
    playButton_->setAutoRaise(true);
    stopButton_ = new QToolButton(this);
    stopButton_->setIcon(style()->standardIcon(QStyle::SP_MediaStop));
    stopButton_->setToolTip(tr("Stop and rewind"));
    stopButton_->setAutoRaise(true);
    loop_ = new QCheckBox(tr("Loop"), this);
    loop_->setToolTip(tr("Repeat the clip"));
    time_ = new QLabel(clock(0) + " / " + clock(0), this);
    time_->setMinimumWidth(time_->fontMetrics().horizontalAdvance("00:00.0 / 00:00.0") + 8);
    devices_ = new QComboBox(this);
    devices_->setToolTip(tr("Audio output device"));
    devices_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    devices_->setMinimumContentsLength(18);
    status_ = new QLabel(this);
    status_->setWordWrap(true);
    waveform_ = new WaveformView(this);
    restore_ = new QToolButton(this);
    restore_->setText(tr("Restore selection"));
    restore_->setAutoRaise(true);
    meter_ = new LevelMeter(this);

    auto* row = new QHBoxLayout;
    row->addWidget(playButton_);
    row->addWidget(stopButton_);
    row->addWidget(loop_);
    row->addWidget(time_);
    row->addWidget(restore_);
    row->addWidget(status_, 1);
    row->addWidget(new QLabel(tr("Output"), this));
    row->addWidget(devices_);
    auto* wave = new QHBoxLayout;
    wave->addWidget(waveform_, 1);
    wave->addWidget(meter_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(row);
    layout->addLayout(wave, 1);

    connect(playButton_, &QToolButton::clicked, this, &TransportPanel::togglePlay);
    connect(stopButton_, &QToolButton::clicked, this, &TransportPanel::stop);
    connect(loop_, &QCheckBox::toggled, this, &TransportPanel::setLoop);
    connect(waveform_, &WaveformView::seekRequested, this, &TransportPanel::seek);
    connect(waveform_, &WaveformView::selectionChanged, this, &TransportPanel::updateRestore);
    connect(restore_, &QToolButton::clicked, this, [this] {
        if (const auto range = waveform_->selection())
            emit restoreRequested(range->first, range->second);
    });
    connect(devices_, &QComboBox::activated, this,
            [this](int row) { openDevice(devices_->itemData(row).toInt()); });

    timer_ = new QTimer(this);
    timer_->setInterval(33); // ~30 repaints a second at most
    connect(timer_, &QTimer::timeout, this, &TransportPanel::poll);
    timer_->start();
    updateStatus();
    updateRestore();
}

void TransportPanel::setRestoreAvailable(bool available, const QString& why) {
    restoreAvailable_ = available;
    restoreWhy_ = why;
    updateRestore();
}

void TransportPanel::updateRestore() {
    const bool selected = waveform_->selection().has_value();
    restore_->setEnabled(restoreAvailable_ && selected);
    restore_->setToolTip(!restoreAvailable_ ? restoreWhy_
                         : selected         ? tr("Regenerate the selected range so that it fits "
                                                         "what surrounds it (a new clip in the library)")
                                            : tr("Drag over the waveform to select a range first"));
}

void TransportPanel::showClip(const AudioBuffer& clip, bool keepPosition) {
    player_->setClip(clip, keepPosition);
    waveform_->setExpectedSeconds(0);
    waveform_->setAudio(clip.samples, clip.sampleRate);
    poll();
}

void TransportPanel::beginStream(int sampleRate, double expectedSeconds) {
    player_->beginStream(sampleRate);
    waveform_->setAudio({}, sampleRate);
    waveform_->setExpectedSeconds(expectedSeconds);
    poll();
}

void TransportPanel::appendStream(const QVector<float>& samples) {
    player_->appendStream(samples.constData(), static_cast<std::size_t>(samples.size()));
    waveform_->appendAudio(samples.constData(), static_cast<std::size_t>(samples.size()));
}

void TransportPanel::endStream() {
    player_->endStream();
    waveform_->setExpectedSeconds(0);
}

void TransportPanel::togglePlay() {
    if (player_->state() == AudioPlayer::State::Playing)
        player_->pause();
    else if (!player_->play() && !player_->hasDevice())
        emit playbackUnavailable(statusText());
    poll();
}

void TransportPanel::stop() {
    player_->stop();
    poll();
}

void TransportPanel::setLoop(bool loop) {
    const bool was = player_->loop();
    player_->setLoop(loop);
    if (loop_->isChecked() != loop) loop_->setChecked(loop);
    if (was != loop) emit loopChanged(loop);
}

void TransportPanel::seek(double seconds) {
    player_->seek(seconds);
    poll();
}

void TransportPanel::poll() {
    const double pos = player_->position(), dur = player_->duration();
    waveform_->setPlayhead(pos);
    time_->setText(clock(pos) + " / " + clock(std::max(dur, waveform_->totalSeconds())));
    meter_->setPeak(player_->takePeak());
    const auto state = player_->state();
    if (state != shownState_) {
        shownState_ = state;
        playButton_->setIcon(style()->standardIcon(
            state == AudioPlayer::State::Playing ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
    }
    if (player_->underruns() != shownUnderruns_) updateStatus();
    if (loop_->isChecked() != player_->loop()) { // switched on by a session's loop region
        const QSignalBlocker block(loop_);
        loop_->setChecked(player_->loop());
        emit loopChanged(player_->loop());
    }
    if (++pollsSinceCheck_ >= 30) checkDevice();
}

void TransportPanel::checkDevice() {
    pollsSinceCheck_ = 0;
    const QString before = statusText();
    switch (player_->checkDevice()) {
    case AudioPlayer::DeviceChange::Lost:
        updateStatus();
        emit playbackUnavailable(statusText());
        break;
    case AudioPlayer::DeviceChange::Recovered:
        fillDevices(deviceName()); // the list may have changed; keep the user's choice shown
        updateStatus();
        emit playbackRestored(
            tr("Audio output is back: %1").arg(QString::fromStdString(player_->deviceName())));
        break;
    case AudioPlayer::DeviceChange::None:
        if (!player_->hasDevice()) {
            updateStatus(); // a failed retry may have a newer reason
            if (statusText() != before) emit playbackUnavailable(statusText());
        }
        break;
    }
}

void TransportPanel::refreshDevices(const QString& preferredName) {
    openDevice(fillDevices(preferredName));
}

int TransportPanel::fillDevices(const QString& preferredName) {
    devices_->clear();
    const auto list = player_->devices();
    if (list.empty()) {
        devices_->addItem(tr("No audio device"), -1);
    } else {
        devices_->addItem(tr("Default output"), -1);
        for (const auto& d : list)
            devices_->addItem(QString::fromStdString(d.name), d.index);
    }
    int index = -1;
    for (int row = 1; row < devices_->count(); ++row)
        if (!preferredName.isEmpty() && devices_->itemText(row) == preferredName) {
            devices_->setCurrentIndex(row);
            index = devices_->itemData(row).toInt();
        }
    return index;
}

void TransportPanel::openDevice(int index) {
    player_->openDevice(index);
    updateStatus();
    if (!player_->hasDevice()) emit playbackUnavailable(statusText());
    emit deviceChanged(deviceName());
}

QString TransportPanel::deviceName() const {
    const int row = devices_->currentIndex();
    return row > 0 ? devices_->itemText(row) : QString();
}

QString TransportPanel::statusText() const {
    return status_->toolTip(); // the whole message; the label may show a short form
}

void TransportPanel::updateStatus() {
    shownUnderruns_ = player_->underruns();
    const bool ok = player_->hasDevice();
    playButton_->setEnabled(ok);
    if (!ok) {
        const QString why = QString::fromStdString(player_->deviceError());
        // The transport row has room for a few words: the whole message is the tooltip (and
        // goes to the status bar through playbackUnavailable).
        status_->setText(tr("No audio device"));
        status_->setToolTip(tr("No audio device%1 — playback is off; generating, the library "
                               "and export still work.")
                                .arg(why.isEmpty() ? QString() : " (" + why + ")"));
        status_->setStyleSheet("color: #b35a00;");
    } else if (shownUnderruns_ > 0) {
        status_->setText(tr("%n underrun(s): the audio ran dry", "", int(shownUnderruns_)));
        status_->setToolTip(status_->text());
        status_->setStyleSheet("color: #b35a00;");
    } else {
        status_->setText(QString());
        status_->setToolTip(QString());
        status_->setStyleSheet(QString());
    }
}

} // namespace moodsteer::widgets
