// The measures bench-session reports, on constructed inputs: Spearman's rank correlation,
// the seam score of spectral flux (a click at a seam scores high, steady noise does not),
// and bar repetition within and across windows.
#include "core/bench/SessionBenchmark.h"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <vector>

using namespace moodsteer;

TEST(SessionBenchmark, SpearmanRanksWithTies) {
    const std::vector<double> a{1, 2, 3, 4, 5};
    EXPECT_DOUBLE_EQ(1.0, spearmanCorrelation(a, std::vector<double>{2, 4, 8, 16, 32}));
    EXPECT_DOUBLE_EQ(-1.0, spearmanCorrelation(a, std::vector<double>{5, 4, 3, 2, 1}));
    // Ties share their average rank: ranks of {1, 1, 2} are {1.5, 1.5, 3}.
    EXPECT_NEAR(0.866025,
                spearmanCorrelation(std::vector<double>{1, 2, 3}, std::vector<double>{1, 1, 2}),
                1e-6);
    EXPECT_THROW(spearmanCorrelation(std::vector<double>{1}, std::vector<double>{1}),
                 std::invalid_argument);
}

TEST(SessionBenchmark, SeamScoreSeesAClickAtASeamNotSteadyNoise) {
    const int rate = 32000, n = rate * 6;
    // Steady noise: its flux is about the same in every hop (a pure sine's is rounding noise).
    std::vector<float> tone(n);
    std::uint32_t lcg = 12345;
    for (int i = 0; i < n; ++i) {
        lcg = lcg * 1664525u + 1013904223u;
        tone[i] = 0.2f * (float(lcg >> 8) / float(1u << 24) - 0.5f);
    }
    const std::vector<std::size_t> seams{std::size_t(rate * 2), std::size_t(rate * 4)};
    SpectralFlux steady;
    for (int i = 0; i < n; i += 3200) // fed in chunks, as the stream arrives
        steady.push(tone.data() + i, std::min(3200, n - i));
    EXPECT_EQ(std::size_t((n - SpectralFlux::kFrame) / SpectralFlux::kHop + 1),
              steady.flux().size());
    const auto [steadyMean, steadyMax] = steady.seamScore(seams);
    EXPECT_LT(steadyMax, 1.5);
    std::vector<float> clicked = tone;
    for (std::size_t s : seams) // a hard cut to a different pitch at each seam
        for (int i = 0; i < rate / 2; ++i)
            clicked[s + i] =
                0.3f * float(std::sin(2 * M_PI * 1234.0 * i / rate)) + (i < 8 ? 0.9f : 0);
    SpectralFlux cut;
    cut.push(clicked.data(), clicked.size());
    const auto [cutMean, cutMax] = cut.seamScore(seams);
    EXPECT_GT(cutMean, 2.0); // fails the seam criterion (<= 1.5) clearly
    EXPECT_GE(cutMax, cutMean);
    EXPECT_EQ(0.0, cut.seamScore({}).first);
    // Seam by seam, and at points that are not seams (the middle of each stretch).
    const auto each = cut.seamScores(seams);
    ASSERT_EQ(2u, each.size());
    EXPECT_NEAR(cutMean, (each[0] + each[1]) / 2, 1e-12);
    EXPECT_DOUBLE_EQ(cutMax, std::max(each[0], each[1]));
    const auto middles = cut.scoresAt({std::size_t(rate), std::size_t(rate * 3)}, seams);
    ASSERT_EQ(2u, middles.size());
    for (double m : middles)
        EXPECT_LT(m, 1.5); // steady noise there
}

TEST(SessionBenchmark, ThePromptsGenreIsAWholeWordOfIt) {
    const std::vector<std::string> genres{"classical", "electronic", "jazz", "rock"};
    EXPECT_EQ("jazz", promptGenre("A JAZZ piece, with piano", genres));
    EXPECT_EQ("rock", promptGenre("calm rock/ambient", genres));
    EXPECT_EQ("", promptGenre("ambient piece with piano", genres));
    EXPECT_EQ("", promptGenre("jazzy rocking tune", genres)); // not the words themselves
    EXPECT_EQ("", promptGenre("", genres));
}

TEST(SessionBenchmark, BarRepetitionWithinAndAcrossWindows) {
    // K = 2, bars of 4 frames, windows starting at frames 0 and 16 (4 bars each).
    const int K = 2, frames = 32, bar = 4;
    std::vector<std::int64_t> codes(std::size_t(K) * frames);
    for (int k = 0; k < K; ++k)
        for (int f = 0; f < frames; ++f)
            codes[std::size_t(k) * frames + f] = 100 * k + f; // every bar distinct
    EXPECT_EQ(std::make_pair(0.0, 0.0), barRepetition(codes, K, frames, {0, 16}, bar));
    // Bar 2 repeats bar 0 (same window); bar 5 repeats bar 1 (the earlier window).
    for (int k = 0; k < K; ++k)
        for (int f = 0; f < bar; ++f) {
            codes[std::size_t(k) * frames + 2 * bar + f] = codes[std::size_t(k) * frames + f];
            codes[std::size_t(k) * frames + 5 * bar + f] = codes[std::size_t(k) * frames + bar + f];
        }
    const auto [within, across] = barRepetition(codes, K, frames, {0, 16}, bar);
    EXPECT_DOUBLE_EQ(1.0 / 8, within);
    EXPECT_DOUBLE_EQ(1.0 / 8, across);
}
