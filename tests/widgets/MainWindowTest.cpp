// MainWindow wiring against the fake engine: Ctrl+Enter in the prompt generates once, the
// clip lands in the library and is selected, Space toggles playback, regenerate reuses the
// stored recipe, a failed model load leaves Generate off with the reason shown.
#include "MainWindow.h"
#include "FakeEngineClient.h"
#include "JobSpy.h"
#include "TestMain.h"

#include "widgets/AlignmentScoreJob.h"
#include "widgets/ClipLibraryPanel.h"
#include "widgets/EmotionView.h"
#include "widgets/GeneratePanel.h"
#include "widgets/GenerationController.h"
#include "widgets/GenreSteeringPanel.h"
#include "widgets/JobsStrip.h"
#include "widgets/LayerExplorerPanel.h"
#include "widgets/PromptPanel.h"
#include "widgets/TransportPanel.h"

#include <QAction>
#include <QCheckBox>
#include <QGroupBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

#include <cmath>

using namespace moodsteer;
using namespace moodsteer::widgets;

class MainWindowTest : public QObject {
    Q_OBJECT
    /// An audio player on a device that opens without a sound card.
    static std::unique_ptr<AudioPlayer> silentPlayer() {
        return std::make_unique<AudioPlayer>(std::make_unique<test::SilentSink>());
    }
    /// Loads the (fake) model through the window; true once the engine reports it loaded.
    static bool loadModel(studio::MainWindow& window, EngineClient& engine) {
        QSignalSpy loaded(&engine, &EngineClient::modelLoaded);
        window.loadModel();
        return loaded.wait(2000);
    }

  private slots:
    void ctrlEnterGeneratesAndTheClipIsFiled() {
        QTemporaryDir dir;
        QSettings settings(dir.filePath("s.ini"), QSettings::IniFormat);
        test::FakeEngineClient engine;
        studio::MainWindow window(&engine, silentPlayer(), dir.filePath("clips"), &settings);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(loadModel(window, engine));
        QVERIFY(window.generatePanel()->generateButton()->isEnabled());

        QPlainTextEdit* prompt = window.promptPanel()->promptEdit();
        prompt->setFocus();
        QTest::keyClicks(prompt, "slow ambient pad");
        test::JobSpy generations(&engine, GenerateJob::kKind);
        QTest::keyClick(prompt, Qt::Key_Return, Qt::ControlModifier);
        QCOMPARE(engine.generateCalls, 1);
        QCOMPARE(prompt->toPlainText(), QString("slow ambient pad")); // no newline typed
        QVERIFY(generations.waitEndedCount(1, 5000));
        QTest::qWait(50);
        QCOMPARE(window.library()->clips().size(), std::size_t(1));
        QCOMPARE(window.libraryPanel()->selectedId(),
                 QString::fromStdString(window.library()->clips()[0].id));
        QCOMPARE(engine.lastRecipe.prompt, std::string("slow ambient pad"));

        // Space toggles playback when the focus is not in a text field.
        window.libraryPanel()->list()->setFocus();
        AudioPlayer* player = window.transportPanel()->player();
        const bool wasPlaying = player->state() == AudioPlayer::State::Playing;
        QTest::keyClick(window.libraryPanel()->list(), Qt::Key_Space);
        QCOMPARE(player->state() == AudioPlayer::State::Playing, !wasPlaying);

        // Regenerate: the stored recipe, same seed, straight to the engine.
        const std::uint64_t seed = window.library()->clips()[0].recipe.seed;
        for (auto* b : window.libraryPanel()->findChildren<QPushButton*>())
            if (b->text() == "Regenerate") QTest::mouseClick(b, Qt::LeftButton);
        QCOMPARE(engine.generateCalls, 2);
        QCOMPARE(engine.lastRecipe.seed, seed);
        QVERIFY(generations.waitEndedCount(2, 5000));
    }

