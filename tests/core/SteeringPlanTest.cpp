// A generation's steering plan: per-layer grouping, schedules and transitions, and loading
// from a recipe's steering list with the model checks.
#include "core/steering/SteeringPlan.h"

#include "RandomSteeringVector.h"
#include "TestPaths.h"

#include <gtest/gtest.h>

using namespace moodsteer;

namespace {

SteeringVector vec(const std::string& label, int layer, int d, std::uint64_t seed) {
    return test::randomSteeringVector("embedded-test", d, layer, seed, label, {"jazz", "rock"});
}

std::vector<float> rowsOf(int count, int d) {
    std::vector<float> r(count * d);
    for (int i = 0; i < count * d; ++i)
        r[i] = static_cast<float>(std::sin(0.37 * i) + 0.1 * (i % d));
    return r;
}

} // namespace

TEST(SteeringPlan, TransitionFollowsTheCrossFade) {
    const int d = 16;
    const SteeringVector jazz = vec("jazz", 5, d, 1), rock = vec("rock", 5, d, 2);
    SteeringPlan plan;
    plan.addTransition(jazz, rock, CrossFade{0.6, 0.4, 0.0, 1.0});
    plan.add(vec("jazz", 2, d, 3), 0.3);
    EXPECT_EQ(plan.layers(), (std::vector<int>{2, 5}));
    EXPECT_TRUE(plan.steersLayer(5));
    EXPECT_FALSE(plan.steersLayer(3));
    EXPECT_DOUBLE_EQ(plan.alphaAt(0, 0.0), 0.6);
    EXPECT_DOUBLE_EQ(plan.alphaAt(1, 0.0), 0.0);
    EXPECT_DOUBLE_EQ(plan.alphaAt(0, 1.0), 0.0);
    EXPECT_DOUBLE_EQ(plan.alphaAt(1, 1.0), 0.4);

    for (double t : {0.0, 0.5, 1.0}) {
        auto got = rowsOf(3, d), want = got;
        plan.apply(5, t, got.data(), 3, d);
        const SteeringTerm terms[] = {{jazz.direction.data(), 0.6 * (1 - t)},
                                      {rock.direction.data(), 0.4 * t}};
        applySteeringRows(want.data(), 3, d, terms);
        for (int i = 0; i < 3 * d; ++i)
            EXPECT_NEAR(got[i], want[i], 1e-6) << "t " << t;
    }
    auto untouched = rowsOf(2, d);
    const auto before = untouched;
    plan.apply(3, 0.5, untouched.data(), 2, d);
    EXPECT_EQ(untouched, before);
}

TEST(SteeringPlan, FromRecipeLoadsAndChecksVectors) {
    const auto dir = test::scratchDir("steering-plan");
    const std::string path = (dir / "rock.safetensors").string();
    vec("rock", 4, 8, 5).save(path);
    SteeringSpec spec;
    spec.vectorPath = path;
    spec.alpha = 0.5;
    spec.schedule = SteeringSchedule::RampUp;
    const SteeringPlan plan = SteeringPlan::fromRecipe({spec}, "embedded-test", 8, 6);
    ASSERT_EQ(plan.entries().size(), 1u);
    EXPECT_EQ(plan.entries()[0].layer, 4); // the vector's own layer
    EXPECT_DOUBLE_EQ(plan.alphaAt(0, 0.5), 0.25);

    spec.layer = 2; // override
    EXPECT_EQ(SteeringPlan::fromRecipe({spec}, "embedded-test", 8, 6).layers(),
              std::vector<int>{2});
    EXPECT_THROW(SteeringPlan::fromRecipe({spec}, "musicgen-small", 8, 6), SteeringError);
    EXPECT_THROW(SteeringPlan::fromRecipe({spec}, "embedded-test", 16, 6), SteeringError);
    spec.layer = 9;
    EXPECT_THROW(SteeringPlan::fromRecipe({spec}, "embedded-test", 8, 6), SteeringError);

    SteeringSpec builtIn;
    builtIn.label = "jazz";
    EXPECT_THROW(SteeringPlan::fromRecipe({builtIn}, "embedded-test", 8, 6), SteeringError);
    const SteeringPlan resolved =
        SteeringPlan::fromRecipe({builtIn}, "embedded-test", 8, 6,
                                 [](const SteeringSpec& s) { return vec(s.label, 1, 8, 7); });
    EXPECT_EQ(resolved.entries()[0].vector.label, "jazz");
    SteeringPlan bad;
    EXPECT_THROW(bad.add(vec("x", 1, 8, 8), 0.5, SteeringSchedule::RampUp, -1, 0.7, 0.2),
                 SteeringError);
}

TEST(SteeringPlan, TimeRangesSwitchAnEntryOnlyInsideTheirSeconds) {
    const int d = 16;
    SteeringPlan plan;
    plan.add(vec("jazz", 2, d, 1), 0.5, SteeringSchedule::RampUp);
    plan.setRange(0, 60, 120);
    plan.add(vec("rock", 2, d, 2), 0.4);
    plan.setRange(1, 100, INFINITY);     // open end
    plan.add(vec("jazz", 2, d, 3), 0.3); // unranged: the clip position as before
    EXPECT_DOUBLE_EQ(0.0, plan.alphaAt(0, SteeringTime{0.5, 59.9}));
    EXPECT_DOUBLE_EQ(0.0, plan.alphaAt(0, SteeringTime{0.5, 60.0})); // ramp starts at 0
    EXPECT_DOUBLE_EQ(0.25, plan.alphaAt(0, SteeringTime{0.5, 90.0}));
    EXPECT_DOUBLE_EQ(0.0, plan.alphaAt(0, SteeringTime{0.5, 120.0})); // [from, to)
    EXPECT_DOUBLE_EQ(0.0, plan.alphaAt(1, SteeringTime{0.1, 99.0}));
    EXPECT_DOUBLE_EQ(0.4, plan.alphaAt(1, SteeringTime{0.9, 1e5}));
    EXPECT_DOUBLE_EQ(0.3, plan.alphaAt(2, SteeringTime{0.2, 5.0}));
    // Without a clock (the clip-position API) ranged entries are off, unranged unchanged.
    EXPECT_DOUBLE_EQ(0.0, plan.alphaAt(0, 0.5));
    EXPECT_DOUBLE_EQ(0.3, plan.alphaAt(2, 0.5));
    // Only the entries active at that second move the rows.
    auto a = rowsOf(3, d), b = rowsOf(3, d);
    plan.apply(2, SteeringTime{0.5, 30.0}, a.data(), 3, d);
    SteeringPlan unranged;
    unranged.add(vec("jazz", 2, d, 3), 0.3);
    unranged.apply(2, 0.5, b.data(), 3, d);
    EXPECT_EQ(a, b);
    EXPECT_THROW(plan.setRange(0, 10, 10), SteeringError);
    EXPECT_THROW(plan.setRange(0, -1, 10), SteeringError);
}
