// The A/B state machine on its own: the recipe pair, completion by job id (other clips never
// count), a lost job stopping the run and naming the job still to cancel.
#include "TestMain.h"

#include "widgets/AbComparison.h"

#include <QTest>

#include <stdexcept>

using namespace moodsteer;
using namespace moodsteer::widgets;

namespace {
Recipe steeredRecipe() {
    Recipe r;
    r.prompt = "jazz";
    r.seed = 99;
    SteeringSpec s;
    s.label = "rock";
    s.alpha = 0.8;
    r.steering.push_back(s);
    return r;
}
} // namespace

class AbComparisonTest : public QObject {
    Q_OBJECT
  private slots:
    void recipesDifferOnlyInSteering() {
        const auto [a, b] = AbComparison::recipes(steeredRecipe());
        QVERIFY(a.steering.empty());
        QCOMPARE(b.steering.size(), std::size_t(1));
        QCOMPARE(a.seed, b.seed);
        QCOMPARE(a.prompt, b.prompt);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, AbComparison::recipes(Recipe{}));
    }

    void completesWhenBothClipsOfItsJobsAreIn() {
        AbComparison ab;
        QCOMPARE(ab.state(), AbComparison::State::Idle);
        ab.start(7, 8);
        QVERIFY(ab.isRunning());
        QCOMPARE(ab.pendingJobs(), (std::vector<AbComparison::JobId>{7, 8}));
        QVERIFY(!ab.clipAdded(3, "other"));  // someone else's clip
        QVERIFY(!ab.clipAdded(8, "clip-b")); // B may finish first
        QCOMPARE(ab.pendingJobs(), (std::vector<AbComparison::JobId>{7}));
        QVERIFY(ab.clipAdded(7, "clip-a"));
        QCOMPARE(ab.state(), AbComparison::State::Done);
        QCOMPARE(ab.clipA(), std::string("clip-a"));
        QCOMPARE(ab.clipB(), std::string("clip-b"));
        QVERIFY(ab.pendingJobs().empty());
        QVERIFY(!ab.clipAdded(7, "again")); // a finished run takes no more clips
        QVERIFY(!ab.jobLost(8));
    }

    void aLostJobStopsTheRunAndNamesTheOther() {
        AbComparison ab;
        ab.start(1, 2);
        QVERIFY(!ab.jobLost(5)); // not ours
        QVERIFY(ab.isRunning());
        QVERIFY(ab.jobLost(1));
        QCOMPARE(ab.state(), AbComparison::State::Stopped);
        QCOMPARE(ab.pendingJobs(), (std::vector<AbComparison::JobId>{2}));
        QVERIFY(!ab.clipAdded(2, "late b")); // a stopped run completes nothing
        // A new run starts clean.
        ab.start(3, 4);
        QVERIFY(ab.clipA().empty() && ab.clipB().empty());
        QCOMPARE(ab.pendingJobs(), (std::vector<AbComparison::JobId>{3, 4}));
    }

    void stopAndBadStarts() {
        AbComparison ab;
        ab.stop();
        QCOMPARE(ab.state(), AbComparison::State::Idle);
        ab.start(1, 2);
        ab.stop();
        QCOMPARE(ab.state(), AbComparison::State::Stopped);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ab.start(0, 2));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ab.start(3, 3));
    }
};

MOODSTEER_QTEST_SUITE(AbComparisonTest);
#include "AbComparisonTest.moc"
