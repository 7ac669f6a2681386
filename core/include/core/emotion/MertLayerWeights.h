// The MERT head's layer-weighted mean of hidden states (as in SUPERB-style probing): one
// non-negative weight per hidden state 0..N, summing to 1, learned jointly with a linear
// valence/arousal readout on every layer's clip-level features, then frozen. The ridge head is
// trained on the weighted features afterwards (train-emotion --encoder mert --layer weighted).
// Torch-free header.
#pragma once

#include "core/emotion/EmotionPredictor.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace moodsteer {

struct LayerWeightOptions {
    int steps = 400;
    double learningRate = 0.05;
    double weightDecay = 1e-2; ///< on the linear readout
    uint64_t seed = 1;
};

/// `examples` hold every layer side by side (kMertAllLayers: `layers` x `dims` features per
/// window). Returns `layers` weights (softmax of learned logits). Deterministic. Throws
/// std::invalid_argument when the feature sizes do not match or there are fewer than 4 clips.
std::vector<float> learnLayerWeights(const std::vector<EmotionExample>& examples, int layers,
                                     int dims, const LayerWeightOptions& options = {},
                                     const std::function<void(const std::string&)>& log = nullptr);

/// The same examples with each window reduced to the weighted mean of its layers (`dims`
/// features), exactly what an encoder with these layer weights computes (windows are frame
/// means, and the mean commutes with the weighted sum).
std::vector<EmotionExample> weightLayers(const std::vector<EmotionExample>& examples,
                                         const std::vector<float>& weights, int dims);

} // namespace moodsteer
