// Tempo from an onset envelope (core/audio/TempoEstimate.h) and bench-session's tempo drift
// across seams: click tracks of known tempo, steady noise, octave folding.
#include "core/audio/TempoEstimate.h"
#include "core/audio/SpectralFlux.h"
#include "core/bench/SessionBenchmark.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

using namespace moodsteer;

namespace {

constexpr int kRate = 32000;

/// Decaying 2 kHz clicks at `bpm` from sample `from` to `to` into `out`.
void addClicks(std::vector<float>& out, std::size_t from, std::size_t to, double bpm) {
    const double period = 60.0 / bpm * kRate;
    for (double at = double(from); at < double(to); at += period)
        for (int i = 0; i < 1600 && std::size_t(at) + i < to; ++i)
            out[std::size_t(at) + i] +=
                0.5f * float(std::exp(-i / 200.0) * std::sin(2 * M_PI * 2000.0 * i / kRate));
}

SpectralFlux fluxOf(const std::vector<float>& audio) {
    SpectralFlux f;
    for (std::size_t i = 0; i < audio.size(); i += 4000)
        f.push(audio.data() + i, std::min<std::size_t>(4000, audio.size() - i));
    return f;
}

} // namespace

TEST(TempoEstimate, ClickTracksOfKnownTempo) {
    for (double bpm : {72.0, 100.0, 128.0}) {
        std::vector<float> audio(kRate * 12, 0.f);
        addClicks(audio, 0, audio.size(), bpm);
        const auto f = fluxOf(audio);
        const auto t = estimateTempo(f.flux(), double(kRate) / SpectralFlux::kHop);
        std::printf("clicks at %.0f BPM: estimated %.2f BPM, clarity %.2f\n", bpm, t.bpm,
                    t.clarity);
        EXPECT_TRUE(t.hasPulse());
        EXPECT_LT(tempoChangePercent(bpm, t.bpm), 2.0) << bpm;
    }
}

TEST(TempoEstimate, SteadyNoiseHasNoPulse) {
    std::vector<float> audio(kRate * 8);
    std::uint32_t lcg = 7;
    for (auto& x : audio) {
        lcg = lcg * 1664525u + 1013904223u;
        x = 0.2f * (float(lcg >> 8) / float(1u << 24) - 0.5f);
    }
    const auto t = estimateTempo(fluxOf(audio).flux(), double(kRate) / SpectralFlux::kHop);
    EXPECT_FALSE(t.hasPulse());
    EXPECT_EQ(t.bpm, 120.0);
    EXPECT_FALSE(estimateTempo(std::vector<double>(5, 1.0), 31.25).hasPulse()); // too short
}

TEST(TempoEstimate, ChangeFoldsOctaves) {
    EXPECT_NEAR(tempoChangePercent(100, 110), 10.0, 1e-9);
    EXPECT_NEAR(tempoChangePercent(100, 90), 10.0, 1e-9);
    EXPECT_NEAR(tempoChangePercent(100, 200), 0.0, 1e-9); // the same pulse read an octave up
    EXPECT_NEAR(tempoChangePercent(120, 60), 0.0, 1e-9);
    EXPECT_NEAR(tempoChangePercent(100, 220), 10.0, 1e-9);
    EXPECT_THROW(tempoChangePercent(0, 100), std::invalid_argument);
    EXPECT_THROW(tempoChangePercent(100, std::nan("")), std::invalid_argument);
}

TEST(TempoEstimate, DriftAcrossASeamIsMeasuredAndASteadyTempoIsNot) {
    const std::size_t seam = kRate * 10, n = kRate * 20;
    std::vector<float> steady(n, 0.f), jump(n, 0.f);
    addClicks(steady, 0, n, 100);
    addClicks(jump, 0, seam, 100);
    addClicks(jump, seam, n, 125);
    const auto s = tempoChangesAt(fluxOf(steady), {seam}, kRate);
    const auto j = tempoChangesAt(fluxOf(jump), {seam}, kRate);
    ASSERT_EQ(s.size(), 1u);
    ASSERT_EQ(j.size(), 1u);
    std::printf("tempo change across the seam: steady %.2f %%, 100 -> 125 BPM %.2f %%\n", s[0],
                j[0]);
    EXPECT_GE(s[0], 0.0);
    EXPECT_LT(s[0], 2.0);
    EXPECT_NEAR(j[0], 25.0, 3.0);
    // Too little audio before a point: not measured.
    EXPECT_EQ(tempoChangesAt(fluxOf(steady), {std::size_t(kRate)}, kRate)[0], -1.0);
}
