// The alignment model's audio input: a clip cut into windows of 10 s (a shorter clip is one
// window; a last part of at least 5 s is a window of its own), each heard at -23 LUFS (so the
// score does not follow the volume knob) and summarised by the embedded DSP encoder's frames:
// the mean of all its features and the spread of the frame-level ones. Torch-free; safe to call
// from several threads (one encoder per thread).
#pragma once

#include "core/audio/AudioBuffer.h"

#include <string>
#include <vector>

namespace moodsteer {

inline constexpr double kAlignmentWindowSeconds = 10.0;

/// One feature vector (alignmentFeatureSize() values) per window. Throws std::invalid_argument
/// for an empty, silent, non-finite or too short clip (shorter than one encoder frame).
std::vector<std::vector<float>> alignmentWindowFeatures(const AudioBuffer& audio);
int alignmentFeatureSize();
/// Identifies the features (the DSP encoder's signature and this summary): cached features and
/// a trained model record it, so a model is never fed other features.
std::string alignmentFeatureSignature();

} // namespace moodsteer
