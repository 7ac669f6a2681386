// The engine job contract (EngineJobContract.h) on the fake engine, plus the client's own
// bookkeeping: ids, the job list, busy derived from it, the model state following loads.
#include "EngineJobContract.h"
#include "FakeEngineClient.h"
#include "TestMain.h"

#include <QSignalSpy>

using namespace moodsteer;
using namespace moodsteer::widgets;

namespace {
test::JobContractSetup fakeSetup() {
    test::JobContractSetup s;
    s.longClip.prompt = "long";
    s.longClip.seconds = 10.0; // 20 chunks, one per 1 ms tick
    s.longClip.seed = 4;
    s.shortClip.prompt = "short";
    s.shortClip.seconds = 1.0;
    s.shortClip.seed = 5;
    s.exploration.perLabel = 2;
    s.timeoutMs = 5000;
    return s;
}

/// A fake engine with a loaded model and a six-layer exploration report.
struct Rig {
    test::FakeEngineClient engine;
    Rig() {
        for (int l = 0; l < 6; ++l) {
            LayerMetrics m;
            m.layer = l;
            m.probeAccuracy = 0.5;
            engine.layerReport.layers.push_back(m);
        }
        QSignalSpy loaded(&engine, &EngineClient::modelLoaded);
        engine.loadModel("/models/fake", 1);
        loaded.wait(2000);
    }
};
} // namespace

class EngineJobContractTest : public QObject {
    Q_OBJECT
  private slots:
    void cancelTheSecondOfTwoQueuedJobs() {
        Rig rig;
        test::cancelTheSecondOfTwoQueuedJobs(rig.engine, fakeSetup());
    }
    void cancelDuringAnExplorationSparesALaterGenerate() {
        Rig rig;
        test::cancelDuringAnExplorationSparesALaterGenerate(rig.engine, fakeSetup());
    }
    void cancellingAGenerateSparesTheRunningExploration() {
        Rig rig;
        test::cancellingAGenerateSparesTheRunningExploration(rig.engine, fakeSetup());
    }
    void cancellingARunningGenerateSparesTheQueuedExploration() {
        Rig rig;
        test::cancellingARunningGenerateSparesTheQueuedExploration(rig.engine, fakeSetup());
    }

    void jobsRunInOrderAndBusyFollowsTheList() {
        Rig rig;
        test::JobSpy spy(&rig.engine);
        QSignalSpy busy(&rig.engine, &EngineClient::busyChanged);
        QVERIFY(!rig.engine.isBusy());
        const JobId a = rig.engine.generate(fakeSetup().shortClip);
        const JobId b = rig.engine.exploreLayers({});
        const JobId c = rig.engine.generate(fakeSetup().shortClip);
        QCOMPARE(b, a + 1);
        QCOMPARE(busy.count(), 1); // true once, not per job
        QVERIFY(busy[0][0].toBool());
        QVERIFY(rig.engine.hasJob(ExploreLayersJob::kKind));
        const auto jobs = rig.engine.jobs();
        QCOMPARE(jobs.size(), 3);
        QCOMPARE(jobs[1].kind, QString(ExploreLayersJob::kKind));
        QVERIFY(jobs[0].title.contains("short"));
        QVERIFY(spy.waitEnded(c, 5000));
        QCOMPARE(spy.events,
                 (QStringList{QString("queued %1").arg(a), QString("queued %1").arg(b),
                              QString("queued %1").arg(c), QString("started %1").arg(a),
                              QString("finished %1").arg(a), QString("started %1").arg(b),
                              QString("finished %1").arg(b), QString("started %1").arg(c),
                              QString("finished %1").arg(c)}));
        QCOMPARE(busy.count(), 2);
        QVERIFY(!busy[1][0].toBool());
        QVERIFY(!rig.engine.isBusy());
        QVERIFY(!rig.engine.hasJob(ExploreLayersJob::kKind));
        QVERIFY(!rig.engine.cancel(a)); // ended jobs cannot be cancelled
    }

    void failedJobReportsItsMessageAndTheNextRuns() {
        Rig rig;
        test::JobSpy spy(&rig.engine);
        rig.engine.failNextGeneration = true;
        const JobId bad = rig.engine.generate(fakeSetup().shortClip);
        const JobId good = rig.engine.generate(fakeSetup().shortClip);
        QVERIFY(spy.waitEnded(good, 5000));
        QVERIFY(spy.error(bad).contains("AV encoder"));
        QVERIFY(spy.error(good).isNull());
    }

    void modelStateFollowsLoadJobs() {
        test::FakeEngineClient engine;
        QSignalSpy started(&engine, &EngineClient::modelLoadStarted);
        QSignalSpy loaded(&engine, &EngineClient::modelLoaded);
        QSignalSpy failed(&engine, &EngineClient::modelLoadFailed);
        const JobId load = engine.loadModel("/models/fake", 1);
        QCOMPARE(started.count(), 1);
        QCOMPARE(engine.job(load)->kind, QString(LoadModelJob::kKind));
        QVERIFY(loaded.wait(2000));
        QCOMPARE(engine.modelInfo()->id, std::string("fake"));
        // A queued load that is cancelled leaves the loaded model in place.
        engine.generate(fakeSetup().longClip);
        const JobId again = engine.loadModel("/models/broken", 1);
        QVERIFY(!engine.modelInfo()); // Generate waits for the new model
        QVERIFY(engine.cancel(again));
        QCOMPARE(engine.modelInfo()->id, std::string("fake"));
        QCOMPARE(failed.count(), 0);
        // A load that fails clears the model with the reason.
        engine.loadModel("/models/broken", 1);
        QVERIFY(failed.wait(5000));
        QVERIFY(failed[0][0].toString().contains("config.json is missing"));
        QVERIFY(!engine.modelInfo());
    }
};

MOODSTEER_QTEST_SUITE(EngineJobContractTest);
#include "EngineJobContractTest.moc"
