// The token layout of SynthCodec (docs/synthcodec.md): four parallel streams at 25 frames/s,
// codes in [0, 2048). Every stream's code decodes to a small struct; encode() is its inverse.
// Codes inside [0, 2048) that the layout does not use decode as "hold" (no new event), so an
// LM that samples one never makes decoding fail.
#pragma once

#include <cstdint>

namespace moodsteer::synth {

constexpr int kSampleRate = 32000;
constexpr int kFrameRate = 25;
constexpr int kSamplesPerFrame = kSampleRate / kFrameRate; // 1280
constexpr int kNumStreams = 4;
constexpr int kCardinality = 2048;

enum Stream { kHarmonyStream = 0, kMelodyStream = 1, kDrumStream = 2, kTextureStream = 3 };

// ---- stream 0: harmony + bass -------------------------------------------------------------
enum ChordQuality { kMajor, kMinor, kDom7, kMaj7, kMin7, kHalfDim, kDim, kPower, kNumQualities };
enum BassMove {
    kBassHold,    ///< keep sounding (or stay silent)
    kBassRelease, ///< stop the bass note
    kBassRoot,    ///< chord root, low octave (E1..D#2)
    kBassOctave,  ///< chord root + 12
    kBassThird,   ///< the chord's third (the fifth for power chords)
    kBassFifth,   ///< the chord's fifth
    kBassSeventh, ///< the chord's seventh (b7 for triads)
    kNumBassMoves
};
enum CompAction { kCompHold, kCompStrike, kCompMute, kNumCompActions };
struct HarmonyToken {
    int chord = 0;        ///< root * kNumQualities + quality: the current harmony
    int comp = kCompHold; ///< the comp instrument (re)strikes the chord, or is muted
    int bass = kBassHold;
};
constexpr int kNumChords = 12 * kNumQualities;                                        // 96
constexpr int kHarmonyCodes = kNumChords * int(kNumCompActions) * int(kNumBassMoves); // 2016

// ---- stream 1: melody ---------------------------------------------------------------------
constexpr int kMelodyLow = 36, kMelodyHigh = 99; // MIDI pitch range (C2..D#7)
constexpr int kVelocityLevels = 8;
struct MelodyToken {
    enum Kind { kHold, kRelease, kOnset } kind = kHold;
    int pitch = 0;    ///< MIDI, for kOnset
    int velocity = 0; ///< 0..7, for kOnset
};
constexpr int kMelodyCodes = 2 + (kMelodyHigh - kMelodyLow + 1) * kVelocityLevels; // 514

// ---- stream 2: drums ----------------------------------------------------------------------
enum DrumSound { kKick, kSnare, kClap, kClosedHat, kOpenHat, kRide, kCrash, kTom, kNumDrums };
struct DrumToken {
    std::uint8_t mask = 0; ///< bit d set: drum d hits on this frame
    int velocity = 0;      ///< 0..7, shared by the frame's hits
};
constexpr int kDrumCodes = (1 << kNumDrums) * kVelocityLevels; // 2048

// ---- stream 3: texture / dynamics / genre / tempo -----------------------------------------
constexpr int kNumGenres = 4;   ///< order of Composer::genres(): classical, electronic, jazz, rock
constexpr int kNumVariants = 2; ///< instrument-set variant within the genre
constexpr int kLoudnessLevels = 8;
constexpr int kNumTempos = 5; ///< frames per sixteenth note = 2 + index (187.5 .. 62.5 BPM)
constexpr int kBrightnessLevels = 3;
constexpr int kNumLayers = 2; ///< 0: core band, 1: full (adds the pad/strings layer)
struct TextureToken {
    int genre = 0, variant = 0, loudness = 4, tempo = 2, brightness = 1, layer = 0;
};
constexpr int kTextureCodes = kNumGenres * kNumVariants * kLoudnessLevels * kNumTempos *
                              kBrightnessLevels * kNumLayers; // 1920

/// Frames per sixteenth note for a tempo index, and the tempo in BPM.
constexpr int framesPerSixteenth(int tempoIndex) {
    return 2 + tempoIndex;
}
constexpr double tempoBpm(int tempoIndex) {
    return 60.0 * kFrameRate / (4.0 * framesPerSixteenth(tempoIndex));
}

std::int64_t encodeHarmony(const HarmonyToken& t);
std::int64_t encodeMelody(const MelodyToken& t);
std::int64_t encodeDrums(const DrumToken& t);
std::int64_t encodeTexture(const TextureToken& t);

/// false for an unused code (the caller treats it as "hold").
bool decodeHarmony(std::int64_t code, HarmonyToken& out);
bool decodeMelody(std::int64_t code, MelodyToken& out);
bool decodeDrums(std::int64_t code, DrumToken& out);
bool decodeTexture(std::int64_t code, TextureToken& out);

/// Pitch classes (relative to the root) of a chord quality; returns the count (3 or 4).
int chordIntervals(int quality, int intervals[4]);
/// MIDI pitch of a bass move over a chord (root in E1..D#2); -1 for hold/release.
int bassPitch(int chord, int move);
/// The comp voicing of a chord: every chord tone placed in [low, low + 12), or, when `power`,
/// root (in [low, low + 12)), fifth and octave. Returns the count.
int chordVoicing(int chord, int low, bool power, int pitches[4]);

} // namespace moodsteer::synth
