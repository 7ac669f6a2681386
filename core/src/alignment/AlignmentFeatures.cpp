// alignmentWindowFeatures: windows of 10 s at the reference loudness, DSP frames summarised.
#include "core/alignment/AlignmentFeatures.h"

#include "core/emotion/AudioFeatureEncoder.h"
#include "core/emotion/LoudnessMeter.h"
#include "emotion/DspFeatureEncoder.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace moodsteer {
namespace {

const AudioFeatureEncoder& dspEncoder() {
    // One encoder per thread: encode() is not thread-safe for one instance.
    thread_local const auto encoder = makeFeatureEncoder("dsp");
    return *encoder;
}

// Columns up to pulse clarity vary per frame (mean and spread); the later ones are one value
// per encoded buffer, repeated on each frame (mean only).
constexpr int kFrameLevel = DspFeatureEncoder::kPulseClarity + 1;

std::vector<float> summarise(const FrameFeatures& m) {
    std::vector<double> sum(static_cast<std::size_t>(m.dims), 0.0), sq(sum);
    for (int f = 0; f < m.frames; ++f)
        for (int j = 0; j < m.dims; ++j) {
            const double x = m.at(f, j);
            sum[static_cast<std::size_t>(j)] += x;
            sq[static_cast<std::size_t>(j)] += x * x;
        }
    std::vector<float> out;
    out.reserve(static_cast<std::size_t>(m.dims + kFrameLevel));
    for (int j = 0; j < m.dims; ++j)
        out.push_back(static_cast<float>(sum[static_cast<std::size_t>(j)] / m.frames));
    for (int j = 0; j < kFrameLevel; ++j) {
        const double mean = sum[static_cast<std::size_t>(j)] / m.frames;
        out.push_back(static_cast<float>(
            std::sqrt(std::max(0.0, sq[static_cast<std::size_t>(j)] / m.frames - mean * mean))));
    }
    return out;
}

} // namespace

int alignmentFeatureSize() {
    return DspFeatureEncoder::kFeatureSize + kFrameLevel;
}

std::string alignmentFeatureSignature() {
    return dspEncoder().signature() + "|alignment windows 10 s, -23 LUFS, mean+spread v1";
}

std::vector<std::vector<float>> alignmentWindowFeatures(const AudioBuffer& audio) {
    if (audio.sampleRate <= 0 || audio.samples.empty())
        throw std::invalid_argument("audio is empty");
    for (float s : audio.samples)
        if (!std::isfinite(s)) throw std::invalid_argument("audio contains NaN or Inf samples");
    const double minimum = dspEncoder().minimumSeconds();
    if (audio.seconds() < minimum)
        throw std::invalid_argument("audio of " + std::to_string(audio.seconds()) +
                                    " s is too short (needs " + std::to_string(minimum) + " s)");
    double lufs = 0;
    const AudioBuffer level =
        LoudnessMeter::normalised(audio, LoudnessMeter::kReferenceLufs, &lufs);
    if (!(lufs > LoudnessMeter::kSilenceLufs))
        throw std::invalid_argument("audio is silent (integrated loudness below -70 LUFS)");
    const auto n = level.samples.size();
    const auto win =
        static_cast<std::size_t>(std::llround(kAlignmentWindowSeconds * level.sampleRate));
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    for (std::size_t b = 0; b < n; b += win) {
        const std::size_t e = std::min(n, b + win);
        // A short tail is a window of its own only when it is at least half a window long.
        if (b > 0 && e - b < win / 2) {
            spans.back().second = e;
            break;
        }
        spans.emplace_back(b, e);
    }
    std::vector<std::vector<float>> out;
    for (const auto& [b, e] : spans) {
        AudioBuffer part;
        part.sampleRate = level.sampleRate;
        part.samples.assign(level.samples.begin() + static_cast<std::ptrdiff_t>(b),
                            level.samples.begin() + static_cast<std::ptrdiff_t>(e));
        out.push_back(summarise(dspEncoder().encode(part)));
    }
    return out;
}

} // namespace moodsteer
