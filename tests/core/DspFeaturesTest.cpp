// The embedded DSP feature encoder on synthetic signals whose features are known.
#include "emotion/DspFeatureEncoder.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <random>

using namespace moodsteer;

namespace {

constexpr double kPi = 3.14159265358979323846;
using Enc = DspFeatureEncoder;

AudioBuffer tones(const std::vector<double>& freqs, double amp, double seconds, int rate = 32000) {
    AudioBuffer a;
    a.sampleRate = rate;
    a.samples.resize(static_cast<std::size_t>(seconds * rate));
    for (std::size_t i = 0; i < a.samples.size(); ++i) {
        double s = 0;
        for (double f : freqs)
            s += std::sin(2 * kPi * f * i / rate);
        a.samples[i] = static_cast<float>(amp * s);
    }
    return a;
}

// Decaying 1 kHz clicks every 60/bpm seconds.
AudioBuffer clicks(double bpm, double seconds) {
    AudioBuffer a;
    a.samples.assign(static_cast<std::size_t>(seconds * a.sampleRate), 0.0f);
    const double period = 60.0 / bpm * a.sampleRate;
    for (double start = 0; start < a.samples.size(); start += period)
        for (int i = 0; i < 1600 && start + i < a.samples.size(); ++i)
            a.samples[static_cast<std::size_t>(start) + i] += static_cast<float>(
                0.5 * std::exp(-i / 200.0) * std::sin(2 * kPi * 1000 * i / 32000.0));
    return a;
}

double column(const FrameFeatures& m, int c) {
    double s = 0;
    for (int t = 0; t < m.frames; ++t)
        s += m.at(t, c);
    return s / m.frames;
}

} // namespace

TEST(DspFeaturesTest, ShapeNamesAndDeterminism) {
    Enc enc;
    const auto m = enc.encode(tones({440}, 0.3, 1.0));
    EXPECT_EQ(m.frames, 1 + (32000 - 2048) / 512);
    EXPECT_EQ(m.dims, Enc::kFeatureSize);
    EXPECT_EQ(static_cast<int>(enc.featureNames().size()), enc.featureSize());
    EXPECT_EQ(enc.featureNames()[Enc::kTempo], "tempo_bpm");
    EXPECT_DOUBLE_EQ(enc.frameRate(), 62.5);
    EXPECT_EQ(enc.encode(tones({440}, 0.3, 1.0)).data, m.data);
    for (float v : m.data)
        EXPECT_TRUE(std::isfinite(v));
}

TEST(DspFeaturesTest, LoudnessCentroidAndChromaOfASine) {
    Enc enc;
    const auto m = enc.encode(tones({440}, 0.5, 1.0));
    EXPECT_NEAR(column(m, Enc::kLoudness), 20 * std::log10(0.5 / std::sqrt(2.0)), 0.1);
    EXPECT_NEAR(column(m, Enc::kCentroid), 0.44, 0.05);
    int best = 0;
    for (int c = 1; c < 12; ++c)
        if (column(m, Enc::kChroma + c) > column(m, Enc::kChroma + best)) best = c;
    EXPECT_EQ(best, 9); // A
    EXPECT_GT(column(m, Enc::kChroma + 9), 0.9);
    // Quieter by 20 dB, same spectrum shape.
    const auto q = enc.encode(tones({440}, 0.05, 1.0));
    EXPECT_NEAR(column(m, Enc::kLoudness) - column(q, Enc::kLoudness), 20.0, 0.1);
    EXPECT_NEAR(column(q, Enc::kCentroid), column(m, Enc::kCentroid), 1e-3);
    // Brighter tone, brighter centroid and rolloff.
    const auto b = enc.encode(tones({3000}, 0.5, 1.0));
    EXPECT_GT(column(b, Enc::kCentroid), 2.5);
    EXPECT_GT(column(b, Enc::kRolloff), column(m, Enc::kRolloff));
}

