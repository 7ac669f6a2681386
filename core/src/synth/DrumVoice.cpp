#include "DrumVoice.h"

#include <algorithm>

namespace moodsteer::synth {

namespace {
constexpr double kFs = 32000.0;
// The TR-808's six square oscillators (Hz): an inharmonic cluster that reads as "metal".
constexpr double kMetal[6] = {205.3, 304.4, 369.6, 522.7, 540.0, 800.0};
} // namespace

void DrumVoice::start(int drum, double velocity, bool electronic, std::uint32_t seed) {
    active_ = true;
    electronic_ = electronic;
    drum_ = drum;
    age_ = 0;
    velocity_ = std::clamp(velocity, 0.0, 1.0);
    amp_ = 1.0;
    phase_ = 0.0;
    sweep_ = 1.0;
    toneAmp_ = 0.0;
    clickAmp_ = 0.0;
    noise_.seed(seed);
    band_ = Svf{};
    high_ = Svf{};
    for (std::size_t i = 0; i < metal_.size(); ++i)
        metal_[i].phase = static_cast<double>((seed >> (3 * i)) & 0xFF) / 256.0;

    switch (drum) {
    case kKick:
        f0_ = electronic ? 48.0 : 56.0;
        f1_ = electronic ? 170.0 : 130.0;
        sweepCoef_ = decayCoef(electronic ? 0.035 : 0.02);
        ampCoef_ = decayCoef(electronic ? 0.32 : 0.16);
        clickAmp_ = electronic ? 0.25 : 0.5;
        break;
    case kSnare:
        f0_ = electronic ? 200.0 : 185.0;
        toneAmp_ = electronic ? 0.5 : 0.6;
        toneCoef_ = decayCoef(0.05);
        ampCoef_ = decayCoef(electronic ? 0.11 : 0.14);
        band_.set(electronic ? 4500.0 : 3500.0, 0.6);
        high_.set(900.0, 0.7);
        break;
    case kClap:
        ampCoef_ = decayCoef(0.12);
        band_.set(1300.0, 1.4);
        break;
    case kClosedHat:
    case kOpenHat:
    case kRide:
    case kCrash: {
        const double scale = drum == kRide ? 1.9 : (drum == kCrash ? 1.3 : 1.55);
        for (std::size_t i = 0; i < metal_.size(); ++i)
            metalDt_[i] = kMetal[i] * scale / kFs;
        const double decay = drum == kClosedHat ? 0.035
                             : drum == kOpenHat ? 0.28
                             : drum == kRide    ? 0.6
                                                : 1.4;
        ampCoef_ = decayCoef(decay * (electronic ? 0.8 : 1.0));
        band_.set(drum == kRide ? 5200.0 : 8500.0, drum == kRide ? 1.6 : 0.9);
        high_.set(drum == kRide ? 3000.0 : 6500.0, 0.7);
        break;
    }
    case kTom:
        f0_ = 92.0;
        f1_ = 150.0;
        sweepCoef_ = decayCoef(0.05);
        ampCoef_ = decayCoef(0.22);
        clickAmp_ = 0.2;
        break;
    default:
        active_ = false;
    }
}

void DrumVoice::choke() {
    ampCoef_ = std::min(ampCoef_, decayCoef(0.004));
}

double DrumVoice::nextSample() {
    double x = 0.0;
    const double t = static_cast<double>(age_) / kFs;
    switch (drum_) {
    case kKick:
    case kTom: {
        const double f = f0_ + (f1_ - f0_) * sweep_;
        sweep_ *= sweepCoef_;
        phase_ += f / kFs;
        if (phase_ >= 1.0) phase_ -= 1.0;
        x = std::sin(2.0 * kPi * phase_);
        if (clickAmp_ > 1e-5) {
            x += clickAmp_ * noise_.next();
            clickAmp_ *= 0.985; // ~2 ms click
        }
        x *= drum_ == kKick ? 1.0 : 0.7;
        break;
    }
    case kSnare: {
        phase_ += f0_ / kFs;
        if (phase_ >= 1.0) phase_ -= 1.0;
        const double tone = toneAmp_ * std::sin(2.0 * kPi * phase_);
        toneAmp_ *= toneCoef_;
        double hp = 0.0;
        high_.process(band_.process(noise_.next()), nullptr, &hp);
        x = tone + 0.8 * hp;
        break;
    }
    case kClap: {
        double bp = 0.0;
        band_.process(noise_.next(), &bp);
        // Three quick bursts 10 ms apart before the tail: the "several hands" of a clap.
        const double burst = t < 0.03 ? std::exp(-std::fmod(t, 0.01) / 0.002) : 1.0;
        x = 1.4 * bp * burst;
        break;
    }
    default: { // cymbals
        double m = 0.0;
        for (std::size_t i = 0; i < metal_.size(); ++i)
            m += metal_[i].square(metalDt_[i]);
        const double mix = drum_ == kCrash ? 0.5 : (drum_ == kRide ? 0.25 : 0.35);
        const double src = m / 6.0 * mix + noise_.next() * (1.0 - mix);
        double bp = 0.0, hp = 0.0;
        band_.process(src, &bp);
        high_.process(bp + 0.3 * src, nullptr, &hp);
        x = (drum_ == kRide ? 0.55 : 0.6) * hp;
        if (drum_ == kRide && age_ < 64) x += 0.3 * m / 6.0; // the stick's ping
        break;
    }
    }
    const double out = x * amp_ * velocity_;
    amp_ *= ampCoef_;
    ++age_;
    return out;
}

void DrumVoice::render(float* out, int n) {
    if (!active_) return;
    for (int i = 0; i < n; ++i)
        out[i] += static_cast<float>(nextSample());
    if (amp_ < 1e-4) active_ = false;
}

} // namespace moodsteer::synth
