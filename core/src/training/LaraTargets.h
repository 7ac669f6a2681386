// The audio-understanding features LARA-Gen's proxy network learns to predict: the embedded
// DSP feature encoder's frames mean-pooled over consecutive windows.
#pragma once

#include "core/audio/AudioBuffer.h"

#include <vector>

namespace moodsteer {

/// One feature vector per complete window of `windowSamples` samples.
std::vector<std::vector<float>> laraWindowFeatures(const AudioBuffer& audio, int windowSamples);

} // namespace moodsteer
