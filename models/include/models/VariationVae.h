// The VAE of the variation generator (issue #21, stage 1): SynthCodec frames factored into
// their fields (core/src/variations/VariationFields.h) -> three encoder branches, one per
// latent subspace (melody, rhythm, harmony), each reading only its own fields and
// downsampling time x4 -> mu, logvar per latent frame -> one decoder over all subspaces ->
// categorical logits per field and Bernoulli logits per drum. Genre, instrument variant and
// tempo (global to a segment) condition both sides. Fully convolutional: any length that is a
// multiple of 4 frames.
//
// The config mirrors config.json's "vae" object; parameter names equal the file's keys.
#pragma once

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <string>
#include <vector>

namespace moodsteer::models {

struct VariationVaeConfig {
    /// Categorical fields per frame (sizes); their order is VariationFields' order.
    std::vector<int> categoricalSizes{12, 8, 3, 7, 66, 8, 8, 8, 3, 2};
    int bernoulliFields = 8;               ///< drum hits
    std::vector<int> globalSizes{4, 2, 5}; ///< genre, variant, tempo
    std::vector<std::string> subspaceNames{"melody", "rhythm", "harmony"};
    /// Categorical fields each subspace's encoder reads; `subspaceBernoulli` says which one
    /// reads the drum hits.
    std::vector<std::vector<int>> subspaceFields{{4, 5}, {2, 6, 7, 8, 9}, {0, 1, 3}};
    std::vector<int> subspaceBernoulli{0, 1, 0};
    int latentPerSubspace = 8;
    int encoderWidth = 64;
    int decoderWidth = 128;
    int blocksPerStage = 2;
    static constexpr int kDownsample = 4; ///< two stride-2 stages

    int latentChannels() const {
        return latentPerSubspace * static_cast<int>(subspaceNames.size());
    }
    int categoricalTotal() const;
    nlohmann::json toJson() const;
    /// Throws std::runtime_error naming the bad field.
    static VariationVaeConfig fromJson(const nlohmann::json& j);
};

/// x + conv(gelu(norm(conv(gelu(norm(x)))))) with a dilation: the residual unit of both
/// sides.
class VaeResBlockImpl : public torch::nn::Module {
  public:
    VaeResBlockImpl(int channels, int dilation);
    torch::Tensor forward(const torch::Tensor& x);

  private:
    torch::nn::GroupNorm norm1_{nullptr}, norm2_{nullptr};
    torch::nn::Conv1d conv1_{nullptr}, conv2_{nullptr};
};
TORCH_MODULE(VaeResBlock);

/// One subspace's encoder: its fields' embeddings (+ globals) -> blocks, two stride-2
/// downsamplings -> mu and logvar.
class VaeEncoderBranchImpl : public torch::nn::Module {
  public:
    VaeEncoderBranchImpl(const VariationVaeConfig& c, int subspace);
    /// cat [B, T, Fc] int64, bern [B, T, Fb] float, globals [B, G] int64 -> [B, 2 * latent, T/4]
    torch::Tensor forward(const torch::Tensor& cat, const torch::Tensor& bern,
                          const torch::Tensor& globals);

  private:
    std::vector<int> fields_;
    bool readsBernoulli_ = false;
    torch::nn::ModuleList embeddings_, globalEmbeddings_, blocks_;
    torch::nn::Linear bernoulliIn_{nullptr};
    torch::nn::Conv1d stem_{nullptr}, down1_{nullptr}, down2_{nullptr}, head_{nullptr};
    int blocksPerStage_ = 2;
};
TORCH_MODULE(VaeEncoderBranch);

struct VaePosterior {
    torch::Tensor mu, logvar; ///< [B, C, L], subspaces in config order
};

struct VaeLosses {
    torch::Tensor reconstruction; ///< mean over frames of the summed field NLLs
    std::vector<double> fieldNll; ///< per categorical field, then "drums" (detached)
};

class VariationVaeImpl : public torch::nn::Module {
  public:
    explicit VariationVaeImpl(VariationVaeConfig config);

    VaePosterior encode(const torch::Tensor& cat, const torch::Tensor& bern,
                        const torch::Tensor& globals);
    /// z [B, C, L] -> logits [B, 4L, categoricalTotal + bernoulliFields].
    torch::Tensor decode(const torch::Tensor& z, const torch::Tensor& globals);
    /// Cross-entropy of every categorical field plus binary cross-entropy of the drums.
    VaeLosses losses(const torch::Tensor& logits, const torch::Tensor& cat,
                     const torch::Tensor& bern) const;
    /// Most likely fields: cat [B, T, Fc] int64 and bern [B, T, Fb] (0/1, int64).
    std::pair<torch::Tensor, torch::Tensor> argmax(const torch::Tensor& logits) const;

    const VariationVaeConfig& config() const { return config_; }

  private:
    VariationVaeConfig config_;
    torch::nn::ModuleList branches_, decoderGlobals_, blocks_;
    torch::nn::Conv1d decoderIn_{nullptr}, head_{nullptr};
    torch::nn::ConvTranspose1d up1_{nullptr}, up2_{nullptr};
};
TORCH_MODULE(VariationVae);

} // namespace moodsteer::models
