// The "mert" feature encoder: MERT-v1-95M (or any HuBERT-base-style folder) through
// models::MertModel. Audio is resampled to the model's rate (24 kHz) and normalised the way
// MERT's own feature extractor does (zero mean, unit variance over the clip), then one hidden
// layer, or the mean of the transformer layers' outputs, is returned at 75 frames/s.
#pragma once

#include "core/emotion/AudioFeatureEncoder.h"

#include <memory>

namespace moodsteer {

class MertFeatureEncoder : public AudioFeatureEncoder {
  public:
    /// `layer` 0..num_hidden_layers (0 = the encoder's input after its LayerNorm), or -1 for
    /// the mean of layers 1..num_hidden_layers. Throws naming the folder or the layer.
    MertFeatureEncoder(const std::string& modelDir, int layer);
    ~MertFeatureEncoder() override;

    std::string name() const override { return "mert"; }
    int layer() const override { return layer_; }
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
};

} // namespace moodsteer