    void thePlaybackLoopActionFollowsTheTransport() {
        QTemporaryDir dir;
        QSettings settings(dir.filePath("s.ini"), QSettings::IniFormat);
        test::FakeEngineClient engine;
        studio::MainWindow window(&engine, silentPlayer(), dir.filePath("clips"), &settings);
        QAction* loop = nullptr;
        for (auto* a : window.findChildren<QAction*>())
            if (a->text() == "&Loop") loop = a;
        QVERIFY(loop);
        TransportPanel* transport = window.transportPanel();
        auto* box = transport->findChild<QCheckBox*>();
        QVERIFY(box);
        loop->trigger(); // the menu drives the player and the checkbox
        QVERIFY(transport->player()->loop());
        QVERIFY(box->isChecked());
        box->setChecked(false); // the checkbox drives the menu
        QVERIFY(!loop->isChecked());
        QVERIFY(!transport->player()->loop());
        // A session's loop region switches the player on: the menu shows it at the next poll.
        transport->player()->setLoopRegion(1.0, 2.0);
        transport->player()->setLoop(true);
        transport->poll();
        QVERIFY(loop->isChecked());
        loop->trigger(); // and unticking the menu stops it
        QVERIFY(!transport->player()->loop());
        QVERIFY(!box->isChecked());
    }

    void predictedEmotionReachesLibraryPadAndEmotionView() {
        QTemporaryDir dir;
        QSettings settings(dir.filePath("s.ini"), QSettings::IniFormat);
        test::FakeEngineClient engine;
        engine.predictions = {QPointF(6.5, 3.3), QPointF(2.0, 8.0)};
        studio::MainWindow window(&engine, silentPlayer(), dir.filePath("clips"), &settings);
        QVERIFY(loadModel(window, engine));
        window.promptPanel()->pad()->setTarget(7.0, 3.0);
        test::JobSpy predicted(&engine, PredictEmotionJob::kKind);
        window.generate();
        QVERIFY(predicted.waitEndedCount(1, 5000));
        QCOMPARE(engine.predictedClips.size(), 1);
        const LibraryClip& clip = window.library()->clips()[0];
        QCOMPARE(engine.predictedClips[0], QString::fromStdString(clip.id));
        QCOMPARE(*clip.predictedValence, 6.5);
        QCOMPARE(*clip.predictedArousal, 3.3);
        // The library's "Predicted" column, the pad's predicted point (distinct from the
        // target), and the emotion view (one point, the timeline of the selected clip).
        QTreeWidgetItem* row = window.libraryPanel()->list()->topLevelItem(0);
        QCOMPARE(row->text(3), QString("6.5, 3.3"));
        QCOMPARE(window.promptPanel()->pad()->predicted(), std::optional(QPointF(6.5, 3.3)));
        QCOMPARE(window.promptPanel()->pad()->valence(), 7.0);
        window.emotionView()->flush();
        QCOMPARE(window.emotionView()->pointCount(), 1);
        QVERIFY(window.emotionView()->valenceText().contains("needs 2 clips"));
        QVERIFY(window.emotionView()->timelineTitle().contains("windows"));

        // A second clip with a target: metrics appear.
        window.promptPanel()->pad()->setTarget(3.0, 7.0);
        window.generate();
        QVERIFY(predicted.waitEndedCount(2, 5000));
        window.emotionView()->flush();
        QCOMPARE(window.emotionView()->pointCount(), 2);
        const auto m = window.emotionView()->metrics();
        QVERIFY(m);
        QCOMPARE(m->valence.n, std::size_t(2));
        QVERIFY(window.emotionView()->valenceText().contains("CCC"));
        QCOMPARE(window.promptPanel()->pad()->predicted(), std::optional(QPointF(2.0, 8.0)));

        // Persisted: a new window on the same library shows both points again.
        studio::MainWindow again(&engine, silentPlayer(), dir.filePath("clips"), &settings);
        again.emotionView()->flush();
        QCOMPARE(again.emotionView()->pointCount(), 2);
    }

