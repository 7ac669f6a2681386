// SynthCodec frames factored into the fields the variation VAE reads and predicts
// (docs/variations.md): per frame 10 categorical fields and 8 drum bits; per segment the
// globals genre, instrument variant and tempo (taken from the segment's first frame; the
// decoder's output carries every frame's own values over from the source instead).
// Torch-free.
#pragma once

#include "core/audio/AudioCodec.h"

#include <array>
#include <cstdint>
#include <vector>

namespace moodsteer::variations {

enum Field {
    kChordRoot,      ///< 12
    kChordQuality,   ///< 8
    kComp,           ///< 3: hold, strike, mute
    kBass,           ///< 7: BassMove
    kMelody,         ///< 66: 0 hold, 1 release, 2 + (pitch - 36) an onset
    kMelodyVelocity, ///< 8 (0 unless an onset)
    kDrumVelocity,   ///< 8
    kLoudness,       ///< 8
    kBrightness,     ///< 3
    kLayer,          ///< 2
    kNumFields
};
inline constexpr std::array<int, kNumFields> kFieldSizes{12, 8, 3, 7, 66, 8, 8, 8, 3, 2};
inline constexpr int kDrumBits = 8;
inline constexpr int kNumGlobals = 3; ///< genre (4), variant (2), tempo (5)

struct SegmentFields {
    int frames = 0;
    std::vector<std::int64_t> categorical; ///< frames x kNumFields, row-major
    std::vector<float> drums;              ///< frames x kDrumBits (0/1)
    std::array<std::int64_t, kNumGlobals> globals{};
};

/// Fields of frames [begin, begin + frames) of a SynthCodec grid; frames past the grid's end
/// are padding: the last frame's chord and texture held, no events. Unused codes read as hold.
SegmentFields toFields(const CodeGrid& codes, int begin, int frames);

/// Codes from fields (`frames` of them): streams 0-2 and the loudness/brightness/layer of
/// stream 3 from the fields, genre/variant/tempo of each frame from `source` (frame
/// sourceBegin + t, the last frame past its end).
CodeGrid fromFields(const std::int64_t* categorical, const std::int64_t* drums, int frames,
                    const CodeGrid& source, int sourceBegin);

/// Note and drum onsets on each frame (melody onsets, bass notes, comp strikes, drum hits).
std::vector<int> onsetsPerFrame(const CodeGrid& codes);

} // namespace moodsteer::variations
