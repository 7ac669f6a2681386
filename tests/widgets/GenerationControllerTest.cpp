// GenerationController against the fake engine: streaming into the transport, playback
// starting before the clip is finished, the clip filed in the library with its recipe,
// cancellation, failures, and a second request queued behind the first.
#include "FakeEngineClient.h"
#include "JobSpy.h"
#include "TestMain.h"

#include "widgets/GeneratePanel.h"
#include "widgets/GenerationController.h"
#include "widgets/TransportPanel.h"

#include "core/playback/PrebufferEstimate.h"

#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <set>

using namespace moodsteer;
using namespace moodsteer::widgets;

namespace {
Recipe recipe(double seconds, std::uint64_t seed) {
    Recipe r;
    r.prompt = "test tune";
    r.seconds = seconds;
    r.seed = seed;
    return r;
}

struct Rig {
    QTemporaryDir dir;
    test::FakeEngineClient engine;
    AudioPlayer player{std::make_unique<test::SilentSink>()};
    TransportPanel transport{&player};
    ClipLibrary library{dir.path().toStdString()};
    GenerationController controller{&engine, &transport, &library};
    Rig() {
        transport.refreshDevices();
        engine.loadModel("/models/fake", 2);
        QSignalSpy loaded(&engine, &EngineClient::modelLoaded);
        loaded.wait(2000);
    }
};
} // namespace

class GenerationControllerTest : public QObject {
    Q_OBJECT
  private slots:
    void clipStreamsPlaysEarlyAndLandsInTheLibrary() {
        Rig rig;
        QSignalSpy added(&rig.controller, &GenerationController::clipAdded);
        QSignalSpy busy(&rig.controller, &GenerationController::busyChanged);
        QSignalSpy chunks(&rig.engine, &EngineClient::jobAudio);
        const JobId job = rig.controller.generate(recipe(3.0, 17));
        QVERIFY(job != 0);
        QVERIFY(rig.controller.isBusy());
        QVERIFY(added.wait(5000));
        QCOMPARE(added[0][1].value<JobId>(), job);
        QCOMPARE(chunks.count(), 6);
        QVERIFY(rig.controller.playbackStartedWhileGenerating());
        QCOMPARE(busy.count(), 2);
        QVERIFY(!rig.controller.isBusy());
        QCOMPARE(rig.library.clips().size(), std::size_t(1));
        const LibraryClip& c = rig.library.clips()[0];
        QCOMPARE(QString::fromStdString(c.id), rig.controller.lastClipId());
        QCOMPARE(c.recipe.seed, std::uint64_t(17));
        QCOMPARE(c.seconds, 3.0);
        QCOMPARE(rig.player.duration(), 3.0);
        QVERIFY(rig.player.streamFinished());
        // The stored audio is what the engine made (16-bit WAV quantisation aside).
        const AudioBuffer stored = rig.library.audio(c.id);
        QCOMPARE(stored.samples.size(), std::size_t(96000));
        float maxDiff = 0;
        for (std::size_t i = 0; i < stored.samples.size(); ++i)
            maxDiff = std::max(maxDiff,
                               std::abs(stored.samples[i] - test::FakeEngineClient::sample(17, i)));
        QVERIFY2(maxDiff < 1e-4f, qPrintable(QString::number(maxDiff)));
    }

    void takesStreamTakeOneAndLandInTheLibraryTogether() {
        Rig rig;
        QSignalSpy added(&rig.controller, &GenerationController::clipAdded);
        const JobId job = rig.controller.generate(recipe(1.0, 50), 3);
        QVERIFY(job != 0);
        QCOMPARE(rig.engine.lastTakes, 3);
        QTRY_COMPARE_WITH_TIMEOUT(added.count(), 3, 5000);
        for (const auto& a : added)
            QCOMPARE(a[1].value<JobId>(), job);
        QVERIFY(!rig.controller.isBusy());
        QCOMPARE(rig.library.clips().size(), std::size_t(3));
        std::set<int> takes;
        for (const auto& c : rig.library.clips()) {
            QCOMPARE(c.recipe.takes, 3);
            QCOMPARE(c.recipe.seed, std::uint64_t(50 + c.recipe.take - 1));
            takes.insert(c.recipe.take);
            // Each take's audio is its own seed's.
            const AudioBuffer stored = rig.library.audio(c.id);
            QVERIFY(std::abs(stored.samples[1000] -
                             test::FakeEngineClient::sample(c.recipe.seed, 1000)) < 1e-4f);
        }
        QCOMPARE(takes, (std::set<int>{1, 2, 3}));
        // Take 1 is the streamed one and the last filed.
        QCOMPARE(added.last()[0].toString(), rig.controller.lastClipId());
        QCOMPARE(rig.library.find(rig.controller.lastClipId().toStdString())->recipe.take, 1);
    }

