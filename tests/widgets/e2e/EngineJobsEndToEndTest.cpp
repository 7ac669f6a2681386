// The engine job contract (EngineJobContract.h) on the studio's real engine client: the
// engine thread and its worker running the embedded model (resources/model). The same
// functions run against the fake engine in widgets_tests (EngineJobContractTest). Last, the
// model is unloaded as an engine job: its memory comes back, generate then says to load one.
#include "EngineJobContract.h"
#include "ThreadedEngineClient.h"

#include "core/bench/Benchmark.h"
#include "widgets/GenerateJob.h"

#include <QApplication>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

using namespace moodsteer;
using namespace moodsteer::widgets;

class EngineJobsEndToEndTest : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::unique_ptr<studio::ThreadedEngineClient> engine_;
    test::JobContractSetup setup_;

  private slots:
    void initTestCase() {
        engine_ = std::make_unique<studio::ThreadedEngineClient>();
        if (engine_->embeddedModelFolder().isEmpty())
            QSKIP("*** the embedded model is not installed: engine job e2e NOT run ***");
        QSignalSpy loaded(engine_.get(), &EngineClient::modelLoaded);
        QSignalSpy failed(engine_.get(), &EngineClient::modelLoadFailed);
        engine_->loadModel(QString(), 1); // 2 threads stall when the other core is busy
        QVERIFY(
            test::JobSpy::waitFor([&] { return !loaded.isEmpty() || !failed.isEmpty(); }, 120000));
        QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(0).toString()));
        const ModelInfo info = *engine_->modelInfo();
        // Long enough to cancel while it runs (the embedded model makes 10 s in ~0.3 s).
        setup_.longClip.prompt = "energetic rock with drums";
        setup_.longClip.seconds =
            std::min(18.0, (info.maxFrames - 16) / std::max(1.0, info.frameRate));
        setup_.longClip.seed = 11;
        setup_.shortClip.prompt = "calm jazz with piano";
        setup_.shortClip.seconds = 2.0;
        setup_.shortClip.seed = 12;
        setup_.exploration.perLabel = 3;
        setup_.exploration.seconds = 2.0;
        setup_.exploration.activationPath = dir_.filePath("activations.safetensors");
        setup_.timeoutMs = 300000;
        qInfo("embedded model: long clip %.1f s, exploration %d clips per genre",
              setup_.longClip.seconds, setup_.exploration.perLabel);
    }
    void cleanupTestCase() { engine_.reset(); }

    void cancelTheSecondOfTwoQueuedJobs() {
        test::cancelTheSecondOfTwoQueuedJobs(*engine_, setup_);
    }
    void cancelDuringAnExplorationSparesALaterGenerate() {
        test::cancelDuringAnExplorationSparesALaterGenerate(*engine_, setup_);
    }
    void cancellingAGenerateSparesTheRunningExploration() {
        test::cancellingAGenerateSparesTheRunningExploration(*engine_, setup_);
    }
    void cancellingARunningGenerateSparesTheQueuedExploration() {
        test::cancellingARunningGenerateSparesTheQueuedExploration(*engine_, setup_);
    }

    void clipsRecordProvenanceAndUnloadFreesTheModel() {
        const ModelInfo info = *engine_->modelInfo();
        const auto loaded = engine_->loadedModel();
        QVERIFY(loaded);
        QCOMPARE(loaded->source.model, std::string("embedded"));
        QCOMPARE(loaded->precision, std::string("f32"));
        test::JobSpy generations(engine_.get(), GenerateJob::kKind);
        engine_->generate(setup_.shortClip);
        QVERIFY(generations.waitEndedCount(1, setup_.timeoutMs));
        QCOMPARE(generations.finished.size(), 1);
        const Recipe r = generations.finished[0].second.value<GenerationResult>().recipe;
        QCOMPARE(r.model, std::string("embedded"));
        QCOMPARE(r.precision, std::string("f32"));
        QCOMPARE(r.modelHash, loaded->source.contentHash);
        QVERIFY(r.modelHash.rfind("sha256:", 0) == 0);

        // The model was used above, so its weights and caches are resident now.
        const double before = currentRssMB();
        QSignalSpy unloaded(engine_.get(), &EngineClient::modelUnloaded);
        engine_->unloadModel();
        QVERIFY(!engine_->modelInfo());
        QVERIFY(unloaded.wait(60000));
        const double after = currentRssMB();
        const double weightsMB = double(info.parameterCount) * 4.0 / 1e6;
        qInfo("RSS: %.1f MB loaded, %.1f MB after the unload job (%.1f MB freed; f32 weights "
              "%.1f MB)",
              before, after, before - after, weightsMB);
#ifndef __SANITIZE_ADDRESS__ // ASan quarantines freed memory: RSS does not drop
        QVERIFY2(before - after > 0.5 * weightsMB,
                 qPrintable(QString("only %1 MB freed").arg(before - after)));
#endif

        engine_->generate(setup_.shortClip);
        QVERIFY(generations.waitEndedCount(2, setup_.timeoutMs));
        QCOMPARE(generations.failed.size(), 1);
        QVERIFY2(generations.failed[0].second.contains("No model is loaded"),
                 qPrintable(generations.failed[0].second));
    }
};

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    registerEngineMetaTypes();
    EngineJobsEndToEndTest test;
    return QTest::qExec(&test, argc, argv);
}

#include "EngineJobsEndToEndTest.moc"
