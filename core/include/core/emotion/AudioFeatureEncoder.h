// Audio -> frame features, the input of the Emotion Predictor (and of LARA-Gen's proxy target).
// Two implementations behind one interface: "dsp" (embedded, no weights: log-mel, loudness,
// spectral shape, onsets, chroma/key/mode, roughness, tempo) and "mert" (MERT-v1-95M from a
// Hugging Face folder, any layer or the mean of layers). Torch-free (pimpl).
#pragma once

#include "core/audio/AudioBuffer.h"

#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace moodsteer {

/// Row-major frames x dims matrix of float features.
struct FrameFeatures {
    int frames = 0;
    int dims = 0;
    std::vector<float> data; ///< frames * dims values

    std::span<const float> row(int frame) const {
        return {data.data() + static_cast<std::size_t>(frame) * dims,
                static_cast<std::size_t>(dims)};
    }
    float at(int frame, int dim) const {
        return data[static_cast<std::size_t>(frame) * dims + dim];
    }
    /// Mean over frames (a dims-long vector); throws std::invalid_argument when empty.
    std::vector<float> meanOverFrames() const;
};

/// MERT layer selections beside 0..num_hidden_layers: the mean of layers 1..N, a learned
/// weighted mean of layers 0..N (AudioFeatureEncoder::layerWeights()), and every layer side by
/// side ((N + 1) x hidden features per frame, what the layer weights are learned from).
inline constexpr int kMertMeanLayers = -1;
inline constexpr int kMertWeightedLayers = -2;
inline constexpr int kMertAllLayers = -3;

class AudioFeatureEncoder {
  public:
    virtual ~AudioFeatureEncoder() = default;

    /// "dsp" or "mert": recorded in emotion heads so a head is never fed another encoder.
    virtual std::string name() const = 0;
    /// Layer selection (MERT: 0..num_hidden_layers or one of the kMert* values); dsp: -1.
    virtual int layer() const { return -1; }
    /// How many layers' features encode() puts side by side (kMertAllLayers: N + 1), else 1.
    virtual int layerCount() const { return 1; }
    /// The weights of layers 0..N when layer() is kMertWeightedLayers; empty otherwise.
    virtual std::vector<float> layerWeights() const { return {}; }
    /// Sample rate the encoder works at; encode() resamples other rates itself.
    virtual int sampleRate() const = 0;
    /// Frames per second of encode()'s output.
    virtual double frameRate() const = 0;
    virtual int featureSize() const = 0;
    /// Shortest input (seconds) that yields at least one frame.
    virtual double minimumSeconds() const = 0;
    /// Names of the features (size featureSize()), for reports and docs.
    virtual std::vector<std::string> featureNames() const;
    /// Named groups of feature columns, for ablation (`train-emotion --exclude`); may be empty.
    virtual std::vector<std::pair<std::string, std::vector<int>>> featureFamilies() const {
        return {};
    }
    /// Identifies what encode() computes (kind, layer, sizes, feature version): the feature
    /// cache's key. Encoders with weights add what identifies their weights.
    virtual std::string signature() const;

    /// Frame features of a mono clip at any sample rate. Throws std::invalid_argument for an
    /// empty, too short or non-finite clip. Deterministic. Not thread-safe for one instance
    /// (MERT keeps state); use one encoder per thread.
    virtual FrameFeatures encode(const AudioBuffer& audio) const = 0;
};

/// `kind` "dsp" (modelDir, layer and weights ignored) or "mert" (modelDir = Hugging Face folder
/// with config.json + model.safetensors; layer as above; `layerWeights` (N + 1 non-negative
/// values summing to 1) select kMertWeightedLayers). Throws std::invalid_argument for an
/// unknown kind or bad weights, and the loader's error for a bad folder.
std::unique_ptr<AudioFeatureEncoder> makeFeatureEncoder(const std::string& kind,
                                                        const std::string& modelDir = "",
                                                        int layer = -1,
                                                        std::vector<float> layerWeights = {});

} // namespace moodsteer
