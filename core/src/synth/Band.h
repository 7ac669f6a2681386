// The instrument set of each (genre, variant) pair in the texture stream: which instrument
// model plays each part, its General MIDI program (for MIDI export), voicing windows, part
// gains and reverb. Shared by the synthesizer and the MIDI writer so both agree.
#pragma once

#include "SynthTokens.h"
#include "Voice.h"

namespace moodsteer::synth {

struct Band {
    Instrument comp, pad, bass, melody;
    int compProgram, padProgram, bassProgram, melodyProgram; ///< General MIDI, 0-based
    int compLow, padLow, bassShift;
    double compGain, padGain, bassGain, melodyGain, drumGain, reverb;
    bool electronicKit;
    const char* compName;
    const char* bassName;
    const char* melodyName;
    const char* padName;
};

/// Throws nothing: genre and variant are clamped into range.
const Band& bandFor(int genre, int variant);

} // namespace moodsteer::synth
