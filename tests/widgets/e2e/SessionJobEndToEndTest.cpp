// The SessionJob on the studio's real engine thread with the embedded model: a short session
// in several windows (16 s windows, so a 50 s session has five) streams its audio, sends one
// emotion-head prediction per finished window on the session clock, and finishes with the
// whole session and its recipe; a cancelled session keeps its finished windows.
#include "JobSpy.h"
#include "ThreadedEngineClient.h"

#include "widgets/SessionJob.h"

#include <QApplication>
#include <QSignalSpy>
#include <QTest>

#include <cmath>

using namespace moodsteer;
using namespace moodsteer::widgets;

namespace {
Recipe shortSession(double seconds) {
    Recipe r;
    r.model = "embedded";
    r.prompt = "calm ambient piece with piano";
    r.seconds = seconds;
    r.seed = 5;
    r.guidance = 2;
    r.windowSeconds = 16;
    r.emotionPath = VaPath::iso({5, 8}, {6, 2}, seconds * 0.8, seconds * 0.2);
    return r;
}
} // namespace

class SessionJobEndToEndTest : public QObject {
    Q_OBJECT
    std::unique_ptr<studio::ThreadedEngineClient> engine_;
    QString head_;

  private slots:
    void initTestCase() {
        engine_ = std::make_unique<studio::ThreadedEngineClient>();
        if (engine_->embeddedModelFolder().isEmpty())
            QSKIP("*** the embedded model is not installed: session job e2e NOT run ***");
        QSignalSpy loaded(engine_.get(), &EngineClient::modelLoaded);
        QSignalSpy failed(engine_.get(), &EngineClient::modelLoadFailed);
        engine_->loadModel(QString(), 1);
        QVERIFY(
            test::JobSpy::waitFor([&] { return !loaded.isEmpty() || !failed.isEmpty(); }, 120000));
        QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(0).toString()));
        QVERIFY2(engine_->emotionPredictorUnavailableReason().isEmpty(),
                 qPrintable(engine_->emotionPredictorUnavailableReason()));
        head_ = engine_->emotionHeadPath();
    }
    void cleanupTestCase() { engine_.reset(); }

    void aSessionStreamsAndPredictsEachWindow() {
        test::JobSpy spy(engine_.get(), SessionJob::kKind);
        QList<SessionJob::WindowEmotion> windows;
        std::size_t streamed = 0;
        QStringList messages;
        QObject scope; // the connections end with this test (they capture its locals)
        connect(engine_.get(), &EngineClient::jobPartial, &scope, [&](JobId, const QVariant& v) {
            if (v.canConvert<SessionJob::WindowEmotion>())
                windows << v.value<SessionJob::WindowEmotion>();
        });
        connect(engine_.get(), &EngineClient::jobAudio, &scope,
                [&](JobId, const QVector<float>& s) { streamed += std::size_t(s.size()); });
        connect(engine_.get(), &EngineClient::jobProgress, &scope,
                [&](JobId, const JobProgress& p) { messages << p.message; });
        const JobId id = engine_->submit(std::make_shared<SessionJob>(shortSession(50), head_));
        QVERIFY(test::JobSpy::waitFor(
            [&] { return !spy.finished.isEmpty() || !spy.failed.isEmpty(); }, 300000));
        QVERIFY2(spy.failed.isEmpty(), qPrintable(spy.failed.value(0).second));
        QCOMPARE(spy.finished[0].first, id);
        const auto result = spy.finished[0].second.value<GenerationResult>();
        QVERIFY(!result.cancelled);
        QVERIFY(std::abs(result.audio.seconds() - 50) < 0.5);
        QCOMPARE(streamed, result.audio.samples.size()); // every sample went to the player
        QCOMPARE(int(result.windowLevels.size()), 5);    // 16 s, then 10.7 s strides
        QCOMPARE(result.recipe.windowSeconds, 16.0);
        QVERIFY(!result.recipe.emotionPath.empty());
        // One prediction per window, back to back on the session clock, on the 1..9 scale.
        QCOMPARE(windows.size(), 5);
        double at = 0;
        for (const auto& w : windows) {
            QVERIFY(std::abs(w.startSeconds - at) < 1e-6);
            QVERIFY(w.endSeconds > w.startSeconds);
            QVERIFY(w.valence >= 1 && w.valence <= 9 && w.arousal >= 1 && w.arousal <= 9);
            at = w.endSeconds;
        }
        QVERIFY(std::abs(at - result.audio.seconds()) < 1e-6);
        QVERIFY(messages.last().contains("Window 5/5"));
        QVERIFY(messages.last().contains("real time"));
    }

    void aCancelledSessionKeepsItsFinishedWindows() {
        test::JobSpy spy(engine_.get(), SessionJob::kKind);
        int predicted = 0;
        JobId id = 0;
        QObject scope;
        connect(engine_.get(), &EngineClient::jobPartial, &scope, [&](JobId job, const QVariant&) {
            if (job == id && ++predicted == 1) engine_->cancel(id); // after the first window
        });
        id = engine_->submit(std::make_shared<SessionJob>(shortSession(300), head_));
        QVERIFY(test::JobSpy::waitFor(
            [&] { return !spy.finished.isEmpty() || !spy.failed.isEmpty(); }, 300000));
        QVERIFY2(spy.failed.isEmpty(), qPrintable(spy.failed.value(0).second));
        const auto result = spy.finished[0].second.value<GenerationResult>();
        QVERIFY(result.cancelled);
        QVERIFY(result.recipe.incomplete);
        QVERIFY(!result.windowLevels.empty());
        QVERIFY(result.audio.seconds() >= 16 - 0.5 && result.audio.seconds() < 300);
    }
};

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    registerEngineMetaTypes();
    SessionJobEndToEndTest test;
    return QTest::qExec(&test, argc, argv);
}

#include "SessionJobEndToEndTest.moc"
