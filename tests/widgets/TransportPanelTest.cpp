// TransportPanel on a real AudioPlayer with a test sink: play/pause/stop, seek by clicking
// the waveform, loop, and the "no audio device" state.
#include "FakeEngineClient.h"
#include "TestMain.h"

#include "widgets/LevelMeter.h"
#include "widgets/TransportPanel.h"
#include "widgets/WaveformView.h"

#include <QCheckBox>
#include <QSignalSpy>
#include <QTest>
#include <QToolButton>

using namespace moodsteer;
using namespace moodsteer::widgets;

namespace {
AudioBuffer clip(double seconds) {
    AudioBuffer b;
    b.samples.assign(static_cast<std::size_t>(seconds * b.sampleRate), 0.1f);
    return b;
}

/// A device the test unplugs (its stream fails) and plugs back.
class UnpluggableSink final : public AudioSink {
  public:
    explicit UnpluggableSink(bool* plugged) : plugged_(plugged) {}
    std::vector<AudioOutputDevice> devices() override {
        if (!*plugged_) return {};
        return {AudioOutputDevice{0, "usb output", 32000, true}};
    }
    int open(int, int, AudioRenderer*) override {
        if (!*plugged_) throw AudioDeviceError("no audio output device found");
        return 32000;
    }
    void start() override { running_ = true; }
    void stop() override { running_ = false; }
    void close() override { running_ = false; }
    bool isRunning() const override { return running_; }
    std::string deviceName() const override { return "usb output"; }
    std::string failure() const override {
        return running_ && !*plugged_ ? "the audio device stopped (unplugged)" : "";
    }

  private:
    bool* plugged_;
    bool running_ = false;
};
} // namespace

class TransportPanelTest : public QObject {
    Q_OBJECT
  private slots:
    void playPauseStop() {
        AudioPlayer player(std::make_unique<test::SilentSink>());
        TransportPanel panel(&player);
        panel.refreshDevices();
        QVERIFY(panel.hasDevice());
        QVERIFY(panel.statusText().isEmpty());
        panel.showClip(clip(4.0));
        QCOMPARE(player.duration(), 4.0);
        QCOMPARE(panel.waveform()->totalSeconds(), 4.0);
        panel.togglePlay();
        QCOMPARE(player.state(), AudioPlayer::State::Playing);
        panel.togglePlay();
        QCOMPARE(player.state(), AudioPlayer::State::Paused);
        panel.seek(1.5);
        panel.stop();
        QCOMPARE(player.state(), AudioPlayer::State::Stopped);
        QCOMPARE(player.position(), 0.0);
    }

    void clickingTheWaveformSeeks_data() {
        QTest::addColumn<double>("fraction");
        QTest::newRow("start") << 0.0;
        QTest::newRow("quarter") << 0.25;
        QTest::newRow("middle") << 0.5;
        QTest::newRow("near end") << 0.9;
    }
    void clickingTheWaveformSeeks() {
        QFETCH(double, fraction);
        AudioPlayer player(std::make_unique<test::SilentSink>());
        TransportPanel panel(&player);
        panel.refreshDevices();
        panel.resize(800, 200);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        panel.showClip(clip(8.0));
        WaveformView* wave = panel.waveform();
        QSignalSpy spy(wave, &WaveformView::seekRequested);
        QTest::mouseClick(wave, Qt::LeftButton, {},
                          QPoint(int(fraction * wave->width()), wave->height() / 2));
        QCOMPARE(spy.count(), 1);
        const double expected = 8.0 * int(fraction * wave->width()) / wave->width();
        QVERIFY(qAbs(player.position() - expected) < 1e-9);
        panel.poll();
        QCOMPARE(wave->playhead(), player.position());
    }

    void loopCheckboxDrivesThePlayer() {
        AudioPlayer player(std::make_unique<test::SilentSink>());
        TransportPanel panel(&player);
        auto* loop = panel.findChild<QCheckBox*>();
        QVERIFY(loop);
        loop->setChecked(true);
        QVERIFY(player.loop());
        panel.setLoop(false);
        QVERIFY(!loop->isChecked());
        QVERIFY(!player.loop());
    }

