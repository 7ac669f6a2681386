// `moodsteer-cli bench` on the tiny parity architecture: the rounds are recorded and the
// reported figures are their medians (no speed is asserted: benchmarks, not timed tests).
#include "TestPaths.h"
#include "core/bench/Benchmark.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

using namespace moodsteer;

TEST(DecodeBenchmark, RoundsPairEachStepTimeWithItsOwnBandwidth) {
    MOODSTEER_REQUIRE_PARITY();
    BenchOptions o;
    o.configPath = test::parityDir() + "/config.json";
    o.steps = 8;
    o.rounds = 3;
    o.precisions = {"f32", "int8"};
    o.codec = false;
    o.embedded = false;
    o.threads = 1;
    const auto rep = runBenchmark(o);
    ASSERT_EQ(2u, rep.results.size());
    EXPECT_GT(rep.bandwidthGBs, 0.0);
    EXPECT_LE(rep.bandwidthMinGBs, rep.bandwidthGBs);
    EXPECT_GE(rep.bandwidthMaxGBs, rep.bandwidthGBs);
    for (const auto& r : rep.results) {
        ASSERT_EQ(3u, r.rounds.size()) << r.precision;
        std::vector<double> ratios;
        for (const auto& br : r.rounds) {
            EXPECT_GT(br.bandwidthGBs, 0.0);
            EXPECT_GT(br.msPerStep, 0.0);
            EXPECT_NEAR(br.floorMs, r.weightBytesPerStep / (br.bandwidthGBs * 1e9) * 1e3,
                        1e-9 * br.floorMs);
            EXPECT_NEAR(br.ratioToFloor, br.msPerStep / br.floorMs, 1e-12 * br.ratioToFloor);
            EXPECT_GT(br.firstFrameMs, 0.0);
            ratios.push_back(br.ratioToFloor);
        }
        std::sort(ratios.begin(), ratios.end());
        EXPECT_EQ(ratios[1], r.ratioToFloor) << "the median of the rounds' own ratios";
        EXPECT_EQ(ratios.front(), r.ratioMin);
        EXPECT_EQ(ratios.back(), r.ratioMax);
        EXPECT_TRUE(std::isfinite(r.stepsPerSecond));
        // Against the run's best probe the ratio can only be stricter than a round's own.
        EXPECT_NEAR(r.ratioToBestFloor,
                    r.msPerStep / (r.weightBytesPerStep / (rep.bandwidthMaxGBs * 1e9) * 1e3),
                    1e-12 * r.ratioToBestFloor);
        for (const auto& br : r.rounds)
            EXPECT_LE(br.bandwidthGBs, rep.bandwidthMaxGBs);
        EXPECT_GT(r.timeToFirstAudioMs, rep.textEncoderMs);
    }
    // int8 streams a quarter of f32's bytes plus a scale and a row sum per row (8 bytes,
    // much for this model's 32-wide rows).
    EXPECT_LT(rep.results[1].weightBytesPerStep, 0.5 * rep.results[0].weightBytesPerStep);
    const auto j = nlohmann::json::parse(rep.toJson());
    EXPECT_EQ(3u, j["decode"][0]["rounds"].size());
    EXPECT_EQ(2u, j["decode"][1]["ratio_to_floor_range"].size());
    EXPECT_NE(rep.toTable().find("step/floor (range)"), std::string::npos);

    o.steps = 3; // fewer than K + 1 steps leaves no step to time
    EXPECT_THROW(runBenchmark(o), std::invalid_argument);
}
