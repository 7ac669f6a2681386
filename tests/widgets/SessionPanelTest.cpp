// The Session view against the fake engine: keyframes edited with the mouse on the timeline
// (added snapped to seconds, dragged, deleted), a preset filling the path, Generate submitting
// ONE session job with the panel's path, predictions drawn per window, the finished session in
// the library with its recipe, and a cancel keeping what was made (recipe marked incomplete).
#include "FakeEngineClient.h"
#include "TestMain.h"

#include "widgets/EmotionGuidanceBox.h"
#include "widgets/GenerationController.h"
#include "widgets/SessionJob.h"
#include "widgets/SessionPanel.h"
#include "widgets/TransportPanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace moodsteer;
using namespace moodsteer::widgets;

namespace {
struct Rig {
    QTemporaryDir dir;
    test::FakeEngineClient engine;
    AudioPlayer player{std::make_unique<test::SilentSink>()};
    TransportPanel transport{&player};
    ClipLibrary library{dir.path().toStdString()};
    GenerationController controller{&engine, &transport, &library};
    SessionPanel panel{&engine, &controller, &player};
    Rig() {
        controller.setSessionMode(true);
        transport.refreshDevices();
        QSignalSpy loaded(&engine, &EngineClient::modelLoaded);
        engine.loadModel("/models/fake", 2);
        loaded.wait(2000);
        panel.setModelInfo(*engine.modelInfo(), "fake");
        panel.resize(800, 400);
        panel.show();
        QVERIFY2(QTest::qWaitForWindowExposed(&panel), "panel not shown");
    }
    /// A pixel of `lane` at `seconds` and `value`.
    QPoint at(double seconds, double value, SessionTimeline::Lane lane) const {
        const SessionTimeline* t = panel.timeline();
        return QPoint(int(std::lround(t->timeToX(seconds))),
                      int(std::lround(t->valueToY(value, lane))));
    }
};

bool waitFor(const std::function<bool()>& done, int ms = 10000) {
    QElapsedTimer clock;
    clock.start();
    while (!done() && clock.elapsed() < ms)
        QTest::qWait(5);
    return done();
}
} // namespace

class SessionPanelTest : public QObject {
    Q_OBJECT
  private slots:
    void presetFillsThePath() {
        Rig rig;
        rig.panel.presetBox()->setCurrentIndex(rig.panel.presetBox()->findData("activate"));
        rig.panel.minutesBox()->setValue(10);
        rig.panel.holdBox()->setValue(2);
        QSignalSpy changed(&rig.panel, &SessionPanel::pathChanged);
        QTest::mouseClick(rig.panel.applyPresetButton(), Qt::LeftButton);
        QCOMPARE(changed.count(), 1);
        const auto& keys = rig.panel.timeline()->keyframes();
        QCOMPARE(keys.size(), std::size_t(3));
        // The CLI's "activate": (5,2) -> (6,8) over 8 minutes, then held for 2.
        QCOMPARE(keys[0].time, 0.0);
        QCOMPARE(keys[0].arousal, 2.0);
        QCOMPARE(keys[1].time, 480.0);
        QCOMPARE(keys[1].valence, 6.0);
        QCOMPARE(keys[1].arousal, 8.0);
        QCOMPARE(keys[2].time, 600.0);
        const auto points = changed[0][0].value<QVector<QPointF>>();
        QCOMPARE(points.first(), QPointF(5, 2));
        QCOMPARE(points.last(), QPointF(6, 8));
        // A hold as long as the session is refused with a message, the path unchanged.
        rig.panel.holdBox()->setValue(10);
        rig.panel.applyPreset();
        QCOMPARE(rig.panel.timeline()->keyframes().size(), std::size_t(3));
        QVERIFY(rig.panel.statusLabel()->text().contains("shorter"));
    }

