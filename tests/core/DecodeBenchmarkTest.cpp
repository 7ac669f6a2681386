// `moodsteer-cli bench` on the tiny parity architecture: the rounds are recorded and the
// reported figures are their medians (no speed is asserted: benchmarks, not timed tests).
#include "TestPaths.h"
#include "core/bench/Benchmark.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

using namespace moodsteer;

namespace {

/// The parity architecture's decode steps alone (no codec, text encoder or embedded model).
BenchOptions parityDecode(int steps, int rounds, std::vector<std::string> precisions) {
    BenchOptions o;
    o.configPath = test::parityDir() + "/config.json";
    o.steps = steps;
    o.rounds = rounds;
    o.precisions = std::move(precisions);
    o.codec = false;
    o.embedded = false;
    o.textEncoder = false;
    o.threads = 1;
    o.positions = {};
    return o;
}

} // namespace

TEST(DecodeBenchmark, RoundsPairEachStepTimeWithItsOwnBandwidth) {
    MOODSTEER_REQUIRE_PARITY();
    BenchOptions o = parityDecode(8, 3, {"f32", "int8"});
    o.textEncoder = true;
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

// int4 is benched like the others; one reduced precision alone is built without float32 masters,
// and the memory estimate (which refuses a run that would not fit) shrinks with the bytes.
TEST(DecodeBenchmark, Int4IsBenchedAndBuiltDirectlyAlone) {
    MOODSTEER_REQUIRE_PARITY();
    EXPECT_TRUE(benchBuildsDirectly({"int4"}));
    EXPECT_TRUE(benchBuildsDirectly({"int8"}));
    EXPECT_FALSE(benchBuildsDirectly({"f32"}));
    EXPECT_FALSE(benchBuildsDirectly({"int8", "int4"}));
    EXPECT_FALSE(benchBuildsDirectly({"fp8"}));
    const std::string small = test::parityDir() + "/musicgen-small-config.json";
    const double f32 = benchMemoryEstimateMB(small, {"f32"}),
                 int8 = benchMemoryEstimateMB(small, {"int8"}),
                 int4 = benchMemoryEstimateMB(small, {"int4"});
    EXPECT_LT(int4, int8);
    EXPECT_LT(int8, f32);
    const auto rep = runBenchmark(parityDecode(8, 1, {"int4"}));
    ASSERT_EQ(1u, rep.results.size());
    EXPECT_EQ("int4", rep.results[0].precision);
    EXPECT_GT(rep.results[0].msPerStep, 0.0);
    EXPECT_GT(rep.results[0].weightBytesPerStep, 0.0);
}

// The long-context and takes tables: one row per (precision, cache, position) and per
// (precision, takes), each step over a floor that counts the KV cache it reads.
TEST(DecodeBenchmark, LongContextAndTakesCountTheCacheInTheFloor) {
    MOODSTEER_REQUIRE_PARITY();
    BenchOptions o = parityDecode(8, 1, {"int8"});
    o.positions = {0, 100};
    o.kvCaches = {"bf16", "int8"};
    o.takes = {1, 2};
    const auto rep = runBenchmark(o);
    ASSERT_EQ(4u, rep.positions.size());
    for (const auto& r : rep.positions) {
        EXPECT_EQ("int8", r.precision);
        EXPECT_GT(r.msPerStep, 0.0);
        EXPECT_GT(r.kvBytesPerStep, 0.0);
        EXPECT_GT(r.floorMs, 0.0);
        EXPECT_NEAR(r.ratioToFloor, r.msPerStep / r.floorMs, 1e-9 * r.ratioToFloor);
    }
    // More cached positions read more bytes; an int8 cache reads fewer than a bf16 one (head
    // size 8 here: 8 + 4 bytes against 16 per key or value row).
    EXPECT_EQ("bf16", rep.positions[0].kvCache);
    EXPECT_EQ(100, rep.positions[1].position);
    EXPECT_GT(rep.positions[1].kvBytesPerStep, 10 * rep.positions[0].kvBytesPerStep);
    EXPECT_LT(rep.positions[3].kvBytesPerStep, rep.positions[1].kvBytesPerStep);
    ASSERT_EQ(2u, rep.takes.size());
    EXPECT_EQ(1.0, rep.takes[0].relativeToOne);
    EXPECT_GT(rep.takes[1].kvBytesPerStep, 1.9 * rep.takes[0].kvBytesPerStep);
    EXPECT_EQ(rep.takes[0].weightBytesPerStep, rep.takes[1].weightBytesPerStep);
    for (const auto& t : rep.takes) {
        EXPECT_GT(t.audioPerSecond, 0.0);
        EXPECT_GT(t.ratioToFloor, 0.0);
    }
    const auto j = nlohmann::json::parse(rep.toJson());
    EXPECT_EQ(4u, j["long_context"].size());
    EXPECT_EQ(2u, j["takes"].size());
    EXPECT_NE(rep.toTable().find("long context"), std::string::npos);
    EXPECT_NE(rep.toTable().find("takes"), std::string::npos);

    o.positions = {2047}; // beyond the model's 2048 positions once the steps are added
    EXPECT_THROW(runBenchmark(o), std::invalid_argument);
    o.positions = {0};
    o.kvCaches = {"fp8"};
    EXPECT_THROW(runBenchmark(o), std::invalid_argument);
}

// With the decode helper (the default on two or more cores, not with --threads 1), a position
// the helper takes part at is timed both ways in each round, between the same probes: two rows
// with the same bytes, threads 1 then 2, the second's floor from probes on two threads. With int8
// weights it shares the GEMVs at every position; with float32 weights only the attention from 256
// positions.
TEST(DecodeBenchmark, LongContextPairsTheDecodeHelperWithoutIt) {
    MOODSTEER_REQUIRE_PARITY();
    BenchOptions o = parityDecode(5, 2, {"int8"});
    o.threads = 0; // the default: the helper where there are two cores
    o.positions = {100, 300};
    o.kvCaches = {"int8"};
    const auto rep = runBenchmark(o);
    if (!rep.decodeHelper) GTEST_SKIP() << "one core: no decode helper";
    ASSERT_EQ(4u, rep.positions.size());
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(i < 2 ? 100 : 300, rep.positions[i].position);
        EXPECT_EQ(i % 2 == 0 ? 1 : 2, rep.positions[i].stepThreads);
        EXPECT_GT(rep.positions[i].floorMs, 0.0);
    }
    EXPECT_EQ(rep.positions[2].kvBytesPerStep, rep.positions[3].kvBytesPerStep);
    // The main table's int8 steps share the GEMVs: their floor is from the two-thread probes.
    ASSERT_EQ(1u, rep.results.size());
    EXPECT_EQ(2, rep.results[0].readThreads);
    EXPECT_GT(rep.helperBandwidthGBs, 0.0);
    EXPECT_EQ(rep.helperProbes.size(), 2u * 2u + 2u * 2u + 2u * 2u); // rounds x 2, 2 positions
    const auto j = nlohmann::json::parse(rep.toJson());
    EXPECT_TRUE(j["decode_helper"].get<bool>());
    EXPECT_EQ(2, j["long_context"][3]["step_threads"].get<int>());
    EXPECT_EQ(2, j["decode"][0]["read_threads"].get<int>());
    EXPECT_GT(j["memory_bandwidth_2_threads_gb_s"].get<double>(), 0.0);
    EXPECT_NE(rep.toTable().find("decode helper"), std::string::npos);
    EXPECT_NE(rep.toTable().find("on 2 threads"), std::string::npos);

    BenchOptions b = parityDecode(5, 2, {"f32"}); // the helper for the attention only
    b.threads = 0;
    b.positions = {100, 300};
    b.kvCaches = {"f32"};
    const auto bf = runBenchmark(b);
    ASSERT_EQ(3u, bf.positions.size());
    EXPECT_EQ(1, bf.positions[0].stepThreads); // 100 positions: below the helper's start
    EXPECT_EQ(1, bf.positions[1].stepThreads);
    EXPECT_EQ(2, bf.positions[2].stepThreads);
    EXPECT_EQ(1, bf.results[0].readThreads);

    o.threads = 1; // one thread asked for: no helper, one row per position
    const auto one = runBenchmark(o);
    EXPECT_FALSE(one.decodeHelper);
    EXPECT_EQ(2u, one.positions.size());
}
