// Emotion metrics against values computed by hand, and their edge cases.
#include "core/emotion/EmotionMetrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

using namespace moodsteer;

TEST(EmotionMetricsTest, HandComputedValues) {
    // t = 1 2 3 4, p = 2 2 4 5: mean 2.5 / 3.25, var 1.25 / 1.6875, cov 1.375 (divisor n).
    const std::vector<double> t{1, 2, 3, 4}, p{2, 2, 4, 5};
    const auto m = computeDimensionMetrics(t, p);
    EXPECT_NEAR(m.ccc, 2.75 / 3.5, 1e-12);                       // 0.785714
    EXPECT_NEAR(m.pcc, 1.375 / std::sqrt(1.25 * 1.6875), 1e-12); // 0.946729
    EXPECT_NEAR(m.rmse, std::sqrt(0.75), 1e-12);                 // errors 1 0 1 1
    EXPECT_NEAR(m.errorMean, 0.75, 1e-12);
    EXPECT_NEAR(m.errorSigma, std::sqrt(0.1875), 1e-12);
    EXPECT_EQ(m.n, 4u);
    EXPECT_NEAR(concordanceCorrelation(t, p), m.ccc, 1e-15);
    EXPECT_NEAR(pearsonCorrelation(t, p), m.pcc, 1e-15);
    EXPECT_NEAR(rootMeanSquareError(t, p), m.rmse, 1e-15);
}

TEST(EmotionMetricsTest, PerfectAndAntiCorrelated) {
    const std::vector<double> t{1, 5, 9};
    const std::vector<double> same{1, 5, 9}, flipped{9, 5, 1}, shifted{2, 6, 10};
    EXPECT_DOUBLE_EQ(concordanceCorrelation(t, same), 1.0);
    EXPECT_DOUBLE_EQ(pearsonCorrelation(t, flipped), -1.0);
    EXPECT_DOUBLE_EQ(concordanceCorrelation(t, flipped), -1.0);
    // A shift keeps PCC at 1 but CCC penalises it: (2 * 32/3) / (2 * 32/3 + 1).
    EXPECT_DOUBLE_EQ(pearsonCorrelation(t, shifted), 1.0);
    EXPECT_NEAR(concordanceCorrelation(t, shifted), (64.0 / 3) / (64.0 / 3 + 1), 1e-12);
}

TEST(EmotionMetricsTest, ConstantInputIsDefinedNotNaN) {
    const std::vector<double> t{1, 2, 3}, c{5, 5, 5}, c2{4, 4, 4};
    auto m = computeDimensionMetrics(t, c);
    EXPECT_EQ(m.pcc, 0.0);
    EXPECT_EQ(m.ccc, 0.0); // cov = 0
    EXPECT_FALSE(std::isnan(m.rmse));
    m = computeDimensionMetrics(c, c2);
    EXPECT_EQ(m.pcc, 0.0);
    EXPECT_EQ(m.ccc, 0.0); // denominator = (5 - 4)^2, numerator 0
    EXPECT_DOUBLE_EQ(m.rmse, 1.0);
    EXPECT_DOUBLE_EQ(m.errorSigma, 0.0);
    m = computeDimensionMetrics(c, c);
    EXPECT_EQ(m.ccc, 1.0); // identical series: the one 0/0 case, defined as agreement
    EXPECT_EQ(m.pcc, 0.0);
}

TEST(EmotionMetricsTest, BadInputThrowsClearly) {
    const std::vector<double> one{3}, two{1, 2}, three{1, 2, 3};
    EXPECT_THROW(computeDimensionMetrics(one, one), std::invalid_argument);
    EXPECT_THROW(computeDimensionMetrics(two, three), std::invalid_argument);
    const std::vector<double> nan{1, std::numeric_limits<double>::quiet_NaN()};
    EXPECT_THROW(computeDimensionMetrics(two, nan), std::invalid_argument);
    try {
        computeEmotionMetrics({{1, 2}}, {{1, 2}});
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("valence"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("at least 2"), std::string::npos) << e.what();
    }
}

TEST(EmotionMetricsTest, PerDimension) {
    const std::vector<VaPoint> t{{1, 9}, {5, 5}, {9, 1}}, p{{1, 1}, {5, 5}, {9, 9}};
    const auto m = computeEmotionMetrics(t, p);
    EXPECT_DOUBLE_EQ(m.valence.ccc, 1.0);
    EXPECT_DOUBLE_EQ(m.arousal.ccc, -1.0);
    EXPECT_NEAR(m.arousal.rmse, std::sqrt(128.0 / 3), 1e-12);
}
