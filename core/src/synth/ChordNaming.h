// Names a set of sounding pitch classes as one of SynthCodec's 96 chords (root x 8 qualities)
// by template fit, and finds the bass move that plays a given key over a chord. Used by the
// MIDI importer.
#pragma once

namespace moodsteer::synth {

class ChordNaming {
  public:
    /// `pitchClasses`: bit p set when pitch class p sounds (C = 0); must not be 0.
    /// Score per candidate: 2 per chord tone present, -2 per sounding tone outside the chord,
    /// -1 per chord tone missing. Ties: the root equal to `bassPitchClass` (-1: none), then the
    /// quality with fewer tones, then the lower root. Returns root * kNumQualities + quality.
    static int name(unsigned pitchClasses, int bassPitchClass = -1);
    /// The bass move (kBassRoot..kBassSeventh) whose note over `chord` (plus `shift`
    /// semitones, the band's bass transposition) is exactly `key`, or -1.
    static int exactBassMove(int chord, int key, int shift);
    /// The move whose note is nearest to `key` (pitch class first, then octave).
    static int nearestBassMove(int chord, int key, int shift);
};

} // namespace moodsteer::synth