    void alignmentScoreOfAGeneratedClipShowsInTheEmotionView() {
        QTemporaryDir dir;
        QSettings settings(dir.filePath("s.ini"), QSettings::IniFormat);
        test::FakeEngineClient engine;
        studio::MainWindow window(&engine, silentPlayer(), dir.filePath("clips"), &settings);
        QVERIFY(loadModel(window, engine));
        window.promptPanel()->promptEdit()->setPlainText("calm jazz music");
        test::JobSpy scored(&engine, AlignmentScoreJob::kKind);
        window.generate();
        QVERIFY(scored.waitEndedCount(1, 5000));
        QTest::qWait(20);
        const LibraryClip& clip = window.library()->clips()[0];
        QCOMPARE(engine.alignedClips, QStringList{QString::fromStdString(clip.id)});
        QCOMPARE(engine.alignedPrompts, QStringList{"calm jazz music"});
        // The fake's score for a 3-word prompt: 0.5 - 0.03.
        QVERIFY2(window.emotionView()->alignmentText().contains("0.47"),
                 qPrintable(window.emotionView()->alignmentText()));

        // Without the model: no job, the reason instead of a number.
        engine.alignmentReason = "Alignment score is off: the alignment model is not installed.";
        test::JobSpy generated(&engine, GenerateJob::kKind);
        window.generate();
        QVERIFY(generated.waitEndedCount(1, 5000));
        QTest::qWait(20);
        QCOMPARE(engine.alignedClips.size(), 1);
        QVERIFY2(window.emotionView()->alignmentText().contains("not installed"),
                 qPrintable(window.emotionView()->alignmentText()));
    }

    void steeredGenerationAndAbAgainstUnsteered() {
        QTemporaryDir dir;
        QSettings settings(dir.filePath("s.ini"), QSettings::IniFormat);
        test::FakeEngineClient engine;
        studio::MainWindow window(&engine, silentPlayer(), dir.filePath("clips"), &settings);
        QVERIFY(loadModel(window, engine));
        GenreSteeringPanel* steer = window.steeringPanel();
        steer->setVectors({{"jazz", "/v/jazz.safetensors", 3}});
        steer->enableBox()->setChecked(true);
        steer->setAlpha(0.8);

        // A/B: the same recipe and seed, first unsteered (A), then steered (B).
        test::JobSpy finished(&engine, GenerateJob::kKind);
        QTest::mouseClick(steer->abButton(), Qt::LeftButton);
        QCOMPARE(engine.generateCalls, 2); // A and B queued at once
        QCOMPARE(window.jobsStrip()->shownJobs().size(), 2);
        QVERIFY(finished.waitEndedCount(2, 5000));
        QTest::qWait(50);
        const auto& clips = window.library()->clips();
        QCOMPARE(clips.size(), std::size_t(2));
        QVERIFY(clips[0].recipe.steering.empty());
        QCOMPARE(clips[1].recipe.steering.size(), std::size_t(1));
        QCOMPARE(clips[1].recipe.steering[0].label, std::string("jazz"));
        QCOMPARE(clips[1].recipe.steering[0].alpha, 0.8);
        QCOMPARE(clips[0].recipe.seed, clips[1].recipe.seed);
        QCOMPARE(window.libraryPanel()->slotA(), QString::fromStdString(clips[0].id));
        QCOMPARE(window.libraryPanel()->slotB(), QString::fromStdString(clips[1].id));

        // A plain generate carries the panel's steering; off: none.
        window.generate();
        QCOMPARE(engine.lastRecipe.steering.size(), std::size_t(1));
        QVERIFY(finished.waitEndedCount(3, 5000));
        steer->enableBox()->setChecked(false);
        QTest::qWait(20);
        window.generate();
        QVERIFY(engine.lastRecipe.steering.empty());
        QVERIFY(finished.waitEndedCount(4, 5000));
    }

