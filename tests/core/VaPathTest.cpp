// Emotion paths: keyframes, linear and monotone-cubic interpolation, parsing, iso presets.
#include "core/session/VaPath.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace moodsteer;

TEST(VaPath, LinearInterpolatesAndHoldsTheEnds) {
    VaPath p({{10, 3, 8}, {70, 6, 2}});
    EXPECT_EQ(std::make_pair(3.0, 8.0), p.at(0)); // before the first keyframe: held
    EXPECT_EQ(std::make_pair(3.0, 8.0), p.at(10));
    const auto mid = p.at(40);
    EXPECT_DOUBLE_EQ(4.5, mid.first);
    EXPECT_DOUBLE_EQ(5.0, mid.second);
    EXPECT_EQ(std::make_pair(6.0, 2.0), p.at(70));
    EXPECT_EQ(std::make_pair(6.0, 2.0), p.at(1e6)); // after the last: held
    EXPECT_DOUBLE_EQ(70, p.endTime());
}

TEST(VaPath, OneKeyframeIsAConstant) {
    VaPath p({{0, 7, 2}});
    for (double t : {0.0, 5.0, 600.0})
        EXPECT_EQ(std::make_pair(7.0, 2.0), p.at(t));
}

TEST(VaPath, SmoothPassesThroughKeyframesWithoutOvershoot) {
    // A rise, a plateau and a fall: a plain cubic spline would overshoot 9 and dip below 1.
    VaPath p({{0, 1, 1}, {10, 9, 9}, {20, 9, 9}, {30, 1, 5}}, PathInterpolation::Smooth);
    for (const auto& k : p.keyframes()) {
        EXPECT_NEAR(k.valence, p.at(k.time).first, 1e-12);
        EXPECT_NEAR(k.arousal, p.at(k.time).second, 1e-12);
    }
    double previous = 0;
    for (double t = 0; t <= 10; t += 0.25) { // monotone on the rising segment
        const double v = p.at(t).first;
        EXPECT_GE(v, previous - 1e-12) << "t=" << t;
        previous = v;
    }
    for (double t = 0; t <= 30; t += 0.1) {
        const auto [v, a] = p.at(t);
        EXPECT_GE(v, 1.0);
        EXPECT_LE(v, 9.0);
        EXPECT_GE(a, 1.0);
        EXPECT_LE(a, 9.0);
    }
    for (double t = 10; t <= 20; t += 0.5) // the plateau stays flat
        EXPECT_DOUBLE_EQ(9.0, p.at(t).first);
    // Smooth differs from linear inside a segment (eases in and out).
    VaPath lin({{0, 1, 1}, {10, 9, 9}, {20, 9, 9}, {30, 1, 5}});
    EXPECT_GT(std::fabs(p.at(2).first - lin.at(2).first), 0.05);
}

TEST(VaPath, ParsesTheCommandLineForm) {
    const auto p = VaPath::parse("0:3,3 300:7,6;600:7,6");
    ASSERT_EQ(3u, p.keyframes().size());
    EXPECT_DOUBLE_EQ(300, p.keyframes()[1].time);
    EXPECT_DOUBLE_EQ(7, p.keyframes()[1].valence);
    EXPECT_DOUBLE_EQ(6, p.keyframes()[1].arousal);
    EXPECT_DOUBLE_EQ(5.0, p.at(150).first);
}

TEST(VaPath, RejectsBadKeyframesWithOneLine) {
    for (const char* bad : {"", "0:3", "0:3,x", "x:3,3", "0:3,3 0:4,4", "10:3,3 5:4,4", "0:0.5,3",
                            "0:3,9.5", "-1:3,3", "0:3,3junk", "nan:3,3"}) {
        try {
            VaPath::parse(bad);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const std::invalid_argument& e) {
            EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
            EXPECT_NE(std::string(e.what()).find("emotion path"), std::string::npos) << e.what();
        }
    }
}

TEST(VaPath, IsoPresetsMoveThenHold) {
    const auto [from, to] = VaPath::presetEndpoints("calm");
    EXPECT_DOUBLE_EQ(8, from.second);
    EXPECT_DOUBLE_EQ(2, to.second);
    const auto p = VaPath::iso(from, to, 480, 120, PathInterpolation::Smooth);
    EXPECT_DOUBLE_EQ(8, p.at(0).second);
    EXPECT_DOUBLE_EQ(2, p.at(480).second);
    EXPECT_DOUBLE_EQ(2, p.at(550).second);
    EXPECT_DOUBLE_EQ(600, p.endTime());
    double previous = 9;
    for (double t = 0; t <= 600; t += 10) { // calming: arousal never rises
        EXPECT_LE(p.at(t).second, previous + 1e-12);
        previous = p.at(t).second;
    }
    EXPECT_LT(VaPath::presetEndpoints("activate").first.second,
              VaPath::presetEndpoints("activate").second.second);
    EXPECT_LT(VaPath::presetEndpoints("lift").first.first,
              VaPath::presetEndpoints("lift").second.first);
    EXPECT_THROW(VaPath::presetEndpoints("sleep"), std::invalid_argument);
    EXPECT_THROW(VaPath::iso(from, to, 0, 10), std::invalid_argument);
}