    void aMoodWordThatContradictsThePathIsPointedOut() {
        Rig rig;
        rig.panel.presetBox()->setCurrentIndex(rig.panel.presetBox()->findData("calm"));
        rig.panel.minutesBox()->setValue(10);
        rig.panel.holdBox()->setValue(2);
        rig.panel.applyPreset(); // (5, 8) -> (6, 2): it starts agitated
        rig.panel.promptEdit()->setText("ambient piece with piano");
        QVERIFY(rig.panel.moodNote()->isHidden());
        rig.panel.promptEdit()->setText("Calm ambient piece with piano");
        QVERIFY(!rig.panel.moodNote()->isHidden());
        QVERIFY2(rig.panel.moodNote()->text().contains("'calm'"),
                 qPrintable(rig.panel.moodNote()->text()));
        QVERIFY(rig.panel.moodNote()->text().contains("0:00"));
        // On the activating path the word contradicts the end instead.
        rig.panel.presetBox()->setCurrentIndex(rig.panel.presetBox()->findData("activate"));
        rig.panel.applyPreset(); // (5, 2) -> (6, 8): calm at the start, but far from it at 8:00
        QVERIFY(rig.panel.moodNote()->text().contains("8:00"));
        rig.panel.promptEdit()->setText("{word} ambient piece with piano");
        QVERIFY(rig.panel.moodNote()->isHidden());
    }

