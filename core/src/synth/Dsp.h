// Small DSP building blocks of the synthesizer: a deterministic noise source, band-limited
// oscillators (polyBLEP), a recursive sine (phasor), a TPT state-variable filter, a one-pole
// filter. Header-only so that the per-sample inner loops inline.
#pragma once

#include <cmath>
#include <cstdint>

namespace moodsteer::synth {

constexpr double kPi = 3.14159265358979323846;

inline double midiToHz(double pitch) {
    return 440.0 * std::pow(2.0, (pitch - 69.0) / 12.0);
}

/// xorshift32: deterministic, cheap white noise in [-1, 1).
struct Noise {
    std::uint32_t state = 0x9E3779B9u;
    void seed(std::uint32_t s) { state = s ? s : 0x9E3779B9u; }
    float next() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        return static_cast<float>(static_cast<std::int32_t>(state)) * (1.0f / 2147483648.0f);
    }
};

inline std::uint32_t hashMix(std::uint32_t a, std::uint32_t b) {
    std::uint32_t h = a * 0x85EBCA6Bu ^ (b + 0x9E3779B9u + (a << 6) + (a >> 2));
    h ^= h >> 16;
    h *= 0x7FEB352Du;
    h ^= h >> 15;
    return h;
}

/// polyBLEP correction for a discontinuity at phase 0 (phase in [0,1), dt = f/fs).
inline double polyBlep(double t, double dt) {
    if (t < dt) {
        t /= dt;
        return t + t - t * t - 1.0;
    }
    if (t > 1.0 - dt) {
        t = (t - 1.0) / dt;
        return t * t + t + t + 1.0;
    }
    return 0.0;
}

/// Band-limited sawtooth / square from a phase accumulator.
struct BlepOsc {
    double phase = 0.0;
    double saw(double dt) {
        const double v = 2.0 * phase - 1.0 - polyBlep(phase, dt);
        advance(dt);
        return v;
    }
    double square(double dt) {
        double v = phase < 0.5 ? 1.0 : -1.0;
        v += polyBlep(phase, dt);
        double t2 = phase + 0.5;
        if (t2 >= 1.0) t2 -= 1.0;
        v -= polyBlep(t2, dt);
        advance(dt);
        return v;
    }
    void advance(double dt) {
        phase += dt;
        if (phase >= 1.0) phase -= 1.0;
    }
};

/// Recursive sine: one complex rotation per sample instead of a sin() call.
struct Phasor {
    double c = 1.0, s = 0.0, cw = 1.0, sw = 0.0;
    void set(double hz, double startPhase = 0.0) {
        const double w = 2.0 * kPi * hz / 32000.0;
        cw = std::cos(w), sw = std::sin(w);
        c = std::cos(startPhase), s = std::sin(startPhase);
    }
    double next() {
        const double out = s;
        const double nc = c * cw - s * sw;
        s = s * cw + c * sw;
        c = nc;
        return out;
    }
};

/// Topology-preserving-transform state-variable filter (Zavalishin / Simper).
struct Svf {
    double ic1 = 0.0, ic2 = 0.0, g = 0.1, k = 1.4, a1 = 0, a2 = 0, a3 = 0;
    void set(double cutoffHz, double q) {
        cutoffHz = std::fmin(std::fmax(cutoffHz, 20.0), 14000.0);
        g = std::tan(kPi * cutoffHz / 32000.0);
        k = 1.0 / q;
        a1 = 1.0 / (1.0 + g * (g + k));
        a2 = g * a1;
        a3 = g * a2;
    }
    /// Returns low-pass; band/high available through the out-parameters.
    double process(double x, double* band = nullptr, double* high = nullptr) {
        const double v3 = x - ic2;
        const double v1 = a1 * ic1 + a2 * v3;
        const double v2 = ic2 + a2 * ic1 + a3 * v3;
        ic1 = 2.0 * v1 - ic1;
        ic2 = 2.0 * v2 - ic2;
        if (band) *band = v1;
        if (high) *high = x - k * v1 - v2;
        return v2;
    }
};

struct OnePole {
    double y = 0.0, a = 0.5;
    void setLowpass(double hz) { a = 1.0 - std::exp(-2.0 * kPi * hz / 32000.0); }
    double lowpass(double x) { return y += a * (x - y); }
    double highpass(double x) { return x - lowpass(x); }
};

/// Per-sample multiplier that decays by 1/e in `seconds`.
inline double decayCoef(double seconds) {
    return std::exp(-1.0 / (seconds * 32000.0));
}

} // namespace moodsteer::synth
