// One drum hit, synthesized: kick (sine with a pitch sweep and a click), snare (tone + filtered
// noise), clap (noise bursts), hats/ride/crash (metallic square clusters + noise, band-passed),
// tom (swept sine). Two kits: acoustic (rock, jazz, classical) and electronic (909-like).
#pragma once

#include "Dsp.h"
#include "SynthTokens.h"

#include <array>

namespace moodsteer::synth {

class DrumVoice {
  public:
    void start(int drum, double velocity, bool electronic, std::uint32_t seed);
    /// Open hat choked by a closed hat: fades out in ~10 ms.
    void choke();
    bool active() const { return active_; }
    int drum() const { return drum_; }
    double level() const { return amp_; }
    void render(float* out, int n);

  private:
    double nextSample();

    bool active_ = false, electronic_ = false;
    int drum_ = kKick;
    long age_ = 0;
    double amp_ = 0.0, ampCoef_ = 1.0, velocity_ = 1.0;
    double f0_ = 0, f1_ = 0, sweepCoef_ = 1.0, sweep_ = 1.0, phase_ = 0.0;
    double toneAmp_ = 0.0, toneCoef_ = 1.0, clickAmp_ = 0.0;
    std::array<BlepOsc, 6> metal_{};
    std::array<double, 6> metalDt_{};
    Svf band_, high_;
    Noise noise_;
};

} // namespace moodsteer::synth
