// End to end through the studio's own engine client (engine thread, queued signals) on the
// tiny MusicGen in ../shared/parity: load -> generate -> clip appears in the library ->
// regenerate gives the same audio -> export -> the file reads back. Also: a broken model
// folder gives a clear error and the app keeps running.
#include "FakeEngineClient.h" // SilentSink: a device that opens without a sound card
#include "JobSpy.h"
#include "TestPaths.h"
#include "ThreadedEngineClient.h"

#include "MainWindow.h"

#include "core/audio/AudioFile.h"
#include "core/emotion/DefaultEmotionHead.h"
#include "core/emotion/EmotionPredictor.h"
#include "widgets/EmotionView.h"
#include "widgets/ExportDialog.h"
#include "widgets/GenerationController.h"
#include "widgets/GenreSteeringPanel.h"
#include "widgets/LayerExplorerPanel.h"
#include "widgets/PromptPanel.h"
#include "widgets/TransportPanel.h"

#include <qcustomplot.h>

#include <QApplication>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace moodsteer;
using namespace moodsteer::widgets;

class StudioEndToEndTest : public QObject {
    Q_OBJECT
    /// Loads `folder`; returns "" on success, else the error message.
    static QString load(EngineClient& engine, const QString& folder) {
        QSignalSpy ok(&engine, &EngineClient::modelLoaded);
        QSignalSpy bad(&engine, &EngineClient::modelLoadFailed);
        engine.loadModel(folder, 1); // 2 threads stall each other when the other core is busy
        for (int i = 0; i < 6000 && ok.isEmpty() && bad.isEmpty(); ++i)
            QTest::qWait(50);
        if (!ok.isEmpty()) return {};
        return bad.isEmpty() ? QString("timed out loading %1").arg(folder) : bad[0][0].toString();
    }

  private slots:
    void brokenFolderGivesAClearError() {
        QTemporaryDir dir;
        studio::ThreadedEngineClient engine;
        const QString error = load(engine, dir.path());
        QVERIFY2(!error.isEmpty(), "an empty folder must not load");
        QVERIFY2(error.contains(dir.path()), qPrintable(error));
        QVERIFY(!engine.modelInfo());
    }

