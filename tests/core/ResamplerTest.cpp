// Windowed-sinc resampler against known signals: sines keep amplitude and frequency,
// content above the new Nyquist is rejected, lengths follow the documented rule.
#include "core/audio/Resampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace moodsteer;

namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<float> sine(int rate, double freq, double amp, double seconds) {
    std::vector<float> x(static_cast<std::size_t>(rate * seconds));
    for (std::size_t i = 0; i < x.size(); ++i)
        x[i] = static_cast<float>(amp * std::sin(2 * kPi * freq * i / rate + 0.3));
    return x;
}

struct Fit {
    double amplitude;
    double residualRms;
};

// Least-squares fit of a sin + b cos at `freq` over the interior (edges excluded: the signal
// is zero outside its ends); the residual is small only if the frequency is preserved.
Fit fitSine(const std::vector<float>& y, int rate, double freq) {
    const std::size_t b = y.size() / 10, e = y.size() - y.size() / 10;
    double ss = 0, cc = 0, sc = 0, ys = 0, yc = 0;
    for (std::size_t i = b; i < e; ++i) {
        const double s = std::sin(2 * kPi * freq * i / rate),
                     c = std::cos(2 * kPi * freq * i / rate);
        ss += s * s, cc += c * c, sc += s * c, ys += y[i] * s, yc += y[i] * c;
    }
    const double det = ss * cc - sc * sc;
    const double a = (ys * cc - yc * sc) / det, bb = (yc * ss - ys * sc) / det;
    double res = 0;
    for (std::size_t i = b; i < e; ++i) {
        const double r = y[i] - a * std::sin(2 * kPi * freq * i / rate) -
                         bb * std::cos(2 * kPi * freq * i / rate);
        res += r * r;
    }
    return {std::hypot(a, bb), std::sqrt(res / (e - b))};
}

double interiorRms(const std::vector<float>& y) {
    const std::size_t b = y.size() / 10, e = y.size() - y.size() / 10;
    double s = 0;
    for (std::size_t i = b; i < e; ++i)
        s += static_cast<double>(y[i]) * y[i];
    return std::sqrt(s / (e - b));
}

struct Case {
    int in, out;
    double freq;
};

class ResamplerSine : public ::testing::TestWithParam<Case> {};

} // namespace

TEST_P(ResamplerSine, KeepsAmplitudeAndFrequency) {
    const auto [in, out, freq] = GetParam();
    Resampler r(in, out);
    const auto y = r.process(sine(in, freq, 0.5, 0.5));
    const auto fit = fitSine(y, out, freq);
    std::printf("  %d -> %d Hz, %.0f Hz sine: amplitude %.6f (0.5), residual rms %.2e\n", in, out,
                freq, fit.amplitude, fit.residualRms);
    EXPECT_NEAR(fit.amplitude, 0.5, 5e-4);
    EXPECT_LT(fit.residualRms, 5e-4);
}

INSTANTIATE_TEST_SUITE_P(ResamplerRates, ResamplerSine,
                         ::testing::Values(Case{32000, 24000, 1000}, Case{44100, 24000, 3000},
                                           Case{48000, 24000, 8000}, Case{16000, 24000, 2000},
                                           Case{24000, 32000, 5000}, Case{44100, 24001, 440}));

TEST(ResamplerTest, RejectsContentAboveTheNewNyquist) {
    // 14 kHz fits 32 kHz but not 24 kHz: without filtering it would alias to 10 kHz.
    Resampler r(32000, 24000);
    const auto y = r.process(sine(32000, 14000, 0.5, 0.5));
    const double rms = interiorRms(y);
    std::printf("  14 kHz at 32 kHz -> 24 kHz: residual rms %.2e (%.1f dB re input)\n", rms,
                20 * std::log10(rms / (0.5 / std::sqrt(2.0))));
    EXPECT_LT(rms, 0.5 / std::sqrt(2.0) * 1e-4); // below -80 dB
    // Same for 44.1 kHz material with a 15 kHz tone.
    Resampler r2(44100, 24000);
    EXPECT_LT(interiorRms(r2.process(sine(44100, 15000, 0.5, 0.5))), 0.5 / std::sqrt(2.0) * 1e-4);
}

TEST(ResamplerTest, LengthsAndEdgeCases) {
    Resampler r(32000, 24000);
    EXPECT_EQ(r.process(std::vector<float>(32000)).size(), 24000u);
    EXPECT_EQ(r.process(std::vector<float>(5)).size(), 4u); // ceil(5 * 3 / 4)
    EXPECT_TRUE(r.process({}).empty());
    AudioBuffer a;
    a.sampleRate = 24000;
    a.samples = {0.1f, 0.2f};
    EXPECT_EQ(Resampler::resample(a, 24000).samples, a.samples);
    a.sampleRate = 48000;
    EXPECT_EQ(Resampler::resample(a, 24000).sampleRate, 24000);
    EXPECT_THROW(Resampler(0, 24000), std::invalid_argument);
    EXPECT_THROW(Resampler(24000, -1), std::invalid_argument);
    // DC is preserved (unit gain at 0 Hz).
    const auto dc = r.process(std::vector<float>(3200, 0.25f));
    EXPECT_NEAR(dc[dc.size() / 2], 0.25f, 1e-4);
}
