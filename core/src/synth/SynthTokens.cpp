#include "SynthTokens.h"

#include <stdexcept>
#include <string>

namespace moodsteer::synth {

namespace {
void check(bool ok, const char* what) {
    if (!ok)
        throw std::invalid_argument(std::string("SynthCodec token: ") + what + " out of range");
}
} // namespace

std::int64_t encodeHarmony(const HarmonyToken& t) {
    check(t.chord >= 0 && t.chord < kNumChords, "chord");
    check(t.comp >= 0 && t.comp < kNumCompActions, "comp action");
    check(t.bass >= 0 && t.bass < kNumBassMoves, "bass move");
    return (static_cast<std::int64_t>(t.chord) * kNumCompActions + t.comp) * kNumBassMoves + t.bass;
}

bool decodeHarmony(std::int64_t code, HarmonyToken& out) {
    if (code < 0 || code >= kHarmonyCodes) return false;
    const int c = static_cast<int>(code);
    out.bass = c % kNumBassMoves;
    out.comp = (c / kNumBassMoves) % kNumCompActions;
    out.chord = c / (int(kNumBassMoves) * int(kNumCompActions));
    return true;
}

std::int64_t encodeMelody(const MelodyToken& t) {
    if (t.kind == MelodyToken::kHold) return 0;
    if (t.kind == MelodyToken::kRelease) return 1;
    check(t.pitch >= kMelodyLow && t.pitch <= kMelodyHigh, "melody pitch");
    check(t.velocity >= 0 && t.velocity < kVelocityLevels, "melody velocity");
    return 2 + (t.pitch - kMelodyLow) * kVelocityLevels + t.velocity;
}

bool decodeMelody(std::int64_t code, MelodyToken& out) {
    if (code < 0 || code >= kMelodyCodes) return false;
    if (code < 2) {
        out = {};
        out.kind = code == 0 ? MelodyToken::kHold : MelodyToken::kRelease;
        return true;
    }
    const int c = static_cast<int>(code) - 2;
    out.kind = MelodyToken::kOnset;
    out.pitch = kMelodyLow + c / kVelocityLevels;
    out.velocity = c % kVelocityLevels;
    return true;
}

std::int64_t encodeDrums(const DrumToken& t) {
    check(t.velocity >= 0 && t.velocity < kVelocityLevels, "drum velocity");
    return static_cast<std::int64_t>(t.mask) * kVelocityLevels + t.velocity;
}

bool decodeDrums(std::int64_t code, DrumToken& out) {
    if (code < 0 || code >= kDrumCodes) return false;
    out.mask = static_cast<std::uint8_t>(code / kVelocityLevels);
    out.velocity = static_cast<int>(code % kVelocityLevels);
    return true;
}

std::int64_t encodeTexture(const TextureToken& t) {
    check(t.genre >= 0 && t.genre < kNumGenres, "genre");
    check(t.variant >= 0 && t.variant < kNumVariants, "variant");
    check(t.loudness >= 0 && t.loudness < kLoudnessLevels, "loudness");
    check(t.tempo >= 0 && t.tempo < kNumTempos, "tempo");
    check(t.brightness >= 0 && t.brightness < kBrightnessLevels, "brightness");
    check(t.layer >= 0 && t.layer < kNumLayers, "layer");
    std::int64_t c = t.genre;
    c = c * kNumVariants + t.variant;
    c = c * kLoudnessLevels + t.loudness;
    c = c * kNumTempos + t.tempo;
    c = c * kBrightnessLevels + t.brightness;
    return c * kNumLayers + t.layer;
}

bool decodeTexture(std::int64_t code, TextureToken& out) {
    if (code < 0 || code >= kTextureCodes) return false;
    int c = static_cast<int>(code);
    out.layer = c % kNumLayers, c /= kNumLayers;
    out.brightness = c % kBrightnessLevels, c /= kBrightnessLevels;
    out.tempo = c % kNumTempos, c /= kNumTempos;
    out.loudness = c % kLoudnessLevels, c /= kLoudnessLevels;
    out.variant = c % kNumVariants, c /= kNumVariants;
    out.genre = c;
    return true;
}

int chordIntervals(int quality, int iv[4]) {
    switch (quality) {
    case kMajor:
        iv[0] = 0, iv[1] = 4, iv[2] = 7;
        return 3;
    case kMinor:
        iv[0] = 0, iv[1] = 3, iv[2] = 7;
        return 3;
    case kDom7:
        iv[0] = 0, iv[1] = 4, iv[2] = 7, iv[3] = 10;
        return 4;
    case kMaj7:
        iv[0] = 0, iv[1] = 4, iv[2] = 7, iv[3] = 11;
        return 4;
    case kMin7:
        iv[0] = 0, iv[1] = 3, iv[2] = 7, iv[3] = 10;
        return 4;
    case kHalfDim:
        iv[0] = 0, iv[1] = 3, iv[2] = 6, iv[3] = 10;
        return 4;
    case kDim:
        iv[0] = 0, iv[1] = 3, iv[2] = 6, iv[3] = 9;
        return 4;
    default:
        iv[0] = 0, iv[1] = 7, iv[2] = 12;
        return 3; // power chord: root, fifth, octave
    }
}

int bassPitch(int chord, int move) {
    if (chord < 0 || chord >= kNumChords || move < kBassRoot) return -1;
    const int root = chord / kNumQualities, quality = chord % kNumQualities;
    int iv[4];
    const int n = chordIntervals(quality, iv);
    const int low = 28 + ((root - 4 + 12) % 12); // E1 .. D#2
    switch (move) {
    case kBassRoot:
        return low;
    case kBassOctave:
        return low + 12;
    case kBassThird:
        return low + (quality == kPower ? 7 : iv[1]);
    case kBassFifth:
        return low + (quality == kPower ? 7 : iv[2]);
    case kBassSeventh:
        return low + (n == 4 ? iv[3] : 10);
    default:
        return -1;
    }
}

int chordVoicing(int chord, int low, bool power, int pitches[4]) {
    const int root = chord / kNumQualities;
    auto place = [low](int pc) { return low + ((pc - low) % 12 + 12) % 12; };
    if (power) {
        const int r = place(root);
        pitches[0] = r, pitches[1] = r + 7, pitches[2] = r + 12;
        return 3;
    }
    int iv[4];
    const int n = chordIntervals(chord % kNumQualities, iv);
    for (int k = 0; k < n; ++k)
        pitches[k] = place((root + iv[k]) % 12);
    return n;
}

} // namespace moodsteer::synth
