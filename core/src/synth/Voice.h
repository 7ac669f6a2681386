// One sounding note of a pitched instrument: oscillators, filter and envelopes of the
// instrument model it was started with. Notes end with a release ramp, never a cut.
#pragma once

#include "Dsp.h"

#include <array>
#include <vector>

namespace moodsteer::synth {

enum class Instrument {
    Piano,       ///< additive partials, inharmonic, per-partial decay, hammer noise
    Strings,     ///< ensemble: detuned saws, low-pass, slow bow attack, vibrato
    SynthPad,    ///< wide detuned saws, slow attack, soft filter
    SynthBass,   ///< saw + sub square, resonant low-pass with a filter envelope
    SawLead,     ///< two detuned saws, filter envelope, vibrato
    PluckLead,   ///< square with a plucky filter/amp envelope
    UprightBass, ///< Karplus-Strong string with a soft thumb excitation
    PickBass,    ///< Karplus-Strong, brighter, slightly driven
    DistGuitar,  ///< detuned saws into a tanh overdrive and a cabinet low-pass
    Organ,       ///< drawbar sines with key click and tremolo
    Vibes,       ///< bar modes 1 : 3.98 : 9.9 with motor tremolo
};

class Voice {
  public:
    /// Starts a note; `velocity` in (0, 1]; `brightness` 0..2 scales the filters;
    /// `seed` makes the noise parts deterministic.
    void start(Instrument instrument, double pitch, double velocity, int brightness,
               std::uint32_t seed);
    void release();
    /// A fast (5 ms) fade, for voice stealing without a click.
    void choke();
    bool active() const { return active_; }
    bool released() const { return released_; }
    double pitch() const { return pitch_; }
    double level() const { return env_ * velocity_; }
    std::uint64_t startOrder = 0; ///< set by the owner, for stealing the oldest voice

    /// Adds `n` samples of this voice into `out`.
    void render(float* out, int n);

  private:
    double nextSample();
    double envelopeStep();

    Instrument instrument_ = Instrument::Piano;
    bool active_ = false, released_ = false;
    double pitch_ = 60.0, freq_ = 261.6, velocity_ = 1.0, bright_ = 1.0;
    long age_ = 0;
    // envelope
    double env_ = 0.0, attackInc_ = 1.0, decayCoef_ = 1.0, sustain_ = 1.0, releaseCoef_ = 0.99;
    bool attacking_ = true;
    // oscillators and filters
    std::array<BlepOsc, 3> osc_{};
    std::array<Phasor, 12> partial_{};
    std::array<double, 12> partialAmp_{}, partialDecay_{};
    int numPartials_ = 0;
    Svf filter_, filter2_;
    double cutoffBase_ = 1000.0, cutoffEnv_ = 0.0, cutoffEnvCoef_ = 1.0, q_ = 0.7;
    Phasor lfo_;
    Noise noise_;
    OnePole noiseLp_;
    double noiseEnv_ = 0.0, noiseCoef_ = 0.0;
    // Karplus-Strong
    std::vector<float> ks_;
    int ksLen_ = 0, ksPos_ = 0;
    double ksFrac_ = 0.0, ksDamp_ = 0.5, ksLast_ = 0.0, ksGain_ = 0.996;
};

} // namespace moodsteer::synth
