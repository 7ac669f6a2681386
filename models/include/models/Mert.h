// MERT-v1-95M audio encoder (HuBERT-base architecture; inference path of Hugging Face's
// HubertModel / MERT's remote-code MERTModel with its CQT branch off). The module tree equals
// the checkpoint's key tree: feature_extractor.conv_layers.N.conv, feature_projection.*,
// encoder.pos_conv_embed.conv, encoder.layer_norm, encoder.layers.N.{attention,feed_forward,..}.
// Semantics (normalisation, frame count, even-kernel positional conv) follow
// ../shared/parity/mert/README.md.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <string>
#include <vector>

namespace moodsteer::models {

/// Mirrors the fields of a HubertConfig / MERTConfig config.json (MERT-v1-95M values).
struct MertConfig {
    std::vector<int64_t> conv_dim;              ///< [512] * 7
    std::vector<int64_t> conv_kernel;           ///< [10, 3, 3, 3, 3, 2, 2]
    std::vector<int64_t> conv_stride;           ///< [5, 2, 2, 2, 2, 2, 2]
    bool conv_bias = false;                     ///< false
    std::string feat_extract_norm = "group";    ///< "group" (only "group" is supported)
    bool feat_proj_layer_norm = true;           ///< true
    int64_t hidden_size = 768;                  ///< 768
    int64_t num_hidden_layers = 12;             ///< 12
    int64_t num_attention_heads = 12;           ///< 12
    int64_t intermediate_size = 3072;           ///< 3072
    int64_t num_conv_pos_embeddings = 128;      ///< 128
    int64_t num_conv_pos_embedding_groups = 16; ///< 16
    double layer_norm_eps = 1e-5;               ///< 1e-5
    bool do_stable_layer_norm = false;          ///< false (true = MERT-330M, not supported)
    int sample_rate = 24000;                    ///< MERT: 24000 (from preprocessor_config.json)

    /// Parses config.json (and preprocessor_config.json's sampling_rate when present in the
    /// same folder); throws naming the file and field for anything unsupported.
    static MertConfig fromFolder(const std::string& dir);
    /// Frames produced for `samples` input samples: the valid-conv formula per layer.
    int64_t framesFor(int64_t samples) const;
    /// Input samples per output frame (320 for MERT).
    int64_t hop() const;
};

/// Every intermediate the parity fixtures check; all (batch, frames, channels) except conv0.
struct MertOutput {
    torch::Tensor conv0Output;               ///< (B, C, T0) after GroupNorm + GELU
    torch::Tensor extractFeatures;           ///< (B, frames, conv_dim[-1])
    torch::Tensor featureProjection;         ///< (B, frames, hidden)
    torch::Tensor posConvEmbed;              ///< (B, frames, hidden)
    std::vector<torch::Tensor> hiddenStates; ///< num_hidden_layers + 1 entries
};

class MertConvLayerImpl : public torch::nn::Module {
  public:
    MertConvLayerImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, bool bias,
                      bool groupNorm);
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::Conv1d conv{nullptr};
    torch::nn::GroupNorm layer_norm{nullptr}; ///< layer 0 only (the checkpoint's name)
};
TORCH_MODULE(MertConvLayer);

class MertAttentionImpl : public torch::nn::Module {
  public:
    MertAttentionImpl(int64_t hidden, int64_t heads);
    torch::Tensor forward(const torch::Tensor& x);

    int64_t heads;
    torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};
};
TORCH_MODULE(MertAttention);

class MertFeedForwardImpl : public torch::nn::Module {
  public:
    MertFeedForwardImpl(int64_t hidden, int64_t intermediate);
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::Linear intermediate_dense{nullptr}, output_dense{nullptr};
};
TORCH_MODULE(MertFeedForward);

/// Post-norm encoder layer: h = LN1(h + Attn(h)); h = LN2(h + FFN(h)).
class MertEncoderLayerImpl : public torch::nn::Module {
  public:
    explicit MertEncoderLayerImpl(const MertConfig& c);
    torch::Tensor forward(const torch::Tensor& x);

    MertAttention attention{nullptr};
    torch::nn::LayerNorm layer_norm{nullptr};
    MertFeedForward feed_forward{nullptr};
    torch::nn::LayerNorm final_layer_norm{nullptr};
};
TORCH_MODULE(MertEncoderLayer);

class MertModelImpl : public torch::nn::Module {
  public:
    explicit MertModelImpl(MertConfig config);

    /// Wav2Vec2FeatureExtractor normalisation: (x - mean) / sqrt(var + 1e-7), population
    /// variance over the whole clip (mean/var accumulated in double). `x` is (B, n).
    static torch::Tensor normalize(const torch::Tensor& x);

    /// `inputValues` (B, n) at 24 kHz, already normalised (or raw, for the AudioCraft path).
    /// Throws when n is shorter than the receptive field (400 samples for MERT).
    MertOutput forward(const torch::Tensor& inputValues, bool keepIntermediates = true);

    const MertConfig& config() const { return config_; }

    // Module tree = checkpoint key tree (registered in the constructor).
    std::shared_ptr<torch::nn::Module> feature_extractor, feature_projection, encoder;
    torch::nn::ModuleList conv_layers;
    torch::nn::LayerNorm projection_norm{nullptr};
    torch::nn::Linear projection{nullptr};
    torch::nn::Conv1d pos_conv{nullptr};
    torch::nn::LayerNorm encoder_norm{nullptr};
    torch::nn::ModuleList layers;

  private:
    MertConfig config_;
};
TORCH_MODULE(MertModel);

/// Loads a Hugging Face MERT/HuBERT folder (config.json + model.safetensors) strictly:
/// every tensor checked by name and shape, weight-norm pairs folded (either naming),
/// `masked_spec_embed` (training-only) allowed unused, any other unused tensor an error.
MertModel loadMert(const std::string& dir);

} // namespace moodsteer::models
