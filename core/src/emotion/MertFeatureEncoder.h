// The "mert" feature encoder: MERT-v1-95M (or any HuBERT-base-style folder) through
// models::MertModel. Audio is resampled to the model's rate (24 kHz) and normalised the way
// MERT's own feature extractor does (zero mean, unit variance over the clip), then one hidden
// layer, the mean of the transformer layers' outputs, a learned weighted mean of all layers, or
// all layers side by side is returned at 75 frames/s.
#pragma once

#include "core/emotion/AudioFeatureEncoder.h"

#include <memory>

namespace moodsteer {

class MertFeatureEncoder : public AudioFeatureEncoder {
  public:
    /// `layer` 0..num_hidden_layers (0 = the encoder's input after its LayerNorm),
    /// kMertMeanLayers (layers 1..N) or kMertAllLayers; non-empty `layerWeights` (N + 1
    /// non-negative, summing to 1) select their weighted mean of layers 0..N. Throws naming
    /// the folder, the layer or the weights.
    MertFeatureEncoder(const std::string& modelDir, int layer,
                       std::vector<float> layerWeights = {});
    ~MertFeatureEncoder() override;

    std::string name() const override { return "mert"; }
    int layer() const override { return layer_; }
    std::vector<float> layerWeights() const override { return weights_; }
    int layerCount() const override;
    int sampleRate() const override;
    double frameRate() const override;
    int featureSize() const override;
    double minimumSeconds() const override;
    FrameFeatures encode(const AudioBuffer& audio) const override;
    std::string signature() const override;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    int layer_;
    std::vector<float> weights_;
};

} // namespace moodsteer
