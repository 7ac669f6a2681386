#include "Band.h"

#include <algorithm>

namespace moodsteer::synth {

namespace {
using I = Instrument;
// Index genre * kNumVariants + variant; genre order as in Composer::genres().
// clang-format off
// comp, pad, bass, melody models | their GM programs | compLow, padLow, bassShift |
// gains comp, pad, bass, melody, drums | reverb | electronic kit | names for prompts
const Band kBands[kNumGenres * kNumVariants] = {
    // classical: solo piano (strings layer); string ensemble
    {I::Piano, I::Strings, I::Piano, I::Piano, 0, 48, 0, 0, 53, 62, 0,
     1.0, 0.4, 1.2, 1.4, 0.5, 0.32, false, "piano", "piano", "piano", "strings"},
    {I::Strings, I::Strings, I::Strings, I::Strings, 48, 48, 42, 40, 55, 67, 12,
     0.9, 0.4, 1.1, 1.1, 0.5, 0.3, false, "string ensemble", "cello", "violin", "strings"},
    // electronic: pad + saw lead; plucked stabs + pluck lead
    {I::SynthPad, I::SynthPad, I::SynthBass, I::SawLead, 89, 89, 38, 81, 57, 64, 12,
     0.4, 0.22, 0.55, 0.42, 0.85, 0.2, true, "synth pad", "synth bass", "saw lead", "synth pad"},
    {I::PluckLead, I::SynthPad, I::SynthBass, I::PluckLead, 80, 89, 38, 80, 60, 57, 12,
     0.35, 0.25, 0.55, 0.5, 0.85, 0.22, true, "synth stabs", "synth bass", "pluck synth", "synth pad"},
    // jazz: piano trio (strings layer); vibraphone quartet (organ layer)
    {I::Piano, I::Strings, I::UprightBass, I::Piano, 0, 48, 32, 0, 52, 60, 0,
     0.7, 0.3, 1.5, 1.1, 0.6, 0.18, false, "piano", "upright bass", "piano", "strings"},
    {I::Piano, I::Organ, I::UprightBass, I::Vibes, 0, 16, 32, 11, 52, 60, 0,
     0.65, 0.3, 1.5, 0.9, 0.6, 0.2, false, "piano", "upright bass", "vibraphone", "organ"},
    // rock: distorted guitars (organ layer); guitar + organ lead (pad layer)
    {I::DistGuitar, I::Organ, I::PickBass, I::DistGuitar, 30, 16, 34, 30, 40, 60, 0,
     0.3, 0.14, 0.8, 0.3, 0.75, 0.12, false, "distorted guitar", "electric bass", "lead guitar", "organ"},
    {I::DistGuitar, I::SynthPad, I::PickBass, I::Organ, 30, 89, 34, 16, 40, 60, 0,
     0.3, 0.15, 0.8, 0.45, 0.75, 0.12, false, "distorted guitar", "electric bass", "organ", "synth pad"},
};
// clang-format on
} // namespace

const Band& bandFor(int genre, int variant) {
    genre = std::clamp(genre, 0, kNumGenres - 1);
    variant = std::clamp(variant, 0, kNumVariants - 1);
    return kBands[genre * kNumVariants + variant];
}

} // namespace moodsteer::synth
