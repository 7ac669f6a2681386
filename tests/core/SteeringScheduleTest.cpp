// Steering strength over the clip: schedule endpoints, windows and the cross-fade.
#include "core/steering/SteeringSchedule.h"

#include <gtest/gtest.h>

using namespace moodsteer;

TEST(SteeringSchedule, EndpointsAndMidpoints) {
    EXPECT_DOUBLE_EQ(scheduleGain(SteeringSchedule::Constant, 0.0), 1.0);
    EXPECT_DOUBLE_EQ(scheduleGain(SteeringSchedule::Constant, 1.0), 1.0);
    EXPECT_DOUBLE_EQ(scheduleGain(SteeringSchedule::RampUp, 0.0), 0.0);
    EXPECT_DOUBLE_EQ(scheduleGain(SteeringSchedule::RampUp, 1.0), 1.0);
    EXPECT_DOUBLE_EQ(scheduleGain(SteeringSchedule::RampUp, 0.25), 0.25);
    EXPECT_DOUBLE_EQ(scheduleGain(SteeringSchedule::RampDown, 0.0), 1.0);
    EXPECT_DOUBLE_EQ(scheduleGain(SteeringSchedule::RampDown, 1.0), 0.0);
    EXPECT_DOUBLE_EQ(scheduledAlpha(SteeringSchedule::RampDown, 0.6, 0.5), 0.3);
    // Outside [0, 1] t is clamped.
    EXPECT_DOUBLE_EQ(scheduleGain(SteeringSchedule::RampUp, 1.5), 1.0);
    EXPECT_DOUBLE_EQ(scheduleGain(SteeringSchedule::RampUp, -1.0), 0.0);
}

TEST(SteeringSchedule, RampWindow) {
    // Ramp only between 40 % and 60 % of the clip; held outside.
    EXPECT_DOUBLE_EQ(scheduleGain(SteeringSchedule::RampUp, 0.2, 0.4, 0.6), 0.0);
    EXPECT_DOUBLE_EQ(scheduleGain(SteeringSchedule::RampUp, 0.5, 0.4, 0.6), 0.5);
    EXPECT_DOUBLE_EQ(scheduleGain(SteeringSchedule::RampUp, 0.9, 0.4, 0.6), 1.0);
    EXPECT_THROW(scheduleGain(SteeringSchedule::RampUp, 0.5, 0.6, 0.4), std::invalid_argument);
    EXPECT_THROW(scheduleGain(SteeringSchedule::RampUp, 0.5, -0.1, 0.4), std::invalid_argument);
}

TEST(SteeringSchedule, CrossFade) {
    CrossFade f;
    f.alphaFrom = 0.7;
    f.alphaTo = 0.5;
    auto [a0, b0] = f.alphasAt(0.0);
    EXPECT_DOUBLE_EQ(a0, 0.7);
    EXPECT_DOUBLE_EQ(b0, 0.0);
    auto [a1, b1] = f.alphasAt(1.0);
    EXPECT_DOUBLE_EQ(a1, 0.0);
    EXPECT_DOUBLE_EQ(b1, 0.5);
    double lastA = 1, lastB = -1;
    for (int i = 0; i <= 10; ++i) {
        auto [a, b] = f.alphasAt(i / 10.0);
        EXPECT_LE(a, lastA);
        EXPECT_GE(b, lastB);
        lastA = a;
        lastB = b;
    }
    CrossFade equal{0.5, 0.5, 0.25, 0.75};
    for (double t : {0.0, 0.3, 0.5, 0.8, 1.0}) {
        auto [a, b] = equal.alphasAt(t);
        EXPECT_NEAR(a + b, 0.5, 1e-15);
    }
    EXPECT_DOUBLE_EQ(equal.alphasAt(0.2).second, 0.0);
}

TEST(SteeringSchedule, ClipPositionAndNames) {
    EXPECT_DOUBLE_EQ(clipPosition(0, 503), 0.0);
    EXPECT_DOUBLE_EQ(clipPosition(502, 503), 1.0);
    EXPECT_DOUBLE_EQ(clipPosition(1, 3), 0.5);
    EXPECT_DOUBLE_EQ(clipPosition(0, 1), 0.0);
    for (auto s :
         {SteeringSchedule::Constant, SteeringSchedule::RampUp, SteeringSchedule::RampDown})
        EXPECT_EQ(steeringScheduleFromName(steeringScheduleName(s)), s);
    EXPECT_THROW(steeringScheduleFromName("sine"), std::invalid_argument);
}
