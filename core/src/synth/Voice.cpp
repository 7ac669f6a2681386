#include "Voice.h"

#include <algorithm>

namespace moodsteer::synth {

namespace {
constexpr double kFs = 32000.0;
constexpr double kSilent = 1e-3; // -60 dB: a released voice below this is done
} // namespace

void Voice::start(Instrument instrument, double pitch, double velocity, int brightness,
                  std::uint32_t seed) {
    instrument_ = instrument;
    active_ = true;
    released_ = false;
    pitch_ = pitch;
    freq_ = midiToHz(pitch);
    velocity_ = std::clamp(velocity, 0.0, 1.0);
    bright_ = 0.6 + 0.4 * brightness; // 0.6, 1.0, 1.4
    age_ = 0;
    env_ = 0.0;
    attacking_ = true;
    noise_.seed(seed);
    noiseEnv_ = 0.0;
    numPartials_ = 0;
    filter_ = Svf{};
    filter2_ = Svf{};
    cutoffEnv_ = 0.0;
    cutoffEnvCoef_ = 1.0;
    for (std::size_t i = 0; i < osc_.size(); ++i)
        osc_[i].phase = static_cast<double>((seed >> (4 * i)) & 0xFF) / 256.0;

    // Defaults: fast attack, full sustain, short release; each model overrides.
    double attack = 0.003, decay = 0.2, release = 0.08;
    sustain_ = 1.0;
    auto addPartial = [&](double ratio, double amp, double decaySeconds) {
        const double hz = freq_ * ratio;
        if (hz > 14000.0 || numPartials_ >= static_cast<int>(partial_.size())) return;
        partial_[numPartials_].set(hz);
        partialAmp_[numPartials_] = amp;
        partialDecay_[numPartials_] = decaySeconds > 0 ? decayCoef(decaySeconds) : 1.0;
        ++numPartials_;
    };

    switch (instrument) {
    case Instrument::Piano: {
        // Stiff-string inharmonicity, higher partials decay faster, louder = brighter.
        const double b = 0.00035;
        const double t1 = std::clamp(3.5 * std::pow(2.0, -(pitch - 48.0) / 18.0), 0.6, 6.0);
        const double tilt = 1.6 - 0.5 * velocity_ - 0.2 * (bright_ - 1.0);
        for (int k = 1; k <= 12; ++k)
            addPartial(k * std::sqrt(1.0 + b * k * k), std::pow(k, -tilt),
                       t1 / (1.0 + 0.6 * (k - 1)));
        noiseEnv_ = 0.12 * velocity_;
        noiseCoef_ = decayCoef(0.004);
        noiseLp_.setLowpass(2500.0);
        attack = 0.002, release = 0.12;
        break;
    }
    case Instrument::Vibes:
        addPartial(1.0, 1.0, 2.4);
        addPartial(3.98, 0.35, 0.6);
        addPartial(9.9, 0.12, 0.15);
        lfo_.set(5.5);
        attack = 0.001, release = 0.3;
        break;
    case Instrument::Organ:
        addPartial(1.0, 0.8, 0);
        addPartial(2.0, 0.6, 0);
        addPartial(3.0, 0.4, 0);
        addPartial(4.0, 0.25, 0);
        addPartial(6.0, 0.12, 0);
        addPartial(8.0, 0.08 * bright_, 0);
        noiseEnv_ = 0.05;
        noiseCoef_ = decayCoef(0.002);
        noiseLp_.setLowpass(4000.0);
        lfo_.set(6.3);
        attack = 0.006, release = 0.06;
        break;
    case Instrument::Strings:
        lfo_.set(5.2);
        cutoffBase_ = std::min(freq_ * 5.0 + 900.0, 6000.0) * bright_;
        q_ = 0.6;
        attack = 0.16 - 0.1 * velocity_, release = 0.35;
        break;
    case Instrument::SynthPad:
        lfo_.set(0.3);
        cutoffBase_ = (freq_ * 3.0 + 700.0) * bright_;
        q_ = 0.8;
        attack = 0.35, release = 0.6;
        break;
    case Instrument::SynthBass:
        cutoffBase_ = 140.0 + freq_ * 1.5;
        cutoffEnv_ = 2200.0 * bright_ * (0.5 + 0.5 * velocity_);
        cutoffEnvCoef_ = decayCoef(0.16);
        q_ = 1.6;
        sustain_ = 0.75, decay = 0.3, release = 0.05;
        break;
    case Instrument::SawLead:
        lfo_.set(5.6);
        cutoffBase_ = freq_ * 2.5 + 500.0 * bright_;
        cutoffEnv_ = 2500.0 * bright_;
        cutoffEnvCoef_ = decayCoef(0.25);
        q_ = 1.1;
        attack = 0.01, sustain_ = 0.8, decay = 0.4, release = 0.14;
        break;
    case Instrument::PluckLead:
        cutoffBase_ = freq_ * 1.5 + 300.0;
        cutoffEnv_ = 3500.0 * bright_;
        cutoffEnvCoef_ = decayCoef(0.12);
        q_ = 0.9;
        attack = 0.002, sustain_ = 0.3, decay = 0.35, release = 0.15;
        break;
    case Instrument::DistGuitar:
        cutoffBase_ = 2600.0 * bright_;
        q_ = 0.9;
        filter2_.set(4800.0, 0.7);
        attack = 0.003, sustain_ = 0.7, decay = 1.2, release = 0.07;
        break;
    case Instrument::UprightBass:
    case Instrument::PickBass: {
        // Karplus-Strong: a noise burst circulating through a lossy averaging loop.
        const bool upright = instrument == Instrument::UprightBass;
        ksLen_ = std::max(2, static_cast<int>(std::lround(kFs / freq_ - 0.5)));
        ks_.assign(static_cast<std::size_t>(ksLen_), 0.0f);
        OnePole shape;
        shape.setLowpass(upright ? 500.0 : 1400.0 * bright_);
        for (int i = 0; i < ksLen_; ++i)
            ks_[static_cast<std::size_t>(i)] =
                static_cast<float>(shape.lowpass(noise_.next()) * 2.5);
        ksPos_ = 0;
        ksLast_ = 0.0;
        const double decaySeconds = upright ? 1.2 : 1.8;
        ksGain_ = std::exp(-1.0 / (decaySeconds * kFs)); // per-sample loop loss
        ksDamp_ = upright ? 0.5 : 0.6;
        cutoffBase_ = upright ? 1100.0 : 2200.0 * bright_;
        q_ = 0.7;
        attack = 0.002, release = 0.07;
        break;
    }
    }
    if (cutoffBase_ > 0) filter_.set(cutoffBase_ + cutoffEnv_, q_);
    attackInc_ = 1.0 / std::max(1.0, attack * kFs);
    decayCoef_ = decayCoef(decay);
    releaseCoef_ = decayCoef(release / 4.0); // ~ -35 dB after `release` seconds
}

void Voice::release() {
    if (active_ && !released_) {
        released_ = true;
        attacking_ = false;
    }
}

void Voice::choke() {
    if (!active_) return;
    released_ = true;
    attacking_ = false;
    releaseCoef_ = decayCoef(0.0012);
}

double Voice::envelopeStep() {
    if (released_) {
        env_ *= releaseCoef_;
    } else if (attacking_) {
        env_ += attackInc_;
        if (env_ >= 1.0) {
            env_ = 1.0;
            attacking_ = false;
        }
    } else {
        env_ = sustain_ + (env_ - sustain_) * decayCoef_;
    }
    return env_;
}

double Voice::nextSample() {
    const double env = envelopeStep();
    double x = 0.0;
    switch (instrument_) {
    case Instrument::Piano:
    case Instrument::Vibes:
    case Instrument::Organ: {
        for (int i = 0; i < numPartials_; ++i) {
            x += partialAmp_[static_cast<std::size_t>(i)] *
                 partial_[static_cast<std::size_t>(i)].next();
            partialAmp_[static_cast<std::size_t>(i)] *= partialDecay_[static_cast<std::size_t>(i)];
        }
        if (noiseEnv_ > 1e-6) {
            x += noiseEnv_ * noiseLp_.lowpass(noise_.next());
            noiseEnv_ *= noiseCoef_;
        }
        if (instrument_ == Instrument::Vibes)
            x *= 1.0 + 0.3 * lfo_.next();
        else if (instrument_ == Instrument::Organ)
            x *= 0.55 * (1.0 + 0.12 * lfo_.next());
        else
            x *= 0.45;
        break;
    }
    case Instrument::Strings:
    case Instrument::SynthPad:
    case Instrument::SawLead: {
        const bool strings = instrument_ == Instrument::Strings;
        const double vibDepth = instrument_ == Instrument::SynthPad ? 0.0015 : 0.003;
        const double vibOnset = std::min(1.0, static_cast<double>(age_) / (0.35 * kFs));
        const double vib = 1.0 + vibDepth * vibOnset * lfo_.next();
        const double detune = instrument_ == Instrument::SynthPad ? 0.007 : 0.004;
        const double dt = freq_ * vib / kFs;
        x = osc_[0].saw(dt * (1.0 - detune)) + osc_[1].saw(dt * (1.0 + detune));
        if (instrument_ != Instrument::SawLead) x += osc_[2].saw(dt);
        x *= strings ? 0.3 : 0.33;
        break;
    }
    case Instrument::SynthBass: {
        const double dt = freq_ / kFs;
        x = 0.5 * osc_[0].saw(dt) + 0.35 * osc_[1].square(dt * 0.5);
        break;
    }
    case Instrument::PluckLead:
        x = 0.45 * osc_[0].square(freq_ / kFs);
        break;
    case Instrument::DistGuitar: {
        const double dt = freq_ / kFs;
        const double raw = osc_[0].saw(dt * 0.997) + osc_[1].saw(dt * 1.003);
        x = 0.35 * std::tanh(5.0 * raw);
        x = filter2_.process(x);
        break;
    }
    case Instrument::UprightBass:
    case Instrument::PickBass: {
        const std::size_t i = static_cast<std::size_t>(ksPos_);
        const double cur = ks_[i];
        // Averaging loop filter (the string's damping) plus a per-sample loss.
        const double y = (ksDamp_ * cur + (1.0 - ksDamp_) * ksLast_) * ksGain_;
        ksLast_ = cur;
        ks_[i] = static_cast<float>(y);
        ksPos_ = ksPos_ + 1 == ksLen_ ? 0 : ksPos_ + 1;
        x = cur * 0.7;
        if (instrument_ == Instrument::PickBass) x = 0.8 * std::tanh(1.4 * x);
        break;
    }
    }
    if (cutoffBase_ > 0 && instrument_ != Instrument::Piano && instrument_ != Instrument::Vibes &&
        instrument_ != Instrument::Organ) {
        if (cutoffEnv_ > 1.0 && (age_ & 15) == 0) {
            filter_.set(cutoffBase_ + cutoffEnv_, q_);
            cutoffEnv_ *= std::pow(cutoffEnvCoef_, 16.0);
        }
        x = filter_.process(x);
    }
    ++age_;
    return x * env * velocity_;
}

void Voice::render(float* out, int n) {
    if (!active_) return;
    for (int i = 0; i < n; ++i)
        out[i] += static_cast<float>(nextSample());
    // A released note is done once inaudible; so is a decayed percussive note.
    if (released_ && env_ < kSilent) active_ = false;
    if (!released_ && age_ > 12 * 32000) release();
}

} // namespace moodsteer::synth