    void keyframesAreAddedDraggedAndDeletedWithTheMouse() {
        Rig rig;
        rig.panel.minutesBox()->setValue(10); // default calm preset: 0, 480, 600 s
        rig.panel.applyPreset();
        SessionTimeline* t = rig.panel.timeline();
        QCOMPARE(t->keyframes().size(), std::size_t(3));
        QSignalSpy changed(t, &SessionTimeline::pathChanged);
        // Add at ~240 s on the arousal lane: snapped to a whole second; valence keeps the path.
        const double before = t->path().at(240.4).first;
        QTest::mouseClick(t, Qt::LeftButton, {},
                          rig.at(240.4, 3.0, SessionTimeline::Lane::Arousal));
        QCOMPARE(changed.count(), 2); // press adds, release ends the (zero) drag
        QCOMPARE(t->keyframes().size(), std::size_t(4));
        const VaKeyframe added = t->keyframes()[1];
        QCOMPARE(added.time, std::round(added.time));
        QVERIFY(std::abs(added.time - 240) <= 1.0);
        QVERIFY(std::abs(added.arousal - 3.0) <= 0.15);
        QVERIFY(std::abs(added.valence - before) <= 0.06);
        // Drag it to ~120 s and valence lane value unchanged; arousal to ~6.
        QTest::mousePress(t, Qt::LeftButton, {},
                          rig.at(added.time, added.arousal, SessionTimeline::Lane::Arousal));
        QMouseEvent move(QEvent::MouseMove, rig.at(120, 6.0, SessionTimeline::Lane::Arousal),
                         t->mapToGlobal(rig.at(120, 6.0, SessionTimeline::Lane::Arousal)),
                         Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(t, &move);
        QTest::mouseRelease(t, Qt::LeftButton, {},
                            rig.at(120, 6.0, SessionTimeline::Lane::Arousal));
        const VaKeyframe moved = t->keyframes()[1];
        QVERIFY(std::abs(moved.time - 120) <= 1.0);
        QCOMPARE(moved.time, std::round(moved.time));
        QVERIFY(std::abs(moved.arousal - 6.0) <= 0.15);
        QVERIFY(t->path().keyframes()[1].time == moved.time); // a valid VaPath
        // Dragging past a neighbour stops one second before it: times stay increasing.
        QTest::mousePress(t, Qt::LeftButton, {},
                          rig.at(moved.time, moved.arousal, SessionTimeline::Lane::Arousal));
        QTest::mouseRelease(t, Qt::LeftButton, {},
                            rig.at(590, 6.0, SessionTimeline::Lane::Arousal));
        QCOMPARE(t->keyframes()[1].time, t->keyframes()[2].time - 1.0);
        // Right-click deletes it.
        const VaKeyframe k = t->keyframes()[1];
        QTest::mouseClick(t, Qt::RightButton, {},
                          rig.at(k.time, k.valence, SessionTimeline::Lane::Valence));
        QCOMPARE(t->keyframes().size(), std::size_t(3));
        // The ruler seeks, it does not edit.
        QSignalSpy seek(t, &SessionTimeline::seekRequested);
        QTest::mouseClick(t, Qt::LeftButton, {}, QPoint(int(t->timeToX(300)), 5));
        QCOMPARE(seek.count(), 1);
        QVERIFY(std::abs(seek[0][0].toDouble() - 300) < 2.0);
        QCOMPARE(t->keyframes().size(), std::size_t(3));
    }

    void generateRunsOneSessionJobWithThePath() {
        Rig rig;
        rig.panel.minutesBox()->setValue(0.5);
        rig.panel.holdBox()->setValue(0.1);
        rig.panel.applyPreset();
        rig.panel.promptEdit()->setText("slow ambient pads");
        QTest::mouseClick(rig.panel.generateButton(), Qt::LeftButton);
        QCOMPARE(rig.engine.sessionRecipes.size(), 1);
        QCOMPARE(rig.engine.generateCalls, 0); // one session job, not clips
        const Recipe& r = rig.engine.sessionRecipes[0];
        QCOMPARE(r.seconds, 30.0);
        QCOMPARE(r.prompt, std::string("slow ambient pads"));
        QCOMPARE(r.windowSeconds, 1500 / 50.0); // the fake model's positions
        QCOMPARE(r.emotionPath.keyframes().size(), std::size_t(3));
        QCOMPARE(r.emotionPath.keyframes()[1].time, 24.0);
        QCOMPARE(r.emotionPath.keyframes()[1].arousal, 2.0);
        QCOMPARE(r.model, std::string("fake"));
        QVERIFY(!r.emotionGuidance); // the fake model has no default: plain CFG
        QCOMPARE(r.emotionCheck, Recipe::kSessionEmotionCheck);
        QVERIFY(!rig.panel.generateButton()->isEnabled());
        QVERIFY(rig.panel.cancelButton()->isEnabled());

        QVERIFY(waitFor([&] { return !rig.library.clips().empty(); }));
        // One prediction per simulated 2 s window, drawn over the target.
        QCOMPARE(rig.panel.timeline()->predictions().size(), 15);
        QCOMPARE(rig.panel.timeline()->predictions().last().endSeconds, 30.0);
        const LibraryClip& clip = rig.library.clips().back();
        QCOMPARE(clip.recipe.emotionPath.keyframes().size(), std::size_t(3));
        QVERIFY(!clip.recipe.incomplete);
        QVERIFY(std::abs(rig.library.audio(clip.id).seconds() - 30.0) < 0.01);
        QVERIFY(rig.panel.generateButton()->isEnabled());
        QVERIFY(rig.panel.statusLabel()->text().contains("Clip ready"));
        // The streamed session is what the player holds: the playhead follows it.
        QVERIFY(waitFor([&] { return rig.panel.timeline()->playhead() >= 0; }, 2000));
    }

    void sessionsTakeTheModelsEmotionGuidanceOrTheUsers() {
        Rig rig;
        QVERIFY(!rig.panel.sessionRecipe().emotionGuidance); // the fake model has no default
        ModelInfo info = *rig.engine.modelInfo();
        info.defaultEmotionGuidance = 4.5; // generation_config.json's emotion_guidance_scale
        rig.panel.setModelInfo(info, "fake");
        QCOMPARE(rig.panel.sessionRecipe().emotionGuidance.value_or(0), 4.5);
        rig.panel.emotionGuidanceBox()->setValue(8);
        QCOMPARE(rig.panel.sessionRecipe().emotionGuidance.value_or(0), 8.0);
        rig.panel.emotionGuidanceBox()->setValue(rig.panel.emotionGuidanceBox()->minimum());
        QCOMPARE(rig.panel.emotionGuidanceBox()->text(), QString("as guidance"));
        QVERIFY(!rig.panel.sessionRecipe().emotionGuidance);
        info.hasAvEncoder = false; // no AV token to guide
        rig.panel.setModelInfo(info, "fake");
        QVERIFY(!rig.panel.emotionGuidanceBox()->isEnabled());
        QVERIFY(!rig.panel.sessionRecipe().emotionGuidance);
    }

    void theEmotionCheckGoesIntoTheRecipeAndIsOffWithoutAHead() {
        Rig rig;
        QCOMPARE(rig.panel.sessionRecipe().emotionCheck, Recipe::kSessionEmotionCheck);
        rig.panel.emotionCheckBox()->setValue(2.5);
        QCOMPARE(rig.panel.sessionRecipe().emotionCheck, 2.5);
        rig.panel.emotionCheckBox()->setValue(0);
        QCOMPARE(rig.panel.emotionCheckBox()->text(), QString("off"));
        QCOMPARE(rig.panel.sessionRecipe().emotionCheck, 0.0);
        ModelInfo info = *rig.engine.modelInfo();
        info.hasAvEncoder = false; // mood words only: the check is the user's to turn on
        rig.panel.setModelInfo(info, "fake");
        QCOMPARE(rig.panel.emotionCheckBox()->text(), QString("off"));
        info.hasAvEncoder = true; // a model's default comes back with the model
        rig.panel.setModelInfo(info, "fake");
        QCOMPARE(rig.panel.sessionRecipe().emotionCheck, Recipe::kSessionEmotionCheck);

        // No head to judge with: the session runs unchecked, and the status says why.
        rig.panel.emotionCheckBox()->setValue(1.5);
        rig.engine.predictorReason = "no emotion head is installed";
        rig.panel.minutesBox()->setValue(0.5);
        rig.panel.holdBox()->setValue(0.1);
        rig.panel.applyPreset();
        QTest::mouseClick(rig.panel.generateButton(), Qt::LeftButton);
        QCOMPARE(rig.engine.sessionRecipes.size(), 1);
        QCOMPARE(rig.engine.sessionRecipes[0].emotionCheck, 0.0);
        QVERIFY(rig.panel.statusLabel()->text().startsWith("Emotion check off: no emotion head"));
        QVERIFY(waitFor([&] { return !rig.library.clips().empty(); }));
    }

    void aDragOnTheRulerLoopsThatStretchOfTheSession() {
        Rig rig;
        rig.panel.minutesBox()->setValue(0.5);
        rig.panel.holdBox()->setValue(0.1);
        rig.panel.applyPreset();
        SessionTimeline* t = rig.panel.timeline();
        QSignalSpy region(t, &SessionTimeline::loopRegionRequested);
        QSignalSpy seek(t, &SessionTimeline::seekRequested);
        auto drag = [&](double from, double to) {
            QTest::mousePress(t, Qt::LeftButton, {}, QPoint(int(t->timeToX(from)), 5));
            QMouseEvent move(QEvent::MouseMove, QPointF(t->timeToX(to), 5),
                             t->mapToGlobal(QPointF(t->timeToX(to), 5)), Qt::NoButton,
                             Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(t, &move);
            QTest::mouseRelease(t, Qt::LeftButton, {}, QPoint(int(t->timeToX(to)), 5));
        };
        // No session audio yet: the panel says what to do and keeps no region.
        drag(10, 20);
        QCOMPARE(region.count(), 1);
        QCOMPARE(seek.count(), 0); // a drag is not a seek
        QVERIFY(rig.panel.statusLabel()->text().contains("play the session first"));
        QCOMPARE(t->loopRegion(), std::make_pair(0.0, 0.0));
        QCOMPARE(rig.player.loopRegion(), std::make_pair(0.0, 0.0));

        rig.panel.generate();
        QVERIFY(waitFor([&] { return !rig.library.clips().empty(); }));
        QVERIFY(waitFor([&] { return t->playhead() >= 0; }, 2000));
        // Whole seconds, in order, whichever way the drag went; the player loops that stretch.
        drag(20.2, 9.8);
        QCOMPARE(region.count(), 2);
        QCOMPARE(region[1][0].toDouble(), 10.0);
        QCOMPARE(region[1][1].toDouble(), 20.0);
        QCOMPARE(t->loopRegion(), std::make_pair(10.0, 20.0));
        QCOMPARE(rig.player.loopRegion(), std::make_pair(10.0, 20.0));
        QVERIFY(rig.player.loop());
        rig.transport.poll();
        QVERIFY(rig.transport.findChild<QCheckBox*>()->isChecked()); // Loop follows the player
        QVERIFY(rig.panel.statusLabel()->text().contains("Looping 10–20 s"));
        rig.panel.grab(); // paints the band
        // A short drag still seeks; the right button clears the region.
        drag(5, 5.3);
        QCOMPARE(seek.count(), 1);
        QCOMPARE(t->loopRegion(), std::make_pair(10.0, 20.0));
        QTest::mouseClick(t, Qt::RightButton, {}, QPoint(int(t->timeToX(15)), 5));
        QCOMPARE(region.count(), 3);
        QCOMPARE(rig.player.loopRegion(), std::make_pair(0.0, 0.0));
        QCOMPARE(t->loopRegion(), std::make_pair(0.0, 0.0));
        QVERIFY(rig.player.loop()); // the whole session keeps looping until Loop is unticked
    }

    void cancelKeepsWhatWasMadeInTheLibrary() {
        Rig rig;
        rig.engine.chunkSeconds = 0.25;
        rig.panel.minutesBox()->setValue(5);
        rig.panel.applyPreset();
        rig.panel.generate();
        QVERIFY(waitFor([&] { return rig.panel.timeline()->predictions().size() >= 2; }));
        QTest::mouseClick(rig.panel.cancelButton(), Qt::LeftButton);
        QVERIFY(waitFor([&] { return !rig.library.clips().empty(); }));
        const LibraryClip& clip = rig.library.clips().back();
        QVERIFY(clip.recipe.incomplete);
        const double kept = rig.library.audio(clip.id).seconds();
        QVERIFY(kept > 0 && kept < 300);
        QVERIFY(rig.panel.statusLabel()->text().contains("incomplete"));
        QVERIFY(!rig.panel.cancelButton()->isEnabled());
    }

    void genreSegmentsAreDrawnOnTheThirdLaneAndSteerTheirRange() {
        Rig rig;
        rig.panel.minutesBox()->setValue(10);
        rig.panel.applyPreset();
        SessionTimeline* t = rig.panel.timeline();
        // Without genre vectors the lane paints nothing and the chooser is off.
        QVERIFY(!rig.panel.genreBox()->isEnabled());
        const QRectF lane = t->laneRect(SessionTimeline::Lane::Genre);
        QVERIFY(lane.top() > t->laneRect(SessionTimeline::Lane::Arousal).bottom());
        const auto onLane = [&](double seconds) {
            return QPoint(int(std::lround(t->timeToX(seconds))), int(lane.center().y()));
        };
        QTest::mousePress(t, Qt::LeftButton, {}, onLane(60));
        QTest::mouseRelease(t, Qt::LeftButton, {}, onLane(200));
        QVERIFY(t->genreSegments().isEmpty());

        rig.panel.setGenreVectors(
            {{"jazz", "/vectors/jazz.safetensors", 2}, {"rock", "/vectors/rock.safetensors", 3}});
        QVERIFY(rig.panel.genreBox()->isEnabled());
        rig.panel.genreBox()->setCurrentIndex(rig.panel.genreBox()->findText("rock"));
        QSignalSpy changed(t, &SessionTimeline::genreSegmentsChanged);
        // A drag across the lane adds one block, snapped to whole seconds.
        QTest::mousePress(t, Qt::LeftButton, {}, onLane(60));
        QMouseEvent move(QEvent::MouseMove, onLane(120), t->mapToGlobal(onLane(120)), Qt::NoButton,
                         Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(t, &move);
        QTest::mouseRelease(t, Qt::LeftButton, {}, onLane(200));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(t->genreSegments().size(), 1);
        auto g = t->genreSegments()[0];
        QCOMPARE(g.genre, QString("rock"));
        QCOMPARE(g.fromSeconds, std::round(g.fromSeconds));
        QVERIFY(std::abs(g.fromSeconds - 60) <= 1.0 && std::abs(g.toSeconds - 200) <= 1.0);
        // A second drag that runs into it stops at its edge: blocks never overlap.
        rig.panel.genreBox()->setCurrentIndex(rig.panel.genreBox()->findText("jazz"));
        QTest::mousePress(t, Qt::LeftButton, {}, onLane(300));
        QTest::mouseRelease(t, Qt::LeftButton, {}, onLane(100));
        QCOMPARE(t->genreSegments().size(), 2);
        QCOMPARE(t->genreSegments()[1].fromSeconds, t->genreSegments()[0].toSeconds);
        QCOMPARE(t->genreSegments()[1].genre, QString("jazz"));
        // Clicking a block gives it the current genre; the right button deletes it.
        QTest::mouseClick(t, Qt::LeftButton, {}, onLane(100));
        QCOMPARE(t->genreSegments()[0].genre, QString("jazz"));
        QTest::mouseClick(t, Qt::RightButton, {}, onLane(250));
        QCOMPARE(t->genreSegments().size(), 1);
        QCOMPARE(changed.count(), 4);

        // The recipe steers each block's range towards its genre's vector.
        rig.panel.genreStrengthBox()->setValue(0.7);
        const Recipe r = rig.panel.sessionRecipe();
        QCOMPARE(r.steering.size(), std::size_t(1));
        const SteeringSpec& s = r.steering[0];
        QCOMPARE(s.label, std::string("jazz"));
        QCOMPARE(s.vectorPath, std::string("/vectors/jazz.safetensors"));
        QCOMPARE(s.layer, 2);
        QCOMPARE(s.alpha, 0.7);
        QVERIFY(s.fromSeconds && s.toSeconds);
        QCOMPARE(*s.fromSeconds, t->genreSegments()[0].fromSeconds);
        QCOMPARE(*s.toSeconds, t->genreSegments()[0].toSeconds);
        QCOMPARE(r.seamCandidates, Recipe::kSessionSeamCandidates);
        QVERIFY(r.readAhead); // each window's context read while the one before it is made
        // Played as the guard accepts it, unless the emotion check judges whole windows.
        QCOMPARE(r.acceptSeconds, r.emotionCheck > 0 ? 0.0 : Recipe::kSessionAcceptSeconds);
        // ... its first window after a short first stretch.
        QCOMPARE(r.firstAcceptSeconds,
                 r.emotionCheck > 0 ? 0.0 : Recipe::kSessionFirstAcceptSeconds);
        // ... and its checks paced to keep up with a listener from the first note.
        QCOMPARE(r.acceptPace, r.emotionCheck > 0 ? 0.0 : Recipe::kSessionAcceptPace);
        // A block whose genre the model has no vector for is refused with its name.
        rig.panel.setGenreVectors({{"rock", "/vectors/rock.safetensors", 3}});
        try {
            (void)rig.panel.sessionRecipe();
            QFAIL("a genre without a vector was accepted");
        } catch (const std::invalid_argument& e) {
            QVERIFY(QString(e.what()).contains("jazz"));
        }
    }

    void fallingBehindRealTimeIsShown() {
        // Slower than real time once settled, or playback reaching the audio made.
        QVERIFY(SessionPanel::behindRealTime(0.8, 5000, false, 0, 40));
        QVERIFY(!SessionPanel::behindRealTime(0.8, 1000, false, 0, 40)); // not settled yet
        QVERIFY(!SessionPanel::behindRealTime(3.0, 5000, true, 10, 40));
        QVERIFY(SessionPanel::behindRealTime(3.0, 5000, true, 39.9, 40));
        QVERIFY(!SessionPanel::behindRealTime(3.0, 5000, false, 39.9, 40)); // paused
        Rig rig;
        // The fake runs far faster than real time: no warning during or after the run.
        rig.panel.minutesBox()->setValue(0.5);
        rig.panel.applyPreset();
        rig.panel.generate();
        QVERIFY(waitFor([&] { return !rig.library.clips().empty(); }));
        QVERIFY(rig.panel.speedWarning()->isHidden());
    }
};

MOODSTEER_QTEST_SUITE(SessionPanelTest);
#include "SessionPanelTest.moc"
