#include "variations/VariationFields.h"

#include "synth/SynthTokens.h"

#include <algorithm>

namespace moodsteer::variations {

using namespace moodsteer::synth;

SegmentFields toFields(const CodeGrid& codes, int begin, int frames) {
    SegmentFields out;
    out.frames = frames;
    out.categorical.assign(static_cast<std::size_t>(frames) * kNumFields, 0);
    out.drums.assign(static_cast<std::size_t>(frames) * kDrumBits, 0.f);
    TextureToken first;
    decodeTexture(codes.at(kTextureStream, std::min(begin, codes.frames - 1)), first);
    out.globals = {first.genre, first.variant, first.tempo};
    for (int t = 0; t < frames; ++t) {
        const int src = std::min(begin + t, codes.frames - 1);
        const bool padding = begin + t >= codes.frames;
        auto* f = &out.categorical[static_cast<std::size_t>(t) * kNumFields];
        HarmonyToken h;
        decodeHarmony(codes.at(kHarmonyStream, src), h);
        f[kChordRoot] = h.chord / kNumQualities;
        f[kChordQuality] = h.chord % kNumQualities;
        TextureToken x;
        decodeTexture(codes.at(kTextureStream, src), x);
        f[kLoudness] = x.loudness;
        f[kBrightness] = x.brightness;
        f[kLayer] = x.layer;
        if (padding) continue; // events stay 0 (hold, no hit)
        f[kComp] = h.comp;
        f[kBass] = h.bass;
        MelodyToken m;
        decodeMelody(codes.at(kMelodyStream, src), m);
        f[kMelody] = m.kind == MelodyToken::kHold      ? 0
                     : m.kind == MelodyToken::kRelease ? 1
                                                       : 2 + (m.pitch - kMelodyLow);
        f[kMelodyVelocity] = m.kind == MelodyToken::kOnset ? m.velocity : 0;
        DrumToken d;
        decodeDrums(codes.at(kDrumStream, src), d);
        f[kDrumVelocity] = d.velocity;
        for (int b = 0; b < kDrumBits; ++b)
            out.drums[static_cast<std::size_t>(t) * kDrumBits + b] = (d.mask >> b) & 1 ? 1.f : 0.f;
    }
    return out;
}

CodeGrid fromFields(const std::int64_t* categorical, const std::int64_t* drums, int frames,
                    const CodeGrid& source, int sourceBegin) {
    CodeGrid out(kNumStreams, frames);
    for (int t = 0; t < frames; ++t) {
        const auto* f = categorical + static_cast<std::size_t>(t) * kNumFields;
        HarmonyToken h;
        h.chord = static_cast<int>(f[kChordRoot] * kNumQualities + f[kChordQuality]);
        h.comp = static_cast<int>(f[kComp]);
        h.bass = static_cast<int>(f[kBass]);
        out.at(kHarmonyStream, t) = encodeHarmony(h);
        MelodyToken m;
        if (f[kMelody] == 0) {
            m.kind = MelodyToken::kHold;
        } else if (f[kMelody] == 1) {
            m.kind = MelodyToken::kRelease;
        } else {
            m.kind = MelodyToken::kOnset;
            m.pitch = static_cast<int>(f[kMelody] - 2 + kMelodyLow);
            m.velocity = static_cast<int>(f[kMelodyVelocity]);
        }
        out.at(kMelodyStream, t) = encodeMelody(m);
        DrumToken d;
        for (int b = 0; b < kDrumBits; ++b)
            if (drums[static_cast<std::size_t>(t) * kDrumBits + b] != 0) d.mask |= 1u << b;
        d.velocity = static_cast<int>(f[kDrumVelocity]);
        out.at(kDrumStream, t) = encodeDrums(d);
        TextureToken x;
        decodeTexture(source.at(kTextureStream, std::min(sourceBegin + t, source.frames - 1)), x);
        x.loudness = static_cast<int>(f[kLoudness]);
        x.brightness = static_cast<int>(f[kBrightness]);
        x.layer = static_cast<int>(f[kLayer]);
        out.at(kTextureStream, t) = encodeTexture(x);
    }
    return out;
}

std::vector<int> onsetsPerFrame(const CodeGrid& codes) {
    std::vector<int> out(static_cast<std::size_t>(codes.frames), 0);
    for (int t = 0; t < codes.frames; ++t) {
        int n = 0;
        HarmonyToken h;
        if (decodeHarmony(codes.at(kHarmonyStream, t), h))
            n += (h.comp == kCompStrike) + (h.bass >= kBassRoot);
        MelodyToken m;
        if (decodeMelody(codes.at(kMelodyStream, t), m)) n += m.kind == MelodyToken::kOnset;
        DrumToken d;
        if (decodeDrums(codes.at(kDrumStream, t), d))
            for (int b = 0; b < kDrumBits; ++b)
                n += (d.mask >> b) & 1;
        out[static_cast<std::size_t>(t)] = n;
    }
    return out;
}

} // namespace moodsteer::variations
