// The piece a variation starts from, read from what the user has: a codes file
// (.safetensors, SynthCodec), the recipe of an embedded-model clip (.json, regenerated
// exactly with the embedded model), a Standard MIDI File (.mid, imported by MidiReader).
// Torch-free.
#pragma once

#include "core/audio/AudioCodec.h"

#include <string>

namespace moodsteer {

/// Throws VariationError with one line naming the file: missing, unreadable, not SynthCodec
/// codes, a recipe of another model, or an unknown extension.
CodeGrid loadVariationSource(const std::string& path);

} // namespace moodsteer
