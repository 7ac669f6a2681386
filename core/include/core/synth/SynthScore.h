// The notes that SynthCodec codes stand for, part by part, with their frames and MIDI ticks:
// what the synthesizer plays (comp voicings, the pad layer, chord-relative bass, drum hits),
// read once from the tokens. The MIDI writer writes these notes; the variation metrics
// measure them; the MIDI importer's round-trip test compares them.
#pragma once

#include "core/audio/AudioCodec.h"

#include <vector>

namespace moodsteer {

enum class SynthPart { Melody, Chords, Pad, Bass, Drums };

struct SynthNote {
    SynthPart part = SynthPart::Melody;
    int key = 60;       ///< MIDI key; for drums the GM percussion key
    int velocity = 64;  ///< MIDI velocity 1..127
    int startFrame = 0; ///< first sounding frame
    int endFrame = 0;   ///< frame at which it is released (exclusive)
    long startTick = 0; ///< at SynthScore::kTicksPerQuarter
    long endTick = 0;
};

struct SynthTempoChange {
    int frame = 0;
    long tick = 0;
    int tempoIndex = 0; ///< SynthCodec tempo index: frames per sixteenth = 2 + index
};

struct SynthBandChange {
    int frame = 0;
    long tick = 0;
    int genre = 0, variant = 0;
    int compProgram = 0, padProgram = 0, bassProgram = 0, melodyProgram = 0; ///< GM, 0-based
};

struct SynthScore {
    static constexpr int kTicksPerQuarter = 480;
    /// A sixteenth note in ticks: the musical unit of durations in the metrics.
    static constexpr int kTicksPerSixteenth = kTicksPerQuarter / 4;

    /// In order of onset (ties: the order the parts are read on a frame: chords, pad, bass,
    /// melody, drums). Notes still sounding at the end are released at the last frame.
    std::vector<SynthNote> notes;
    std::vector<SynthTempoChange> tempos; ///< the first at frame 0
    std::vector<SynthBandChange> bands;   ///< the first at frame 0
    int frames = 0;
    long endTick = 0;

    /// The notes of a SynthCodec grid. Throws CodecError for codes that are not a valid grid.
    static SynthScore fromCodes(const CodeGrid& codes);
    /// GM percussion key of SynthCodec drum d (0 kick .. 7 tom), as MidiWriter writes it.
    static int drumKey(int drum);
};

} // namespace moodsteer