    void layerExplorerRunsOnTheEngineAndFeedsSteering() {
        QTemporaryDir dir;
        QSettings settings(dir.filePath("s.ini"), QSettings::IniFormat);
        test::FakeEngineClient engine;
        engine.layerReport.bestLayerByAccuracy = 5;
        for (int l = 0; l < 6; ++l) {
            LayerMetrics m;
            m.layer = l;
            m.ari = m.nmi = 0.1 * l;
            m.probeAccuracy = 0.5 + 0.05 * l;
            engine.layerReport.layers.push_back(m);
        }
        studio::MainWindow window(&engine, silentPlayer(), dir.filePath("clips"), &settings);
        QVERIFY(loadModel(window, engine));
        window.explorerPanel()->setGenerate(4);
        test::JobSpy ready(&engine, ExploreLayersJob::kKind);
        QTest::mouseClick(window.explorerPanel()->runButton(), Qt::LeftButton);
        QVERIFY(!window.explorerPanel()->runButton()->isEnabled()); // running
        QVERIFY(ready.waitEndedCount(1, 2000));
        QCOMPARE(ready.finished.size(), 1);
        QCOMPARE(engine.exploreRequests.size(), 1);
        QCOMPARE(engine.exploreRequests[0].perLabel, 4);
        QVERIFY(window.explorerPanel()->runButton()->isEnabled());
        QCOMPARE(window.explorerPanel()->bestLayer(), 5);
        // The steering panel's automatic layer is now the explorer's best layer.
        window.steeringPanel()->setVectors({{"jazz", "/v/jazz.safetensors", 1}});
        window.steeringPanel()->enableBox()->setChecked(true);
        QCOMPARE(window.steeringPanel()->steering()[0].layer, 5);
    }

    /// The cancel bug: Generate during a layer exploration was accepted and its Cancel
    /// stopped the exploration. Now the generation is queued behind it (both in the jobs
    /// strip) and each Cancel stops its own job only.
    void generateDuringAnExplorationQueuesAndEachCancelStopsItsOwnJob() {
        QTemporaryDir dir;
        QSettings settings(dir.filePath("s.ini"), QSettings::IniFormat);
        test::FakeEngineClient engine;
        engine.layerReport.bestLayerByAccuracy = 4;
        for (int l = 0; l < 6; ++l) {
            LayerMetrics m;
            m.layer = l;
            m.probeAccuracy = l == 4 ? 0.9 : 0.5;
            engine.layerReport.layers.push_back(m);
        }
        studio::MainWindow window(&engine, silentPlayer(), dir.filePath("clips"), &settings);
        QVERIFY(loadModel(window, engine));
        LayerExplorerPanel* explorer = window.explorerPanel();
        GeneratePanel* generate = window.generatePanel();
        explorer->setGenerate(2);
        test::JobSpy jobs(&engine);

        // Generate's Cancel drops the queued generation; the exploration goes on.
        QTest::mouseClick(explorer->runButton(), Qt::LeftButton);
        QTest::mouseClick(generate->generateButton(), Qt::LeftButton);
        QCOMPARE(engine.generateCalls, 1); // accepted: queued, not refused
        QCOMPARE(window.jobsStrip()->shownJobs().size(), 2);
        QVERIFY(!window.jobsStrip()->isHidden());
        QVERIFY(generate->cancelButton()->isEnabled());
        QTest::mouseClick(generate->cancelButton(), Qt::LeftButton);
        QCOMPARE(window.jobsStrip()->shownJobs().size(), 1);
        QVERIFY(!generate->cancelButton()->isEnabled());
        QVERIFY(explorer->isRunning());
        QVERIFY(jobs.waitEndedCount(2, 5000));
        QCOMPARE(jobs.finished.size(), 1); // the exploration's report
        QVERIFY(!explorer->isRunning());
        QCOMPARE(explorer->bestLayer(), 4);
        QVERIFY(window.library()->clips().empty());

        // The explorer's Cancel stops the exploration; the generation queued behind it runs.
        QTest::mouseClick(explorer->runButton(), Qt::LeftButton);
        QTest::mouseClick(generate->generateButton(), Qt::LeftButton);
        QCOMPARE(engine.generateCalls, 2);
        QPushButton* cancelExplorer = nullptr;
        for (auto* b : explorer->findChildren<QPushButton*>())
            if (b->text() == "Cancel") cancelExplorer = b;
        QVERIFY(cancelExplorer && cancelExplorer->isEnabled());
        QTest::mouseClick(cancelExplorer, Qt::LeftButton);
        QVERIFY(jobs.waitEndedCount(4, 5000));
        QVERIFY(!explorer->isRunning());
        QVERIFY2(explorer->statusText().contains("ancelled"), qPrintable(explorer->statusText()));
        QTest::qWait(20);
        QCOMPARE(window.library()->clips().size(), std::size_t(1));
        QTRY_VERIFY_WITH_TIMEOUT(!engine.isBusy(), 2000); // the clip's emotion prediction
        QVERIFY(window.jobsStrip()->isHidden());
    }

