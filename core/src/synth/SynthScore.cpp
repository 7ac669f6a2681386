#include "core/synth/SynthScore.h"

#include "Band.h"
#include "SynthTokens.h"
#include "core/synth/SynthCodec.h"

#include <algorithm>

namespace moodsteer {

using namespace synth;

namespace {

// GM percussion keys for kKick .. kTom.
constexpr int kDrumKeys[kNumDrums] = {36, 38, 39, 42, 46, 51, 49, 45};

// The notes of one part that sound now (indices into the score), released together.
struct Held {
    std::vector<std::size_t> notes;
    void off(SynthScore& s, int frame, long tick) {
        for (std::size_t i : notes) {
            s.notes[i].endFrame = frame;
            s.notes[i].endTick = tick;
        }
        notes.clear();
    }
    bool sounds(const SynthScore& s, int key) const {
        return std::any_of(notes.begin(), notes.end(),
                           [&](std::size_t i) { return s.notes[i].key == key; });
    }
    void on(SynthScore& s, SynthPart part, int key, int velocity, int frame, long tick) {
        notes.push_back(s.notes.size());
        s.notes.push_back({part, key, std::clamp(velocity, 1, 127), frame, frame, tick, tick});
    }
};

} // namespace

int SynthScore::drumKey(int drum) {
    return kDrumKeys[std::clamp(drum, 0, kNumDrums - 1)];
}

SynthScore SynthScore::fromCodes(const CodeGrid& codes) {
    SynthCodec::validate(codes);
    SynthScore s;
    s.frames = codes.frames;
    TextureToken tex;
    int chord = -1, band = -1, tempo = -1;
    Held comp, pad, bass, melody;
    long tick = 0;
    for (int t = 0; t < codes.frames; ++t) {
        TextureToken nt = tex;
        decodeTexture(codes.at(kTextureStream, t), nt);
        const bool layerChanged = t == 0 || nt.layer != tex.layer;
        tex = nt;
        if (tex.tempo != tempo) {
            tempo = tex.tempo;
            s.tempos.push_back({t, tick, tempo});
        }
        const Band& b = bandFor(tex.genre, tex.variant);
        if (tex.genre * kNumVariants + tex.variant != band) {
            band = tex.genre * kNumVariants + tex.variant;
            s.bands.push_back({t, tick, tex.genre, tex.variant, b.compProgram, b.padProgram,
                               b.bassProgram, b.melodyProgram});
        }
        const int partVel = 40 + 10 * tex.loudness;

        bool padRefresh = layerChanged;
        HarmonyToken h;
        if (decodeHarmony(codes.at(kHarmonyStream, t), h)) {
            const bool changed = h.chord != chord;
            chord = h.chord;
            if (h.comp == kCompMute) comp.off(s, t, tick);
            if (h.comp == kCompStrike) {
                comp.off(s, t, tick);
                int p[4];
                const int n = chordVoicing(chord, b.compLow, b.comp == Instrument::DistGuitar, p);
                for (int k = 0; k < n; ++k)
                    if (!comp.sounds(s, p[k]))
                        comp.on(s, SynthPart::Chords, p[k], partVel, t, tick);
            }
            padRefresh = padRefresh || changed;
            if (h.bass == kBassRelease)
                bass.off(s, t, tick);
            else if (const int p = bassPitch(chord, h.bass); p >= 0) {
                bass.off(s, t, tick);
                bass.on(s, SynthPart::Bass, p + b.bassShift, partVel, t, tick);
            }
        }
        // The pad layer follows every chord change while the texture layer is on (as in
        // SynthEngine::startPad).
        if (padRefresh) {
            pad.off(s, t, tick);
            if (tex.layer == 1 && chord >= 0) {
                int p[4];
                const int n = chordVoicing(chord, b.padLow, false, p);
                for (int k = 0; k < n; ++k)
                    if (!pad.sounds(s, p[k]))
                        pad.on(s, SynthPart::Pad, p[k], partVel - 15, t, tick);
            }
        }

        MelodyToken m;
        if (decodeMelody(codes.at(kMelodyStream, t), m) && m.kind != MelodyToken::kHold) {
            melody.off(s, t, tick);
            if (m.kind == MelodyToken::kOnset)
                melody.on(s, SynthPart::Melody, m.pitch, 36 + 12 * m.velocity, t, tick);
        }

        const long next = tick + kTicksPerQuarter / (4 * framesPerSixteenth(tex.tempo));
        DrumToken d;
        if (decodeDrums(codes.at(kDrumStream, t), d))
            for (int k = 0; k < kNumDrums; ++k)
                if (d.mask & (1u << k))
                    s.notes.push_back({SynthPart::Drums, kDrumKeys[k],
                                       std::clamp(36 + 13 * d.velocity, 1, 127), t, t + 1, tick,
                                       next});
        tick = next;
    }
    for (Held* h : {&comp, &pad, &bass, &melody})
        h->off(s, codes.frames, tick);
    s.endTick = tick;
    return s;
}

} // namespace moodsteer
