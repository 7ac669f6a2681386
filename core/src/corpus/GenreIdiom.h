// What makes each genre sound like itself, as data and small pattern functions: tempo range,
// chord progressions per mode, and the per-bar rhythms of comp, bass and drums at three
// intensity tiers. Steps are sixteenth notes within a 4/4 bar (0..15).
#pragma once

#include "../synth/SynthTokens.h"
#include "Rng.h"

#include <vector>

namespace moodsteer::corpus {

enum Genre { kClassical = 0, kElectronic = 1, kJazz = 2, kRock = 3 };

struct ChordSlot {
    int offset;  ///< semitones above the tonic
    int quality; ///< synth::ChordQuality
};
/// A 4-bar progression as 8 half-bar slots.
using Progression = std::vector<ChordSlot>;

struct PartEvent {
    int step;     ///< 0..15
    int length;   ///< in steps; <= 0: sustain until the next event
    int move = 0; ///< bass: synth::BassMove; drums: bit mask of synth::DrumSound
    int accent = 0;
};

/// Tempo indices (SynthCodec, slowest first) the genre uses; arousal picks among them.
const std::vector<int>& genreTempos(int genre);
/// The genre's progressions for a mode.
const std::vector<Progression>& genreProgressions(int genre, bool minor);
/// True when the genre swings its eighth notes (jazz).
bool genreSwings(int genre);

/// Comp (chord instrument) strikes in one bar. `chordChangesAtHalf`: a new chord at step 8.
std::vector<PartEvent> compPattern(int genre, int variant, int tier, bool chordChangesAtHalf,
                                   Rng& rng);
/// Bass notes in one bar; `move` is a synth::BassMove.
std::vector<PartEvent> bassPattern(int genre, int tier, bool chordChangesAtHalf, Rng& rng);
/// Drum hits in one bar; `barInPhrase` 0..3 places crashes and fills.
std::vector<PartEvent> drumPattern(int genre, int tier, int barInPhrase, int phraseBars, Rng& rng);

} // namespace moodsteer::corpus
