// VariationMetrics and the SynthScore notes it measures, on hand-written token grids whose
// notes, Gaussian fits and overlaps are worked out by hand (values in the comments).
#include "core/variations/VariationMetrics.h"
#include "core/synth/SynthScore.h"
#include "synth/SynthTokens.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace moodsteer;
using namespace moodsteer::synth;

namespace {

// Tempo index 2: 4 frames per sixteenth, 30 ticks per frame. Classical piano, no layer.
CodeGrid emptyGrid(int frames) {
    CodeGrid g(kNumStreams, frames);
    TextureToken tex;
    tex.tempo = 2;
    for (int t = 0; t < frames; ++t)
        g.at(kTextureStream, t) = encodeTexture(tex);
    return g;
}

void melody(CodeGrid& g, int frame, int pitch) {
    MelodyToken m;
    m.kind = MelodyToken::kOnset, m.pitch = pitch, m.velocity = 3;
    g.at(kMelodyStream, frame) = encodeMelody(m);
}

void release(CodeGrid& g, int frame) {
    g.at(kMelodyStream, frame) = 1;
}

void kick(CodeGrid& g, int frame) {
    g.at(kDrumStream, frame) = encodeDrums({1u << kKick, 4});
}

// Melody 60 for one sixteenth (frames 0-3), then `second` for two (frames 4-11); kicks on
// frames 0 and 8. Onsets at ticks 0, 120, 240.
CodeGrid twoNotes(int second) {
    CodeGrid g = emptyGrid(16);
    melody(g, 0, 60);
    melody(g, 4, second);
    release(g, 12);
    kick(g, 0);
    kick(g, 8);
    return g;
}

} // namespace

TEST(SynthScoreTest, ChordsBassPadMelodyAndDrumsFromTokens) {
    CodeGrid g = emptyGrid(8);
    TextureToken tex;
    tex.tempo = 2, tex.layer = 1, tex.loudness = 4;
    for (int t = 0; t < 8; ++t)
        g.at(kTextureStream, t) = encodeTexture(tex);
    // C major struck with the root in the bass on frame 0; muted and bass released on frame 6.
    g.at(kHarmonyStream, 0) = encodeHarmony({0 * kNumQualities + kMajor, kCompStrike, kBassRoot});
    for (int t = 1; t < 6; ++t)
        g.at(kHarmonyStream, t) = encodeHarmony({kMajor, kCompHold, kBassHold});
    g.at(kHarmonyStream, 6) = encodeHarmony({kMajor, kCompMute, kBassRelease});
    g.at(kHarmonyStream, 7) = encodeHarmony({kMajor, kCompHold, kBassHold});
    const SynthScore s = SynthScore::fromCodes(g);
    ASSERT_EQ(s.tempos.size(), 1u);
    EXPECT_EQ(s.tempos[0].tempoIndex, 2);
    ASSERT_EQ(s.bands.size(), 1u);
    EXPECT_EQ(s.bands[0].compProgram, 0); // classical piano
    EXPECT_EQ(s.endTick, 8 * 30);
    // Classical piano comp window F3-E4 (53..64): C 60, E 64, G 55. Pad window D4-C#5
    // (62..73): C 72, E 64, G 67. Bass root of C in E1..D#2: C2 = 36.
    std::vector<std::tuple<SynthPart, int, int, int>> got; // part, key, start, end frame
    for (const auto& n : s.notes)
        got.emplace_back(n.part, n.key, n.startFrame, n.endFrame);
    const std::vector<std::tuple<SynthPart, int, int, int>> want = {
        {SynthPart::Chords, 60, 0, 6}, {SynthPart::Chords, 64, 0, 6}, {SynthPart::Chords, 55, 0, 6},
        {SynthPart::Bass, 36, 0, 6},   {SynthPart::Pad, 72, 0, 8},    {SynthPart::Pad, 64, 0, 8},
        {SynthPart::Pad, 67, 0, 8}};
    EXPECT_EQ(got, want);
    EXPECT_EQ(s.notes[0].velocity, 80); // 40 + 10 * loudness
    EXPECT_EQ(s.notes[4].velocity, 65); // the pad 15 below
    EXPECT_EQ(s.notes[0].endTick, 180);
}

TEST(VariationMetricsTest, FeaturesInSemitonesAndSixteenths) {
    const auto f = VariationMetrics::features(twoNotes(64));
    EXPECT_EQ(f.pitches, (std::vector<double>{60, 64}));
    EXPECT_EQ(f.durations, (std::vector<double>{1, 2}));
    EXPECT_EQ(f.interOnsets, (std::vector<double>{1, 1})); // ticks 0, 120, 240
    // Only notes starting in frames [4, 16): the second melody note and the kick at 8.
    const auto gap = VariationMetrics::features(twoNotes(64), 4, 16);
    EXPECT_EQ(gap.pitches, (std::vector<double>{64}));
    EXPECT_EQ(gap.interOnsets, (std::vector<double>{1}));
}

