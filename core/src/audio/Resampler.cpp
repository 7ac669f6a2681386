#include "core/audio/Resampler.h"

#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace moodsteer {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kBeta = 9.0;          // Kaiser beta: ~90 dB stopband
constexpr double kZeros = 32.0;        // sinc zero crossings per side
constexpr double kRolloff = 0.9;       // cutoff as a fraction of the lower Nyquist
constexpr long long kMaxPhases = 4096; // above this, kernels are computed per sample

double besselI0(double x) {
    // Power series; converges fast for the arguments used here (<= beta).
    double sum = 1, term = 1;
    const double q = x * x / 4;
    for (int k = 1; k < 64; ++k) {
        term *= q / (static_cast<double>(k) * k);
        sum += term;
        if (term < sum * 1e-17) break;
    }
    return sum;
}

} // namespace

Resampler::Resampler(int inputRate, int outputRate)
    : inputRate_(inputRate), outputRate_(outputRate) {
    if (inputRate <= 0 || outputRate <= 0)
        throw std::invalid_argument("Resampler: sample rates must be positive (got " +
                                    std::to_string(inputRate) + " -> " +
                                    std::to_string(outputRate) + ")");
    const long long g = std::gcd(static_cast<long long>(inputRate), outputRate);
    up_ = outputRate / g;
    down_ = inputRate / g;
    // Lowpass at the lower of the two Nyquist frequencies, in cycles per input sample.
    cutoff_ = kRolloff * 0.5 * std::min(1.0, static_cast<double>(up_) / down_);
    halfWidth_ = kZeros / (2.0 * cutoff_);
    taps_ = static_cast<int>(std::ceil(halfWidth_));
    if (up_ <= kMaxPhases && up_ != down_) {
        table_.resize(static_cast<std::size_t>(up_) * 2 * taps_);
        for (long long p = 0; p < up_; ++p) {
            const double frac = static_cast<double>(p) / up_;
            for (int k = 0; k < 2 * taps_; ++k)
                table_[p * 2 * taps_ + k] = static_cast<float>(kernel(frac + taps_ - 1 - k));
        }
    }
}

double Resampler::kernel(double tau) const {
    const double r = tau / halfWidth_;
    if (std::abs(r) >= 1.0) return 0.0;
    const double x = 2.0 * cutoff_ * tau;
    const double sinc = x == 0.0 ? 1.0 : std::sin(kPi * x) / (kPi * x);
    const double window = besselI0(kBeta * std::sqrt(1.0 - r * r)) / besselI0(kBeta);
    return 2.0 * cutoff_ * sinc * window;
}

std::vector<float> Resampler::process(std::span<const float> input) const {
    if (up_ == down_) return {input.begin(), input.end()};
    const long long n = static_cast<long long>(input.size());
    const long long outLen = (n * up_ + down_ - 1) / down_;
    std::vector<float> out(static_cast<std::size_t>(outLen));
    std::vector<float> scratch(table_.empty() ? 2 * taps_ : 0);
    for (long long j = 0; j < outLen; ++j) {
        const long long pos = j * down_; // output j sits at input time pos / up_
        const long long n0 = pos / up_;
        const long long phase = pos % up_;
        const float* h = nullptr;
        if (!table_.empty()) {
            h = &table_[phase * 2 * taps_];
        } else {
            const double frac = static_cast<double>(phase) / up_;
            for (int k = 0; k < 2 * taps_; ++k)
                scratch[k] = static_cast<float>(kernel(frac + taps_ - 1 - k));
            h = scratch.data();
        }
        const long long first = n0 - taps_ + 1;
        const int kBegin = static_cast<int>(std::max(0LL, -first));
        const int kEnd = static_cast<int>(std::min<long long>(2 * taps_, n - first));
        double acc = 0;
        for (int k = kBegin; k < kEnd; ++k)
            acc += static_cast<double>(h[k]) * input[first + k];
        out[j] = static_cast<float>(acc);
    }
    return out;
}

AudioBuffer Resampler::resample(const AudioBuffer& audio, int outputRate) {
    if (audio.sampleRate == outputRate) return audio;
    Resampler r(audio.sampleRate, outputRate);
    AudioBuffer out;
    out.sampleRate = outputRate;
    out.samples = r.process(audio.samples);
    return out;
}

} // namespace moodsteer
