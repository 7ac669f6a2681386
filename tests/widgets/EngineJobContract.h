// The job contract every EngineClient keeps, run against the fake engine (widgets_tests,
// EngineJobContractTest) and the real engine thread on the embedded model
// (engine_jobs_e2e_tests): jobs run one at a time in submission order, and cancelling one
// job never touches another. Each function checks with QTest macros; the caller stops when
// QTest::currentTestFailed().
#pragma once

#include "JobSpy.h"

#include "widgets/EngineClient.h"

#include <QTest>

namespace moodsteer::test {

struct JobContractSetup {
    Recipe longClip;  ///< a generation long enough to be cancelled while it runs
    Recipe shortClip; ///< a quick generation
    widgets::LayerExplorerRequest exploration;
    int timeoutMs = 60000;
};

inline std::size_t expectedSamples(const GenerationResult& r) {
    return static_cast<std::size_t>(r.recipe.seconds * r.audio.sampleRate);
}

/// Two generations queued; the second is cancelled before it starts: it fails at once and
/// never starts, the first completes untouched.
inline void cancelTheSecondOfTwoQueuedJobs(widgets::EngineClient& engine,
                                           const JobContractSetup& setup) {
    JobSpy spy(&engine);
    const widgets::JobId first = engine.generate(setup.longClip);
    const widgets::JobId second = engine.generate(setup.shortClip);
    QVERIFY(first != 0 && second != 0 && first != second);
    QCOMPARE(engine.jobs().size(), 2);
    QVERIFY(engine.isBusy());
    QVERIFY(engine.cancel(second));
    QVERIFY(!spy.error(second).isNull()); // dropped at once, before it could start
    QCOMPARE(engine.jobs().size(), 1);
    QCOMPARE(engine.jobs()[0].id, first);
    QVERIFY(!engine.cancel(second)); // already gone
    QVERIFY(spy.waitEnded(first, setup.timeoutMs));
    QVERIFY2(spy.error(first).isNull(), qPrintable(spy.error(first)));
    const auto r = spy.result(first).value<GenerationResult>();
    QVERIFY(!r.cancelled);
    QVERIFY(r.audio.samples.size() >= expectedSamples(r));
    QVERIFY(!spy.started.contains(second));
    QVERIFY(!engine.isBusy());
}

/// A layer exploration, then a generation queued behind it. Cancelling the exploration while
/// it runs stops it; the generation then runs to its end, not cancelled.
inline void cancelDuringAnExplorationSparesALaterGenerate(widgets::EngineClient& engine,
                                                          const JobContractSetup& setup) {
    JobSpy spy(&engine);
    const widgets::JobId explore = engine.exploreLayers(setup.exploration);
    const widgets::JobId generate = engine.generate(setup.shortClip);
    QVERIFY(
        JobSpy::waitFor([&] { return spy.progressReports.value(explore) > 0; }, setup.timeoutMs));
    QVERIFY(!spy.hasEnded(explore));
    QVERIFY(engine.cancel(explore));
    QVERIFY(engine.job(explore)->cancelRequested);
    QVERIFY(!engine.job(generate)->cancelRequested);
    QVERIFY(spy.waitEnded(generate, setup.timeoutMs));
    QVERIFY2(spy.error(explore).contains("cancelled"), qPrintable(spy.error(explore)));
    QVERIFY2(spy.error(generate).isNull(), qPrintable(spy.error(generate)));
    const auto r = spy.result(generate).value<GenerationResult>();
    QVERIFY(!r.cancelled);
    QVERIFY(r.audio.samples.size() >= expectedSamples(r));
    // One at a time: the generation started only after the exploration had ended.
    QVERIFY(spy.events.indexOf(QString("failed %1").arg(explore)) <
            spy.events.indexOf(QString("started %1").arg(generate)));
}

/// The studio's old cancel bug: a Generate accepted during a layer exploration, then Cancel,
/// stopped the exploration. Now the generation is queued, cancelling it drops only it, and
/// the exploration delivers its report.
inline void cancellingAGenerateSparesTheRunningExploration(widgets::EngineClient& engine,
                                                           const JobContractSetup& setup) {
    JobSpy spy(&engine);
    const widgets::JobId explore = engine.exploreLayers(setup.exploration);
    QVERIFY(JobSpy::waitFor([&] { return spy.started.contains(explore); }, setup.timeoutMs));
    const widgets::JobId generate = engine.generate(setup.longClip);
    QCOMPARE(engine.job(generate)->state, widgets::EngineJobInfo::State::Queued);
    QVERIFY(engine.cancel(generate));
    QVERIFY(!spy.error(generate).isNull());
    QVERIFY(!engine.job(explore)->cancelRequested);
    QVERIFY(spy.waitEnded(explore, setup.timeoutMs));
    QVERIFY2(spy.error(explore).isNull(), qPrintable(spy.error(explore)));
    QVERIFY(!spy.result(explore).value<LayerAnalysisReport>().layers.empty());
    QVERIFY(!spy.started.contains(generate));
}

/// A running generation cancelled: it finishes with its partial audio and `cancelled`; the
/// exploration queued behind it runs and delivers its report.
inline void cancellingARunningGenerateSparesTheQueuedExploration(widgets::EngineClient& engine,
                                                                 const JobContractSetup& setup) {
    JobSpy spy(&engine);
    const widgets::JobId generate = engine.generate(setup.longClip);
    const widgets::JobId explore = engine.exploreLayers(setup.exploration);
    QVERIFY(JobSpy::waitFor([&] { return spy.audioChunks.value(generate) > 0; }, setup.timeoutMs));
    QVERIFY(engine.cancel(generate));
    QVERIFY(spy.waitEnded(explore, setup.timeoutMs));
    const auto r = spy.result(generate).value<GenerationResult>();
    QVERIFY(r.cancelled);
    QVERIFY(r.audio.samples.size() < expectedSamples(r));
    QVERIFY2(spy.error(explore).isNull(), qPrintable(spy.error(explore)));
    QVERIFY(!spy.result(explore).value<LayerAnalysisReport>().layers.empty());
    QVERIFY(!engine.isBusy());
}

} // namespace moodsteer::test