TEST(VariationMetricsTest, GaussianFitAndOverlapAreaMatchHandValues) {
    const auto g = VariationMetrics::fit({60, 64});
    EXPECT_DOUBLE_EQ(g.mean, 62);
    EXPECT_DOUBLE_EQ(g.stddev, 2);
    EXPECT_DOUBLE_EQ(VariationMetrics::fit({1, 1, 1}).stddev, VariationMetrics::kMinStddev);
    // Same width, means 2 sigma apart: 2 Phi(-1) = 0.3173105.
    EXPECT_NEAR(VariationMetrics::overlapArea(GaussianFit{0, 1}, GaussianFit{2, 1}), 0.3173105,
                1e-6);
    // Same mean, sigma 1 vs 2: crossings at +-sqrt(8 ln 2 / 3); numeric integral 0.6773254.
    EXPECT_NEAR(VariationMetrics::overlapArea(GaussianFit{0, 1}, GaussianFit{0, 2}), 0.6773254,
                1e-6);
    // N(60, 2) vs N(64, 3): numeric integral of min(pdf) 0.4098863; symmetric.
    EXPECT_NEAR(VariationMetrics::overlapArea(GaussianFit{60, 2}, GaussianFit{64, 3}), 0.4098863,
                1e-6);
    EXPECT_NEAR(VariationMetrics::overlapArea(GaussianFit{64, 3}, GaussianFit{60, 2}), 0.4098863,
                1e-6);
    EXPECT_DOUBLE_EQ(VariationMetrics::overlapArea(GaussianFit{5, 1}, GaussianFit{5, 1}), 1.0);
    EXPECT_LT(VariationMetrics::overlapArea(GaussianFit{0, 1}, GaussianFit{40, 1}), 1e-12);
    EXPECT_DOUBLE_EQ(VariationMetrics::fittedOverlapArea(std::vector<double>{}, {}), 1.0);
    EXPECT_DOUBLE_EQ(VariationMetrics::fittedOverlapArea(std::vector<double>{}, {1.0}), 0.0);
}

TEST(VariationMetricsTest, SimilarityNoveltyAndDiversity) {
    const CodeGrid a = twoNotes(64), b = twoNotes(65), c = emptyGrid(16);
    const auto same = VariationMetrics::similarity(a, a);
    EXPECT_DOUBLE_EQ(same.mean(), 1.0);
    // Pitches {60, 64} vs {60, 65}: N(62, 2) vs N(62.5, 2.5); durations and rhythm equal.
    const auto s = VariationMetrics::similarity(a, b);
    EXPECT_NEAR(s.pitch, VariationMetrics::overlapArea(GaussianFit{62, 2}, GaussianFit{62.5, 2.5}),
                1e-12);
    EXPECT_LT(s.pitch, 1.0);
    EXPECT_DOUBLE_EQ(s.duration, 1.0);
    EXPECT_DOUBLE_EQ(s.interOnset, 1.0);
    // Pitches {60, 64} vs {62, 66}: same width 2, means 2 apart: erfc(2 / (2 * 2 * sqrt 2)).
    EXPECT_NEAR(
        VariationMetrics::similarity(VariationMetrics::features(a), {{62, 66}, {1, 2}, {1, 1}})
            .pitch,
        std::erfc(2.0 / (4.0 * std::sqrt(2.0))), 1e-12);
    // A silent piece shares nothing.
    EXPECT_DOUBLE_EQ(VariationMetrics::similarity(a, c).mean(), 0.0);

    // Notes of a: melody 60@0, 64@4, kick@0, kick@8. b changes one of four: novelty 1/4.
    EXPECT_DOUBLE_EQ(VariationMetrics::novelty(a, a), 0.0);
    EXPECT_DOUBLE_EQ(VariationMetrics::novelty(a, b), 0.25);
    EXPECT_DOUBLE_EQ(VariationMetrics::novelty(c, a), 1.0);
    EXPECT_DOUBLE_EQ(VariationMetrics::novelty(a, c), 0.0);

    // Pairs (a, a), (a, b), (a, b).
    const auto d = VariationMetrics::diversity({a, a, b});
    EXPECT_NEAR(d.pitch, (1.0 + 2 * s.pitch) / 3.0, 1e-12);
    EXPECT_DOUBLE_EQ(d.duration, 1.0);
    EXPECT_THROW(VariationMetrics::diversity({a}), std::invalid_argument);
}

TEST(VariationMetricsTest, HistogramIntersection) {
    EXPECT_DOUBLE_EQ(VariationMetrics::histogramIntersection({60, 64}, {60, 65}, 1.0), 0.5);
    EXPECT_DOUBLE_EQ(VariationMetrics::histogramIntersection({1, 1.2, 3}, {1.4, 3, 3}, 0.5),
                     2.0 / 3.0); // bins [1, 1.5): 2/3 vs 1/3; [3, 3.5): 1/3 vs 2/3
    const auto h = VariationMetrics::histogramSimilarity(VariationMetrics::features(twoNotes(64)),
                                                         VariationMetrics::features(twoNotes(65)));
    EXPECT_DOUBLE_EQ(h.pitch, 0.5);
    EXPECT_DOUBLE_EQ(h.duration, 1.0);
    EXPECT_THROW(VariationMetrics::histogramIntersection({1}, {1}, 0.0), std::invalid_argument);
}