    void loopChangedFollowsEveryWayLoopIsSwitched() {
        AudioPlayer player(std::make_unique<test::SilentSink>());
        TransportPanel panel(&player);
        AudioBuffer clip;
        clip.samples.assign(32000 * 8, 0.1f);
        clip.sampleRate = 32000;
        panel.showClip(clip);
        auto* loop = panel.findChild<QCheckBox*>();
        QSignalSpy changed(&panel, &TransportPanel::loopChanged);
        loop->setChecked(true); // the checkbox
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed.last().at(0).toBool(), true);
        panel.setLoop(true); // no change, no signal
        QCOMPARE(changed.size(), 1);
        panel.setLoop(false);
        QCOMPARE(changed.size(), 2);
        QCOMPARE(changed.last().at(0).toBool(), false);
        // The player switched on by someone else (a session's loop region): the next poll
        // shows it and says so.
        player.setLoopRegion(2.0, 4.0);
        player.setLoop(true);
        panel.poll();
        QVERIFY(loop->isChecked());
        QCOMPARE(changed.size(), 3);
        QCOMPARE(changed.last().at(0).toBool(), true);
        panel.poll();
        QCOMPARE(changed.size(), 3);
    }

    void noDeviceIsShownAndPlaybackIsOff() {
        AudioPlayer player(std::make_unique<test::SilentSink>(/*present=*/false));
        TransportPanel panel(&player);
        QSignalSpy unavailable(&panel, &TransportPanel::playbackUnavailable);
        panel.refreshDevices();
        QVERIFY(!panel.hasDevice());
        QVERIFY2(panel.statusText().contains("No audio device"), qPrintable(panel.statusText()));
        QVERIFY(panel.statusText().contains("no audio output device found"));
        QCOMPARE(unavailable.count(), 1);
        panel.showClip(clip(2.0));
        panel.togglePlay();
        QCOMPARE(player.state(), AudioPlayer::State::Stopped);
        QCOMPARE(unavailable.count(), 2);
        panel.seek(1.0); // still a working app: the position moves
        QCOMPARE(player.position(), 1.0);
    }

    void deviceLostDuringPlaybackAndBackIsShown() {
        bool plugged = true;
        AudioPlayer player(std::make_unique<UnpluggableSink>(&plugged));
        player.setDeviceRetryInterval(0.0);
        TransportPanel panel(&player);
        QSignalSpy unavailable(&panel, &TransportPanel::playbackUnavailable);
        QSignalSpy restored(&panel, &TransportPanel::playbackRestored);
        panel.refreshDevices();
        QVERIFY(panel.hasDevice());
        panel.showClip(clip(3.0));
        panel.togglePlay();
        QCOMPARE(player.state(), AudioPlayer::State::Playing);
        plugged = false;
        panel.checkDevice(); // the panel's timer does this every second
        QVERIFY(!panel.hasDevice());
        QCOMPARE(player.state(), AudioPlayer::State::Stopped);
        QCOMPARE(unavailable.count(), 1);
        QVERIFY2(panel.statusText().contains("audio device lost"), qPrintable(panel.statusText()));
        QVERIFY2(panel.statusText().contains("export still work"), qPrintable(panel.statusText()));
        panel.showClip(clip(1.0)); // a new take still arrives without a device
        QCOMPARE(player.duration(), 1.0);
        plugged = true;
        panel.checkDevice();
        QVERIFY(panel.hasDevice());
        QCOMPARE(restored.count(), 1);
        QVERIFY2(restored[0][0].toString().contains("usb output"),
                 qPrintable(restored[0][0].toString()));
        QVERIFY2(panel.statusText().isEmpty(), qPrintable(panel.statusText()));
        panel.togglePlay();
        QCOMPARE(player.state(), AudioPlayer::State::Playing);
    }

    void streamingGrowsTheWaveform() {
        AudioPlayer player(std::make_unique<test::SilentSink>());
        TransportPanel panel(&player);
        panel.beginStream(32000, 10.0);
        QCOMPARE(panel.waveform()->totalSeconds(), 10.0); // laid out for the expected length
        panel.appendStream(QVector<float>(16000, 0.2f));
        QCOMPARE(player.duration(), 0.5);
        QVERIFY(!player.streamFinished());
        panel.endStream();
        QVERIFY(player.streamFinished());
        QCOMPARE(panel.waveform()->totalSeconds(), 0.5);
    }

    void meterFallsAndHolds() {
        LevelMeter meter;
        meter.setPeak(1.0f);
        QCOMPARE(meter.levelDb(), 0.0);
        QCOMPARE(meter.holdDb(), 0.0);
        QTest::qWait(100);
        meter.setPeak(0.0f);
        QVERIFY(meter.levelDb() < 0.0 && meter.levelDb() > -10.0); // ~20 dB/s fall
        QCOMPARE(meter.holdDb(), 0.0);
        QVERIFY(qAbs(LevelMeter::toDb(0.1f) + 20.0) < 1e-5);
        QCOMPARE(LevelMeter::toDb(0.0f), LevelMeter::kFloorDb);
    }
};

MOODSTEER_QTEST_SUITE(TransportPanelTest);
#include "TransportPanelTest.moc"