TEST(DspFeaturesTest, ModeMajorVersusMinor) {
    Enc enc;
    auto harmonic = [](std::vector<double> roots) {
        std::vector<double> f;
        for (double r : roots)
            for (int h = 1; h <= 2; ++h) // octaves only: a 3rd harmonic adds B and D
                f.push_back(r * h);
        return f;
    };
    const auto major = enc.encode(tones(harmonic({261.63, 329.63, 392.00}), 0.1, 2.0));
    const auto minor = enc.encode(tones(harmonic({261.63, 311.13, 392.00}), 0.1, 2.0));
    std::printf("  mode: C major %.3f, C minor %.3f; key clarity %.3f / %.3f\n",
                major.at(0, Enc::kMode), minor.at(0, Enc::kMode), major.at(0, Enc::kKeyClarity),
                minor.at(0, Enc::kKeyClarity));
    EXPECT_GT(major.at(0, Enc::kMode), 0.05);
    EXPECT_LT(minor.at(0, Enc::kMode), -0.05);
    EXPECT_GT(major.at(0, Enc::kKeyClarity), 0.5);
}

TEST(DspFeaturesTest, TempoOfClickTracks) {
    Enc enc;
    for (double bpm : {75.0, 100.0, 128.0, 150.0}) {
        const auto m = enc.encode(clicks(bpm, 8.0));
        std::printf("  clicks at %.0f BPM: estimate %.1f BPM, pulse clarity %.2f\n", bpm,
                    m.at(0, Enc::kTempo), m.at(0, Enc::kPulseClarity));
        EXPECT_NEAR(m.at(0, Enc::kTempo), bpm, bpm * 0.03);
        EXPECT_GT(m.at(0, Enc::kPulseClarity), 0.3);
        EXPECT_GT(column(m, Enc::kOnset), 0.0);
    }
    // A steady tone has no pulse.
    const auto steady = enc.encode(tones({440}, 0.3, 8.0));
    EXPECT_LT(steady.at(0, Enc::kPulseClarity), 0.3);
}

TEST(DspFeaturesTest, RoughnessOfBeatingVersusOctave) {
    Enc enc;
    const double rough = column(enc.encode(tones({440, 470}, 0.3, 1.0)), Enc::kRoughness);
    const double smooth = column(enc.encode(tones({440, 880}, 0.3, 1.0)), Enc::kRoughness);
    std::printf("  roughness: 440+470 Hz %.4f, 440+880 Hz %.4f\n", rough, smooth);
    EXPECT_GT(rough, 3 * smooth);
}

TEST(DspFeaturesTest, OtherRatesAreResampled) {
    Enc enc;
    const auto a = enc.encode(tones({1000}, 0.3, 1.0, 32000));
    const auto b = enc.encode(tones({1000}, 0.3, 1.0, 44100));
    EXPECT_EQ(a.frames, b.frames);
    EXPECT_NEAR(column(a, Enc::kLoudness), column(b, Enc::kLoudness), 0.05);
    EXPECT_NEAR(column(a, Enc::kCentroid), column(b, Enc::kCentroid), 0.02);
}

TEST(DspFeaturesTest, BadInputAndSilence) {
    Enc enc;
    AudioBuffer a = tones({440}, 0.3, 0.5);
    a.samples[100] = std::nanf("");
    EXPECT_THROW(enc.encode(a), std::invalid_argument);
    EXPECT_THROW(enc.encode(tones({440}, 0.3, 0.05)), std::invalid_argument);
    AudioBuffer silent;
    silent.samples.assign(32000, 0.0f);
    const auto m = enc.encode(silent);
    for (float v : m.data)
        EXPECT_TRUE(std::isfinite(v));
    EXPECT_EQ(m.at(0, Enc::kLoudness), -100.0f);
}

TEST(DspFeaturesTest, FasterThanRealTime) {
    Enc enc;
    std::mt19937 rng(7);
    std::normal_distribution<float> n(0.0f, 0.1f);
    AudioBuffer a;
    a.samples.resize(32000 * 20);
    for (auto& s : a.samples)
        s = n(rng);
    const auto t0 = std::chrono::steady_clock::now();
    enc.encode(a);
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("  20 s of noise encoded in %.3f s: %.0fx real time\n", sec, 20.0 / sec);
    EXPECT_GT(20.0 / sec, 20.0);
}
