#include "variations/AttentionCurveMaker.h"

#include "core/emotion/DefaultEmotionHead.h"
#include "core/synth/SynthCodec.h"
#include "variations/VariationFields.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace moodsteer::variations {

namespace {

constexpr int kFramesPerLatent = 4;
constexpr double kWindowSeconds = 5.0;
constexpr double kHopSeconds = 1.0;

/// Linear interpolation of values at increasing `x` (held flat beyond the ends).
double interpolate(const std::vector<double>& x, const std::vector<double>& y, double at) {
    if (x.empty()) return 5.0;
    if (at <= x.front()) return y.front();
    if (at >= x.back()) return y.back();
    const auto it = std::upper_bound(x.begin(), x.end(), at);
    const auto i = static_cast<std::size_t>(it - x.begin());
    const double w = (at - x[i - 1]) / (x[i] - x[i - 1]);
    return y[i - 1] * (1 - w) + y[i] * w;
}

} // namespace

AttentionCurveMaker::AttentionCurveMaker(const std::string& headPath) {
    const auto path = headPath.empty() ? defaultEmotionHeadPath() : headPath;
    try {
        predictor_ = std::make_unique<EmotionPredictor>(EmotionPredictor::load(path));
    } catch (const std::exception& e) {
        throw std::runtime_error("the attention curve needs the emotion head '" + path +
                                 "': " + e.what());
    }
    if (predictor_->info().encoder != "dsp")
        throw std::runtime_error("the attention curve needs a dsp emotion head; '" + path +
                                 "' is for " + predictor_->info().encoder);
}

ClipPrediction AttentionCurveMaker::predict(const CodeGrid& codes) const {
    SynthCodec codec;
    return predictor_->predict(codec.decode(codes));
}

AttentionCurve AttentionCurveMaker::curve(const CodeGrid& codes) const {
    SynthCodec codec;
    const auto audio = codec.decode(codes);
    const int latentFrames = (codes.frames + kFramesPerLatent - 1) / kFramesPerLatent;
    const double latentSeconds = kFramesPerLatent / 25.0;
    AttentionCurve c;
    c.framesPerSecond = 1.0 / latentSeconds;

    std::vector<double> centres, arousal, valence;
    if (!isSilent(audio)) {
        const auto pooled = poolWindows(predictor_->encoder(), audio, kWindowSeconds, kHopSeconds);
        const auto p = predictor_->predict(pooled);
        for (const auto& w : p.windows) {
            centres.push_back(0.5 * (w.startSeconds + w.endSeconds));
            arousal.push_back(w.arousal);
            valence.push_back(w.valence);
        }
    }
    const auto onsets = onsetsPerFrame(codes);
    for (int i = 0; i < latentFrames; ++i) {
        const double centre = (i + 0.5) * latentSeconds;
        c.arousal.push_back(static_cast<float>(interpolate(centres, arousal, centre)));
        c.valence.push_back(static_cast<float>(interpolate(centres, valence, centre)));
        // Onsets in the 1 s (25 frames) around the latent frame's centre, per second.
        const int mid = i * kFramesPerLatent + kFramesPerLatent / 2;
        const int lo = std::max(0, mid - 12), hi = std::min(codes.frames, mid + 13);
        int n = 0;
        for (int t = lo; t < hi; ++t)
            n += onsets[static_cast<std::size_t>(t)];
        c.onsetDensity.push_back(hi > lo ? n * 25.0f / static_cast<float>(hi - lo) : 0.f);
        const std::size_t s0 = static_cast<std::size_t>(i) * kFramesPerLatent * 1280;
        const std::size_t s1 = std::min(audio.samples.size(), s0 + kFramesPerLatent * 1280);
        double energy = 0;
        for (std::size_t s = s0; s < s1; ++s)
            energy += double(audio.samples[s]) * audio.samples[s];
        const double rms = s1 > s0 ? std::sqrt(energy / double(s1 - s0)) : 0.0;
        c.loudnessDb.push_back(static_cast<float>(std::max(-80.0, 20 * std::log10(rms + 1e-12))));
    }
    return c;
}

std::vector<float> AttentionCurveMaker::normalised(const AttentionCurve& curve, double arousalShift,
                                                   int channels, double valenceShift,
                                                   CurveCoupling coupling) {
    if (channels != kCurveChannels && channels != kArousalCurveChannels)
        throw std::invalid_argument("an attention curve has 3 or 4 channels, not " +
                                    std::to_string(channels));
    if (channels < kCurveChannels && valenceShift != 0)
        throw std::invalid_argument("this curve has no valence channel to shift");
    const std::size_t L = curve.arousal.size();
    std::vector<float> out(static_cast<std::size_t>(channels) * L);
    const double da = arousalShift / 2.0; // the shift in normalised units
    for (std::size_t i = 0; i < L; ++i) {
        out[i] = static_cast<float>((curve.arousal[i] + arousalShift - 5.0) / 2.0);
        out[L + i] = static_cast<float>(std::log1p(curve.onsetDensity[i]) - 1.5 +
                                        coupling.onsetDensity * da);
        out[2 * L + i] =
            static_cast<float>((curve.loudnessDb[i] + 30.0) / 10.0 + coupling.loudness * da);
        if (channels == kCurveChannels)
            out[3 * L + i] = static_cast<float>((curve.valence[i] + valenceShift - 5.0) / 2.0);
    }
    return out;
}

std::vector<float> AttentionCurveMaker::normalisedFrames(const AttentionCurve& curve, int frames,
                                                         double arousalShift, int channels,
                                                         double valenceShift,
                                                         CurveCoupling coupling) {
    const auto n = normalised(curve, arousalShift, channels, valenceShift, coupling);
    const int have = static_cast<int>(curve.arousal.size());
    if (have < 1 || frames < 0) throw std::invalid_argument("normalisedFrames: an empty curve");
    std::vector<float> out(static_cast<std::size_t>(channels) * frames);
    for (int ch = 0; ch < channels; ++ch)
        for (int l = 0; l < frames; ++l)
            out[static_cast<std::size_t>(ch * frames + l)] =
                n[static_cast<std::size_t>(ch * have + std::min(l, have - 1))];
    return out;
}

CurveCoupling AttentionCurveMaker::fitCoupling(std::span<const float> curves, int n, int channels,
                                               int l) {
    if (channels < kArousalCurveChannels || n < 0 || l < 0 ||
        curves.size() != static_cast<std::size_t>(n) * channels * l)
        throw std::invalid_argument("fitCoupling: curves of the wrong size");
    // Slope of channel `ch` on channel 0 (arousal) over every frame of every curve.
    auto slope = [&](int ch) {
        double sx = 0, sy = 0, sxx = 0, sxy = 0, count = 0;
        for (int i = 0; i < n; ++i)
            for (int t = 0; t < l; ++t) {
                const std::size_t row = static_cast<std::size_t>(i) * channels * l;
                const double x = curves[row + static_cast<std::size_t>(t)];
                const double y = curves[row + static_cast<std::size_t>(ch) * l + t];
                sx += x, sy += y, sxx += x * x, sxy += x * y, count += 1;
            }
        const double var = count > 0 ? sxx / count - (sx / count) * (sx / count) : 0;
        return var > 1e-9 ? (sxy / count - (sx / count) * (sy / count)) / var : 0.0;
    };
    return {slope(1), slope(2)};
}

} // namespace moodsteer::variations
