#include "engine/DelayPattern.h"
#include "engine/Sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

using namespace moodsteer;

TEST(DelayPattern, BuildsTheReferenceLayoutAndReverts) {
    // K=4, 3 frames, pad 9: the layout from the parity README.
    CodeGrid codes(4, 3);
    for (int k = 0; k < 4; ++k)
        for (int t = 0; t < 3; ++t)
            codes.at(k, t) = 10 * k + t;
    DelayPattern p(4, 3, 99);
    EXPECT_EQ(7, p.length());
    EXPECT_EQ(6, p.steps());
    const auto d = p.build(codes);
    const std::vector<std::int64_t> expected = {99, 0,  1,  2,  99, 99, 99, //
                                                99, 99, 10, 11, 12, 99, 99, //
                                                99, 99, 99, 20, 21, 22, 99, //
                                                99, 99, 99, 99, 30, 31, 32};
    EXPECT_EQ(expected, d);
    const auto back = p.revert(d);
    EXPECT_EQ(codes.data, back.data);
    EXPECT_EQ(0, p.completeFrames(3));
    EXPECT_EQ(1, p.completeFrames(4));
    EXPECT_EQ(3, p.completeFrames(6));
}

TEST(DelayPattern, RevertRejectsPadsInsideTheClip) {
    DelayPattern p(2, 2, 5);
    std::vector<std::int64_t> d = {5, 0, 1, 5, 5, 5, 5, 5}; // codebook 1 frame 0 missing
    EXPECT_THROW(p.revert(d), CodecError);
    EXPECT_THROW(p.revert({1, 2, 3}), CodecError);
}

TEST(Sampler, GreedyTakesTheArgmax) {
    Sampler s({true, 1.0, 0, 0.0}, 1);
    const float logits[] = {0.1f, 2.0f, -1.0f, 1.99f};
    EXPECT_EQ(1, s.sample(logits, 4));
}

TEST(Sampler, SameSeedSameDrawsAndTopKRestricts) {
    std::vector<float> logits(64);
    for (int i = 0; i < 64; ++i)
        logits[i] = std::sin(i * 1.7f);
    Sampler a({false, 1.0, 5, 0.0}, 42), b({false, 1.0, 5, 0.0}, 42), c({false, 1.0, 5, 0.0}, 43);
    std::vector<int> top5;
    {
        std::vector<int> idx(64);
        for (int i = 0; i < 64; ++i)
            idx[i] = i;
        std::sort(idx.begin(), idx.end(), [&](int x, int y) { return logits[x] > logits[y]; });
        top5.assign(idx.begin(), idx.begin() + 5);
    }
    bool differs = false;
    for (int i = 0; i < 200; ++i) {
        auto x = a.sample(logits.data(), 64);
        EXPECT_EQ(x, b.sample(logits.data(), 64));
        differs |= x != c.sample(logits.data(), 64);
        EXPECT_NE(top5.end(), std::find(top5.begin(), top5.end(), x));
    }
    EXPECT_TRUE(differs);
}

TEST(Sampler, FrequenciesFollowTheSoftmaxAndTopP) {
    const float logits[] = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
    Sampler s({false, 1.0, 0, 0.0}, 7);
    std::map<std::int64_t, int> counts;
    const int n = 20000;
    for (int i = 0; i < n; ++i)
        counts[s.sample(logits, 4)]++;
    EXPECT_NEAR(0.5, counts[0] / double(n), 0.02);
    EXPECT_NEAR(0.3, counts[1] / double(n), 0.02);
    EXPECT_NEAR(0.05, counts[3] / double(n), 0.01);
    // top_p 0.7: keeps {0.5, 0.3} (the smallest prefix reaching 0.7), renormalised.
    Sampler p({false, 1.0, 0, 0.7}, 7);
    counts.clear();
    for (int i = 0; i < n; ++i)
        counts[p.sample(logits, 4)]++;
    EXPECT_EQ(0, counts[2] + counts[3]);
    EXPECT_NEAR(0.625, counts[0] / double(n), 0.02);
    EXPECT_THROW(Sampler({false, 0.0, 0, 0.0}, 1), std::invalid_argument);
}
