// The text-audio alignment model (a small CLAP): a text encoder (word embeddings, mean-pooled
// over the prompt's words, then a 2-layer MLP) and an audio encoder (a 2-layer MLP over one
// window's standardised DSP summary features) into one shared space, trained with the
// symmetric InfoNCE objective and a learnable temperature (CLAP, Elizalde et al. 2023; CLIP's
// logit scale). Both encoders return L2-normalised embeddings, so a dot product is a cosine.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <map>
#include <string>

namespace moodsteer::models {

struct AlignmentNetConfig {
    int64_t vocabSize = 0;     ///< word vocabulary incl. padding (0) and unknown (1)
    int64_t audioFeatures = 0; ///< size of one window's feature vector
    int64_t wordDim = 64;      ///< word embedding size
    int64_t hidden = 128;      ///< both encoders' hidden layer
    int64_t embedDim = 64;     ///< the shared space
    double dropout = 0.1;
};

class AlignmentNetImpl : public torch::nn::Module {
  public:
    static constexpr int64_t kPad = 0;
    static constexpr int64_t kUnknown = 1;

    explicit AlignmentNetImpl(const AlignmentNetConfig& config);

    /// (B, L) word ids, kPad after each prompt's words -> (B, embedDim), unit length. A row of
    /// only padding embeds as the mean of nothing (zeros) before the MLP.
    torch::Tensor encodeText(const torch::Tensor& ids);
    /// (B, audioFeatures) raw window features -> (B, embedDim), unit length.
    torch::Tensor encodeAudio(const torch::Tensor& features);
    /// exp(logit_scale), capped at 100 as in CLIP so the temperature cannot collapse.
    torch::Tensor scale() const;

    void setStandardisation(const torch::Tensor& mean, const torch::Tensor& std);
    const AlignmentNetConfig& config() const { return config_; }

    torch::nn::Embedding words{nullptr};
    torch::nn::Linear text_fc1{nullptr}, text_fc2{nullptr};
    torch::nn::Linear audio_fc1{nullptr}, audio_fc2{nullptr};
    torch::nn::Dropout dropout{nullptr};
    torch::Tensor logit_scale, feature_mean, feature_std;

  private:
    AlignmentNetConfig config_;
};
TORCH_MODULE(AlignmentNet);

/// Symmetric InfoNCE: logits = scale * A T^T (row i = audio i against every text), loss =
/// (CE(logits, diag) + CE(logits^T, diag)) / 2. `audio` and `text` are (B, D) unit vectors,
/// B >= 1; `scale` a scalar tensor. Throws std::invalid_argument for mismatched shapes.
torch::Tensor symmetricInfoNce(const torch::Tensor& audio, const torch::Tensor& text,
                               const torch::Tensor& scale);

/// Writes every parameter and buffer (as fp16 when `half`, else fp32) plus `metadata`
/// (safetensors, atomic).
void saveAlignmentNet(AlignmentNetImpl& net, const std::string& path,
                      const std::map<std::string, std::string>& metadata, bool half);
/// Reads a file written by saveAlignmentNet: sizes from the tensor shapes, strict loading
/// (errors name the file and tensor), eval mode, fp32. Metadata returned when non-null.
AlignmentNet loadAlignmentNet(const std::string& path,
                              std::map<std::string, std::string>* metadata = nullptr);

} // namespace moodsteer::models