    void generateLibraryRegenerateExport() {
        if (!test::haveParity())
            QSKIP(qPrintable("*** PARITY FIXTURES NOT FOUND at " +
                             QString::fromStdString(test::parityDir()) + ": e2e NOT run ***"));
        const QString parity = QString::fromStdString(test::parityDir());
        studio::ThreadedEngineClient engine;
        const QString error = load(engine, parity);
        if (error.contains("not implemented", Qt::CaseInsensitive))
            QSKIP(qPrintable("*** ENGINE NOT IMPLEMENTED YET (" + error + "): e2e NOT run ***"));
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const ModelInfo info = *engine.modelInfo();

        QTemporaryDir dir;
        AudioPlayer player(std::make_unique<test::SilentSink>());
        TransportPanel transport(&player);
        transport.refreshDevices();
        ClipLibrary library((dir.path() + "/clips").toStdString());
        GenerationController controller(&engine, &transport, &library);
        QSignalSpy added(&controller, &GenerationController::clipAdded);
        QSignalSpy failed(&controller, &GenerationController::failed);
        QSignalSpy chunks(&engine, &EngineClient::jobAudio);

        Recipe recipe;
        recipe.model = parity.toStdString();
        recipe.promptIds = {12, 7, 33, 1}; // the parity model has no spiece.model
        recipe.seed = 7;
        recipe.topK = 50;
        recipe.seconds = 0.5;
        QVERIFY(controller.generate(recipe));
        for (int i = 0; i < 6000 && added.isEmpty() && failed.isEmpty(); ++i)
            QTest::qWait(50);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed[0][0].toString()));
        QCOMPARE(added.count(), 1);
        QVERIFY(chunks.count() >= 1); // audio streamed while generating
        QCOMPARE(library.clips().size(), std::size_t(1));
        const LibraryClip first = library.clips()[0];
        QCOMPARE(first.recipe.seed, std::uint64_t(7));
        QCOMPARE(first.recipe.promptIds, recipe.promptIds);
        QVERIFY(std::abs(first.seconds - 0.5) < 2.0 / info.frameRate);
        QCOMPARE(player.duration(), first.seconds);
        const AudioBuffer a = library.audio(first.id);
        QVERIFY(!a.samples.empty());

        // Regenerate exactly from the stored recipe: the same clip again.
        QVERIFY(controller.generate(first.recipe));
        for (int i = 0; i < 6000 && added.count() < 2 && failed.isEmpty(); ++i)
            QTest::qWait(50);
        QCOMPARE(added.count(), 2);
        const AudioBuffer b = library.audio(library.clips()[1].id);
        QCOMPARE(b.samples.size(), a.samples.size());
        float maxDiff = 0;
        for (std::size_t i = 0; i < a.samples.size(); ++i)
            maxDiff = std::max(maxDiff, std::abs(a.samples[i] - b.samples[i]));
        qInfo("regenerated clip max |diff| = %g", double(maxDiff));
        QVERIFY(maxDiff <= 1.0f / 32767);

        // Export through the dialog and read the file back.
        ExportDialog exporter(dir.path() + "/export", QString::fromStdString(first.name), a,
                              first.recipe);
        exporter.setFormat("flac");
        QVERIFY2(exporter.exportNow(), qPrintable(exporter.errorText()));
        const AudioBuffer back = readAudioFile(exporter.path().toStdString());
        QCOMPARE(back.samples.size(), a.samples.size());
        float exportDiff = 0;
        for (std::size_t i = 0; i < a.samples.size(); ++i)
            exportDiff = std::max(exportDiff, std::abs(a.samples[i] - back.samples[i]));
        qInfo("exported FLAC max |diff| = %g", double(exportDiff));
        QVERIFY(exportDiff <= 1.0f / 32767);
    }

    /// The predicted emotion of a generated clip, computed on the engine thread with the
    /// default head, equals a direct EmotionPredictor run on the same audio.
    void predictedEmotionOnTheEngineThread() {
        if (!test::haveParity())
            QSKIP(qPrintable("*** PARITY FIXTURES NOT FOUND at " +
                             QString::fromStdString(test::parityDir()) + ": e2e NOT run ***"));
        studio::ThreadedEngineClient engine;
        if (!engine.emotionPredictorUnavailableReason().isEmpty())
            QSKIP(qPrintable("*** " + engine.emotionPredictorUnavailableReason() + " ***"));
        QCOMPARE(QFileInfo(studio::ThreadedEngineClient::defaultEmotionHeadPath()).fileName(),
                 QString("emotion_head_dsp.safetensors"));
        const QString error = load(engine, QString::fromStdString(test::parityDir()));
        QVERIFY2(error.isEmpty(), qPrintable(error));

        QTemporaryDir dir;
        AudioPlayer player(std::make_unique<test::SilentSink>());
        TransportPanel transport(&player);
        ClipLibrary library((dir.path() + "/clips").toStdString());
        GenerationController controller(&engine, &transport, &library);
        QSignalSpy added(&controller, &GenerationController::clipAdded);
        Recipe recipe;
        recipe.promptIds = {12, 7, 33, 1};
        recipe.seed = 3;
        recipe.seconds = 8.0; // two 5 s windows (the 3 s remainder is >= W / 2)
        QVERIFY(controller.generate(recipe));
        for (int i = 0; i < 6000 && added.isEmpty(); ++i) // up to 5 min on a loaded machine
            QTest::qWait(50);
        QCOMPARE(added.count(), 1);
        const QString id = added[0][0].toString();
        const AudioBuffer audio = library.audio(id.toStdString());

        test::JobSpy predicted(&engine, PredictEmotionJob::kKind);
        const JobId job = engine.predictEmotion(id, audio);
        QVERIFY(predicted.waitEnded(job, 300000));
        QVERIFY2(predicted.error(job).isNull(), qPrintable(predicted.error(job)));
        const auto p = predicted.result(job).value<ClipPrediction>();
        QCOMPARE(p.windows.size(), std::size_t(2));
        QVERIFY(p.valence >= 1 && p.valence <= 9 && p.arousal >= 1 && p.arousal <= 9);
        const ClipPrediction direct =
            EmotionPredictor::load(defaultEmotionHeadPath()).predict(audio);
        qInfo("engine-thread prediction v %.4f a %.4f, direct v %.4f a %.4f", p.valence, p.arousal,
              direct.valence, direct.arousal);
        QVERIFY(std::abs(p.valence - direct.valence) < 1e-9);
        QVERIFY(std::abs(p.arousal - direct.arousal) < 1e-9);
    }

    /// The studio window on the real engine with the embedded model (the default folder): a
    /// clip generated from the window reaches the library and exports to WAV and MIDI; the
    /// layer explorer generates clips per genre, analyses every layer and fills its plots and
    /// the steering panel's best layer; the emotion view's grid benchmark generates and
    /// predicts a 2 x 2 grid for every genre and plots it.
    void generateExportExploreAndBenchmarkOnTheEmbeddedModel() {
        QTemporaryDir dir;
        QSettings settings(dir.filePath("s.ini"), QSettings::IniFormat);
        settings.setValue("model/threads", 1); // 2 threads stall when the other core is busy
        studio::ThreadedEngineClient engine;
        studio::MainWindow window(
            &engine, std::make_unique<AudioPlayer>(std::make_unique<test::SilentSink>()),
            dir.filePath("clips"), &settings);
        window.show();
        QSignalSpy loaded(&engine, &EngineClient::modelLoaded);
        QSignalSpy loadFailed(&engine, &EngineClient::modelLoadFailed);
        window.loadModel();
        for (int i = 0; i < 6000 && loaded.isEmpty() && loadFailed.isEmpty(); ++i)
            QTest::qWait(50);
        QVERIFY2(loadFailed.isEmpty(), qPrintable(loadFailed.value(0).value(0).toString()));
        QCOMPARE(loaded.count(), 1);
        const ModelInfo info = *engine.modelInfo();
        QCOMPARE(int(info.genres.size()), 4);

        // Generate through the window: the clip reaches the library with its codes, exports to
        // WAV (reads back equal) and to MIDI.
        Recipe rc = window.promptPanel()->recipe();
        rc.prompt = "calm jazz with piano";
        rc.seconds = 3.0;
        window.promptPanel()->setRecipe(rc);
        test::JobSpy generated(&engine, GenerateJob::kKind);
        test::JobSpy predicted(&engine, PredictEmotionJob::kKind);
        window.generate();
        QVERIFY(generated.waitEndedCount(1, 300000));
        QVERIFY2(generated.failed.isEmpty(), qPrintable(generated.failed.value(0).second));
        for (int i = 0; i < 100 && window.library()->clips().empty(); ++i)
            QTest::qWait(50);
        QCOMPARE(window.library()->clips().size(), std::size_t(1));
        // Its predicted emotion follows on the engine thread (before the benchmark's points).
        if (engine.emotionPredictorUnavailableReason().isEmpty())
            QVERIFY(predicted.waitEndedCount(1, 100000));
        const LibraryClip clip = window.library()->clips()[0];
        QCOMPARE(clip.recipe.prompt, std::string("calm jazz with piano"));
        const AudioBuffer audio = window.library()->audio(clip.id);
        // 3 s of frames plus SynthCodec's 0.25 s release tail (docs/synthcodec.md).
        QVERIFY2(std::abs(audio.seconds() - 3.25) < 0.01,
                 qPrintable(QString::number(audio.seconds())));
        const auto codes = window.library()->codes(clip.id);
        QVERIFY(codes.has_value());
        ExportDialog wav(dir.path() + "/export", QString::fromStdString(clip.name), audio,
                         clip.recipe, nullptr, codes);
        wav.setFormat("wav");
        QVERIFY2(wav.exportNow(), qPrintable(wav.errorText()));
        const AudioBuffer back = readAudioFile(wav.path().toStdString());
        QCOMPARE(back.samples.size(), audio.samples.size());
        ExportDialog midi(dir.path() + "/export", QString::fromStdString(clip.name), audio,
                          clip.recipe, nullptr, codes);
        midi.setFormat("mid");
        QVERIFY2(midi.exportNow(), qPrintable(midi.errorText()));
        QVERIFY(QFileInfo(midi.path()).size() > 100);

        // Layer explorer: 2 clips per genre of 2 s, generated and analysed in the background.
        LayerExplorerPanel* explorer = window.explorerPanel();
        explorer->setWorkFolder(dir.path());
        explorer->setGenerate(2);
        test::JobSpy report(&engine, ExploreLayersJob::kKind);
        QTest::mouseClick(explorer->runButton(), Qt::LeftButton);
        QVERIFY(explorer->isRunning());
        QVERIFY(report.waitEndedCount(1, 300000));
        QVERIFY2(report.failed.isEmpty(), qPrintable(report.failed.value(0).second));
        QCOMPARE(report.finished.size(), 1);
        QVERIFY(report.progressReports.value(report.queued.value(0)) >= 4);
        QVERIFY(!explorer->isRunning());
        const auto& r = *explorer->report();
        QCOMPARE(r.numClips, std::int64_t(8));
        QCOMPARE(int(r.layers.size()), info.numLayers);
        QCOMPARE(int(r.clusterings.size()), info.numLayers);
        for (const auto& m : r.layers) {
            QVERIFY(m.probeAccuracy >= 0 && m.probeAccuracy <= 1);
            QVERIFY(m.nmi >= 0 && m.nmi <= 1 + 1e-9);
        }
        QCOMPARE(explorer->metricsPlot()->graph(0)->dataCount(), info.numLayers);
        QVERIFY(explorer->bestLayer() >= 0 && explorer->bestLayer() < info.numLayers);
        QCOMPARE(window.steeringPanel()->bestLayer(), explorer->bestLayer()); // "auto" uses it
        QVERIFY(explorer->setJaccardLayer(0));
        QCOMPARE(explorer->jaccardMap()->data()->valueSize(), 4); // the four genres

        // Grid benchmark from the emotion view: 2 x 2 targets x 4 genres of 2 s clips.
        Recipe shorter = window.promptPanel()->recipe();
        shorter.seconds = 2.0;
        window.promptPanel()->setRecipe(shorter);
        EmotionView* view = window.emotionView();
        view->setBenchmarkGrid(2);
        const int before = view->pointCount();
        test::JobSpy done(&engine, EmotionGridBenchmarkJob::kKind);
        QSignalSpy benchClips(&engine, &EngineClient::jobPartial);
        QTest::mouseClick(view->benchmarkButton(), Qt::LeftButton);
        QVERIFY(done.waitEndedCount(1, 300000));
        QVERIFY2(done.failed.isEmpty(), qPrintable(done.failed.value(0).second));
        const auto bench = done.last<EmotionBenchmarkReport>();
        QCOMPARE(int(bench.clips.size()), 16);
        QCOMPARE(bench.predictedClips, 16);
        QCOMPARE(benchClips.count(), 16);
        for (const auto& c : bench.clips) {
            QVERIFY(std::abs(c.target.valence - 5) == 4 && std::abs(c.target.arousal - 5) == 4);
            QVERIFY(c.prediction.valence >= 1 && c.prediction.valence <= 9);
            QVERIFY(!c.silent);
        }
        QCOMPARE(view->pointCount(), before + 16);
        qInfo("grid benchmark: CCC_A %.3f CCC_V %.3f over %d clips", bench.metrics.arousal.ccc,
              bench.metrics.valence.ccc, int(bench.clips.size()));
    }
};

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    registerEngineMetaTypes();
    StudioEndToEndTest test;
    return QTest::qExec(&test, argc, argv);
}

#include "StudioEndToEndTest.moc"
