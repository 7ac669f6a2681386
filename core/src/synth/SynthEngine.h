// The synthesizer behind SynthCodec: turns one frame of tokens at a time into 1280 samples.
// All state (sounding voices, reverb, limiter, the current chord and texture) lives here and
// carries across frames, so rendering frame by frame in any chunking gives identical samples.
#pragma once

#include "Band.h"
#include "DrumVoice.h"
#include "SynthTokens.h"
#include "Voice.h"

#include <array>
#include <cstdint>
#include <vector>

namespace moodsteer::synth {

class SynthEngine {
  public:
    SynthEngine();
    /// Renders one frame; `codes` holds the 4 stream codes (already range-checked).
    void renderFrame(const std::int64_t codes[kNumStreams], float* out);
    /// Releases everything and renders a faded tail of tailSamples() samples.
    std::vector<float> renderTail();
    static constexpr int tailSamples() { return kSampleRate / 4; }

  private:
    enum Part { kComp, kPad, kBass, kMelody, kNumParts };

    const Band& band() const;
    int allocate(Part part);
    void startNote(Part part, Instrument instrument, double pitch, double velocity, int* slot);
    void applyTexture(const TextureToken& t);
    void applyHarmony(const HarmonyToken& h);
    void applyMelody(const MelodyToken& m);
    void applyDrums(const DrumToken& d);
    void strikeChord();
    void startPad();
    void releasePart(Part part);
    void mixAndMaster(float* out, int n, bool fadeOut, int fadeStart, int fadeLength);

    TextureToken texture_;
    int chord_ = -1;
    std::array<std::vector<Voice>, kNumParts> voices_;
    std::array<std::vector<float>, kNumParts> partBuf_;
    std::vector<DrumVoice> drums_;
    std::vector<float> drumBuf_, mixBuf_;
    int bassSlot_ = -1, melodySlot_ = -1;
    int padChord_ = -1;
    std::uint64_t noteCounter_ = 0;

    // master section
    double gain_ = 0.1, gainTarget_ = 0.1;
    double dcX_ = 0.0, dcY_ = 0.0, peakEnv_ = 0.0;
    struct Comb {
        std::vector<float> buf;
        std::size_t pos = 0;
        double store = 0.0;
    };
    std::array<Comb, 4> combs_;
    std::array<Comb, 2> allpasses_;
};

} // namespace moodsteer::synth