    void emotionBenchmarkOverAGridFillsTheView() {
        QTemporaryDir dir;
        QSettings settings(dir.filePath("s.ini"), QSettings::IniFormat);
        test::FakeEngineClient engine;
        studio::MainWindow window(&engine, silentPlayer(), dir.filePath("clips"), &settings);
        QVERIFY(loadModel(window, engine));
        EmotionView* view = window.emotionView();
        QVERIFY(view->benchmarkButton()->isEnabled());
        view->setBenchmarkGrid(3);
        test::JobSpy done(&engine, EmotionGridBenchmarkJob::kKind);
        QTest::mouseClick(view->benchmarkButton(), Qt::LeftButton);
        QVERIFY(done.waitEndedCount(1, 2000));
        QCOMPARE(engine.benchmarkRequests.size(), 1);
        QCOMPARE(engine.benchmarkRequests[0].gridValence, 3);
        QCOMPARE(engine.benchmarkRequests[0].gridArousal, 3);
        view->flush();
        QCOMPARE(view->pointCount(), 9);
        // Predicted arousal == target: CCC 1; valence shifted by 0.5 (clamped at 9).
        QVERIFY(std::abs(view->metrics()->arousal.ccc - 1.0) < 1e-12);
        QVERIFY(view->benchmarkStatus().contains("done"));
        QVERIFY(view->benchmarkButton()->isEnabled());
    }

    void missingEmotionHeadDisablesPredictionWithTheReason() {
        QTemporaryDir dir;
        QSettings settings(dir.filePath("s.ini"), QSettings::IniFormat);
        test::FakeEngineClient engine;
        engine.predictorReason = "Emotion prediction is off: the emotion head is not installed.";
        studio::MainWindow window(&engine, silentPlayer(), dir.filePath("clips"), &settings);
        QVERIFY(loadModel(window, engine));
        test::JobSpy finished(&engine, GenerateJob::kKind);
        window.generate();
        QVERIFY(finished.waitEndedCount(1, 5000));
        QTest::qWait(20);
        QCOMPARE(window.library()->clips().size(), std::size_t(1));
        QVERIFY(engine.predictedClips.isEmpty());
        QVERIFY(!window.library()->clips()[0].predictedValence);
        QVERIFY(!window.promptPanel()->pad()->predicted());
        QVERIFY(window.statusBar()->currentMessage().contains("emotion head is not installed"));
        QVERIFY(!window.emotionView()->benchmarkButton()->isEnabled());
    }

    void brokenModelKeepsGenerateOffWithTheReason() {
        QTemporaryDir dir;
        QSettings settings(dir.filePath("s.ini"), QSettings::IniFormat);
        settings.setValue("model/folder", "/models/broken");
        test::FakeEngineClient engine;
        studio::MainWindow window(
            &engine, std::make_unique<AudioPlayer>(std::make_unique<test::SilentSink>(false)),
            dir.filePath("clips"), &settings);
        QSignalSpy failed(&engine, &EngineClient::modelLoadFailed);
        window.loadModel();
        QVERIFY(failed.wait(2000));
        QVERIFY(!window.generatePanel()->generateButton()->isEnabled());
        QVERIFY(window.generatePanel()->statusText().contains("config.json is missing"));
        QVERIFY(window.transportPanel()->statusText().contains("No audio device"));
    }
};

MOODSTEER_QTEST_SUITE(MainWindowTest);
#include "MainWindowTest.moc"
