// Long runs through the studio's own engine client (engine thread, queued signals) on the
// embedded model: 50 generate/cancel cycles (cancel as soon as audio arrives, and cancel
// before the job even started) must each end in exactly one jobFinished (cancelled or not) or
// jobFailed ("cancelled before it started"), leave the client idle (no stuck "busy", no job
// left in the list), and keep the resident memory flat.
#include "JobSpy.h"
#include "ThreadedEngineClient.h"

#include "core/engine/Recipe.h"

#include <QApplication>
#include <QFile>
#include <QSignalSpy>
#include <QTest>

using namespace moodsteer;
using namespace moodsteer::widgets;
using moodsteer::widgets::JobId;

namespace {

/// Resident set size in MB (VmRSS of /proc/self/status).
double residentMb() {
    QFile f("/proc/self/status");
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text)) return -1;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toDouble() / 1024.0;
    return -1;
}

} // namespace

class StudioLongRunTest : public QObject {
    Q_OBJECT
  private slots:
    void fiftyGenerateCancelCyclesLeaveNothingBehind() {
        studio::ThreadedEngineClient engine;
        const QString folder = engine.embeddedModelFolder();
        if (folder.isEmpty()) QSKIP("no embedded model in resources/: long run NOT run");
        QSignalSpy loaded(&engine, &EngineClient::modelLoaded);
        QSignalSpy loadFailed(&engine, &EngineClient::modelLoadFailed);
        engine.loadModel(folder, 1);
        QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty() || !loadFailed.isEmpty(), 120000);
        QVERIFY2(loadFailed.isEmpty(), qPrintable(loadFailed.value(0).value(0).toString()));

        test::JobSpy spy(&engine, "generate");
        Recipe r;
        r.prompt = "calm jazz piano";
        r.seconds = 8.0;
        constexpr int kCycles = 50;
        double rssAfterWarmUp = 0;
        int cancelledRuns = 0, cancelledQueued = 0;
        for (int i = 0; i < kCycles; ++i) {
            r.seed = static_cast<std::uint64_t>(i + 1);
            const JobId id = engine.generate(r);
            QVERIFY(id != 0);
            if (i % 5 == 4) {
                engine.cancel(id); // before the engine thread has even picked the job up
            } else {
                QTRY_VERIFY_WITH_TIMEOUT(spy.audioChunks.value(id) > 0 || spy.hasEnded(id), 60000);
                engine.cancel(id);
            }
            QTRY_VERIFY_WITH_TIMEOUT(spy.hasEnded(id), 60000);
            QTRY_VERIFY_WITH_TIMEOUT(!engine.isBusy(), 10000);
            QVERIFY(engine.jobs().isEmpty());
            QCOMPARE(spy.finished.count() + spy.failed.count(), i + 1); // one end per job
            const QVariant result = spy.result(id);
            if (result.isValid() && result.value<GenerationResult>().cancelled) ++cancelledRuns;
            if (!result.isValid()) ++cancelledQueued;
            if (i == 4) rssAfterWarmUp = residentMb();
        }
        QTest::qWait(200); // late queued signals would show up now
        QCOMPARE(spy.finished.count() + spy.failed.count(), kCycles);
        // Only the jobs cancelled before they started may end as failures.
        QVERIFY2(spy.failed.count() == cancelledQueued, qPrintable(spy.failed.value(0).second));
        QVERIFY(!engine.isBusy());
        QVERIFY2(cancelledRuns + cancelledQueued >= kCycles / 2,
                 qPrintable(QString("only %1 of %2 runs were cancelled")
                                .arg(cancelledRuns + cancelledQueued)
                                .arg(kCycles)));
        const double rssEnd = residentMb();
        qInfo("RSS after 5 cycles %.1f MB, after %d cycles %.1f MB (%d cancelled running, %d "
              "cancelled queued)",
              rssAfterWarmUp, kCycles, rssEnd, cancelledRuns, cancelledQueued);
        // Flat: 45 more cycles may not add more than 40 MB (a leaked 8 s clip or KV cache per
        // cycle would add several hundred).
        QVERIFY2(
            rssEnd - rssAfterWarmUp < 40.0,
            qPrintable(QString("RSS grew from %1 MB to %2 MB").arg(rssAfterWarmUp).arg(rssEnd)));
        // The engine still works after all that.
        r.seconds = 1.0;
        const JobId last = engine.generate(r);
        QTRY_VERIFY_WITH_TIMEOUT(spy.hasEnded(last), 60000);
        QVERIFY2(spy.error(last).isNull(), qPrintable(spy.error(last)));
        QVERIFY(!spy.result(last).value<GenerationResult>().cancelled);
    }
};

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    registerEngineMetaTypes();
    StudioLongRunTest t;
    return QTest::qExec(&t, argc, argv);
}

#include "StudioLongRunTest.moc"