    void aSecondGenerationQueuesBehindTheFirst() {
        Rig rig;
        QSignalSpy added(&rig.controller, &GenerationController::clipAdded);
        QSignalSpy busy(&rig.controller, &GenerationController::busyChanged);
        const JobId first = rig.controller.generate(recipe(2.0, 17));
        const JobId second = rig.controller.generate(recipe(1.0, 1));
        QCOMPARE(rig.controller.jobs(), (QList<JobId>{first, second}));
        QCOMPARE(rig.engine.jobs().size(), 2);
        QVERIFY(added.wait(5000));
        if (added.count() < 2) QVERIFY(added.wait(5000));
        QCOMPARE(added[0][1].value<JobId>(), first);
        QCOMPARE(added[1][1].value<JobId>(), second);
        QCOMPARE(rig.library.clips().size(), std::size_t(2));
        QCOMPARE(rig.library.clips()[0].recipe.seed, std::uint64_t(17));
        QCOMPARE(rig.library.clips()[1].recipe.seed, std::uint64_t(1));
        QCOMPARE(rig.player.duration(), 1.0); // the transport holds the latest clip
        QCOMPARE(busy.count(), 2);            // busy from the first request to the last clip
        QVERIFY(!rig.controller.isBusy());
    }

    void generateWaitsBehindAnotherJobAndCancelTouchesOnlyItsOwn() {
        Rig rig;
        LayerMetrics m;
        for (int l = 0; l < 4; ++l)
            rig.engine.layerReport.layers.push_back(m);
        QSignalSpy status(&rig.controller, &GenerationController::statusMessage);
        QSignalSpy ended(&rig.controller, &GenerationController::ended);
        test::JobSpy spy(&rig.engine);
        const JobId explore = rig.engine.exploreLayers({});
        const JobId job = rig.controller.generate(recipe(1.0, 2));
        QVERIFY(job != 0);
        QVERIFY(status.last()[0].toString().contains("Queued"));
        rig.controller.cancel();
        QCOMPARE(ended.count(), 1); // dropped from the queue at once
        QVERIFY(!rig.controller.isBusy());
        QVERIFY(spy.waitEnded(explore, 5000));
        QVERIFY(spy.result(explore).isValid()); // the exploration was not touched
        QVERIFY(!spy.started.contains(job));
        QVERIFY(rig.library.clips().empty());
    }

    void slowGeneratorDoesNotStartPlaybackEarly() {
        Rig rig;
        rig.engine.etaPerChunk = 5.0; // far slower than real time
        QSignalSpy added(&rig.controller, &GenerationController::clipAdded);
        QList<bool> playingAfterChunk;
        connect(&rig.engine, &EngineClient::jobAudio, this,
                [&] { playingAfterChunk << (rig.player.state() == AudioPlayer::State::Playing); });
        QVERIFY(rig.controller.generate(recipe(2.0, 3)));
        QVERIFY(added.wait(5000));
        // Playing before the last chunk would run dry: the generator is behind real time.
        QCOMPARE(playingAfterChunk.size(), 4);
        QCOMPARE(playingAfterChunk.mid(0, 3), (QList<bool>{false, false, false}));
        QCOMPARE(rig.player.state(), AudioPlayer::State::Playing); // starts once complete
    }

    void slowerThanRealTimeBuffersFirstAndSaysHowLong() {
        Rig rig;
        rig.engine.etaPerChunk = 0.625; // 0.5 s of audio per 0.625 s: 0.8x real time
        rig.controller.setBufferingHint("Try int4.");
        QSignalSpy added(&rig.controller, &GenerationController::clipAdded);
        QSignalSpy status(&rig.controller, &GenerationController::statusMessage);
        QList<bool> playingAfterChunk;
        connect(&rig.engine, &EngineClient::jobAudio, this,
                [&] { playingAfterChunk << (rig.player.state() == AudioPlayer::State::Playing); });
        QVERIFY(rig.controller.generate(recipe(20.0, 5)));
        QVERIFY(added.wait(10000));
        QCOMPARE(playingAfterChunk.size(), 40);
        // At 0.8x (taken as 0.64x) a 20 s clip needs 7.84 s buffered: the chunk that brings it
        // to 8 s starts playback, and not one before.
        QCOMPARE(playingAfterChunk.indexOf(true), 15);
        QStringList buffering;
        for (const auto& args : status)
            if (args[0].toString().startsWith("Buffering")) buffering << args[0].toString();
        QVERIFY(!buffering.isEmpty());
        // The first estimate, after 0.5 s: wait (0.36 * 19.5 + 0.64 * 0.5) / 0.8 = 9.175 s.
        const auto first = PrebufferEstimate::of(20.0, 0.5, 19.5 / 0.5 * 0.625, 0.5);
        QCOMPARE(first.waitSeconds, 9.175);
        QVERIFY2(buffering[0].startsWith("Buffering 9.2 s before playback: generating at 0.80"),
                 qPrintable(buffering[0]));
        QVERIFY2(buffering[0].endsWith("never to run dry. Try int4."), qPrintable(buffering[0]));
        QVERIFY(rig.controller.playbackStartedWhileGenerating());
    }

