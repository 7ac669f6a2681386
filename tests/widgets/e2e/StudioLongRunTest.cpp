// Long runs through the studio's own engine client (engine thread, queued signals) on the
// embedded model: 50 generate/cancel cycles (cancel as soon as audio arrives, and cancel
// before the job even started) must each end in exactly one generationFinished (cancelled or
// not) or generationFailed, leave the client idle (no stuck "busy"), and keep the resident
// memory flat. Written against EngineClient's API as of this branch (generate/cancel/isBusy
// and the generation* signals).
#include "ThreadedEngineClient.h"

#include "core/Recipe.h"

#include <QApplication>
#include <QFile>
#include <QSignalSpy>
#include <QTest>

using namespace moodsteer;
using namespace moodsteer::widgets;

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

        QSignalSpy started(&engine, &EngineClient::generationStarted);
        QSignalSpy chunks(&engine, &EngineClient::audioChunk);
        QSignalSpy finished(&engine, &EngineClient::generationFinished);
        QSignalSpy failed(&engine, &EngineClient::generationFailed);

        Recipe r;
        r.prompt = "calm jazz piano";
        r.seconds = 8.0;
        constexpr int kCycles = 50;
        double rssAfterWarmUp = 0;
        int cancelledRuns = 0;
        for (int i = 0; i < kCycles; ++i) {
            r.seed = static_cast<std::uint64_t>(i + 1);
            const int endsBefore = finished.count() + failed.count();
            const int chunksBefore = chunks.count();
            engine.generate(r);
            if (i % 5 == 4) {
                engine.cancel(); // before the engine thread has even picked the job up
            } else {
                QTRY_VERIFY_WITH_TIMEOUT(chunks.count() > chunksBefore ||
                                             finished.count() + failed.count() > endsBefore,
                                         60000);
                engine.cancel();
            }
            QTRY_VERIFY_WITH_TIMEOUT(finished.count() + failed.count() > endsBefore, 60000);
            QTRY_VERIFY_WITH_TIMEOUT(!engine.isBusy(), 10000);
            QCOMPARE(finished.count() + failed.count(), endsBefore + 1); // one end per job
            const auto& last = finished.isEmpty() ? QList<QVariant>() : finished.last();
            if (!last.isEmpty() && last.value(0).value<GenerationResult>().cancelled)
                ++cancelledRuns;
            if (i == 4) rssAfterWarmUp = residentMb();
        }
        QTest::qWait(200); // late queued signals would show up now
        QCOMPARE(finished.count() + failed.count(), kCycles);
        QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(0).toString()));
        QVERIFY(!engine.isBusy());
        QVERIFY2(cancelledRuns >= kCycles / 2,
                 qPrintable(
                     QString("only %1 of %2 runs were cancelled").arg(cancelledRuns).arg(kCycles)));
        const double rssEnd = residentMb();
        qInfo("RSS after 5 cycles %.1f MB, after %d cycles %.1f MB (%d cancelled)", rssAfterWarmUp,
              kCycles, rssEnd, cancelledRuns);
        // Flat: 45 more cycles may not add more than 40 MB (a leaked 8 s clip or KV cache per
        // cycle would add several hundred).
        QVERIFY2(
            rssEnd - rssAfterWarmUp < 40.0,
            qPrintable(QString("RSS grew from %1 MB to %2 MB").arg(rssAfterWarmUp).arg(rssEnd)));
        // The engine still works after all that.
        const int endsBefore = finished.count();
        r.seconds = 1.0;
        engine.generate(r);
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() > endsBefore || !failed.isEmpty(), 60000);
        QVERIFY(failed.isEmpty());
        QVERIFY(!finished.last().value(0).value<GenerationResult>().cancelled);
    }
};

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    registerEngineMetaTypes();
    StudioLongRunTest t;
    return QTest::qExec(&t, argc, argv);
}

#include "StudioLongRunTest.moc"