    void cancelKeepsTheAudioButNotTheClip() {
        Rig rig;
        rig.controller.setAutoPlay(false);
        QSignalSpy finished(&rig.engine, &EngineClient::jobFinished);
        QSignalSpy chunks(&rig.engine, &EngineClient::jobAudio);
        QVERIFY(rig.controller.generate(recipe(10.0, 5)));
        QVERIFY(chunks.wait(2000));
        rig.controller.cancel();
        QVERIFY(finished.wait(2000));
        QVERIFY(finished[0][1].value<GenerationResult>().cancelled);
        QVERIFY(rig.library.clips().empty());
        QVERIFY(!rig.controller.isBusy());
        QVERIFY(rig.player.duration() > 0 && rig.player.duration() < 10.0);
        QCOMPARE(rig.player.state(), AudioPlayer::State::Stopped);
    }

    void failureIsReported() {
        Rig rig;
        rig.engine.failNextGeneration = true;
        QSignalSpy failed(&rig.controller, &GenerationController::failed);
        QVERIFY(rig.controller.generate(recipe(1.0, 1)));
        QVERIFY(failed.wait(2000));
        QVERIFY(failed[0][0].toString().contains("AV encoder"));
        QVERIFY(!rig.controller.isBusy());
    }

    void refusesWithoutAModel() {
        test::FakeEngineClient engine;
        AudioPlayer player(std::make_unique<test::SilentSink>());
        TransportPanel transport(&player);
        GenerationController controller(&engine, &transport, nullptr);
        QSignalSpy status(&controller, &GenerationController::statusMessage);
        QVERIFY(!controller.generate(recipe(1.0, 1)));
        QCOMPARE(engine.generateCalls, 0);
        QVERIFY(status[0][0].toString().contains("No model"));
    }

    void safeToStartPlayback_data() {
        QTest::addColumn<double>("generated");
        QTest::addColumn<double>("eta");
        QTest::addColumn<bool>("safe");
        QTest::newRow("nothing yet") << 0.0 << 0.0 << false;
        QTest::newRow("fast") << 1.5 << 0.2 << true;
        QTest::newRow("just enough") << 3.5 << 2.0 << true;
        QTest::newRow("margin") << 3.4 << 2.0 << false;
        QTest::newRow("slow") << 1.0 << 9.0 << false;
    }
    void safeToStartPlayback() {
        QFETCH(double, generated);
        QFETCH(double, eta);
        QFETCH(bool, safe);
        QCOMPARE(GenerationController::safeToStartPlayback(generated, eta), safe);
    }

    void generatePanelShowsProgressAndTimeLeft() {
        GeneratePanel panel;
        QVERIFY(!panel.generateButton()->isEnabled());
        panel.setModelLoading("Loading the model…");
        QVERIFY(!panel.generateButton()->isEnabled());
        QCOMPARE(panel.findChild<QProgressBar*>()->maximum(), 0); // busy indicator
        panel.setModelReady(true, "ready");
        QVERIFY(panel.generateButton()->isEnabled());
        panel.setBusy(true);
        QVERIFY(!panel.generateButton()->isEnabled());
        QVERIFY(panel.cancelButton()->isEnabled());
        QCOMPARE(GeneratePanel::timeLeft(12.2), QString("13 s left"));
        QCOMPARE(GeneratePanel::timeLeft(65), QString("1 min 05 s left"));
        QSignalSpy cancel(&panel, &GeneratePanel::cancelClicked);
        QTest::mouseClick(panel.cancelButton(), Qt::LeftButton);
        QCOMPARE(cancel.count(), 1);
    }
};

MOODSTEER_QTEST_SUITE(GenerationControllerTest);
#include "GenerationControllerTest.moc"
