// The conditional latent diffusion model of the variation generator (issue #21, stage 2): a
// 1D U-Net over the VAE's latent sequence (two resolutions, a self-attention in the middle)
// with a sinusoidal timestep embedding applied by FiLM in every residual block and
// cross-attention at every level to the condition tokens:
//   - one token per latent frame of the attention curve (arousal, onset density, loudness),
//   - one summary token per latent subspace (time mean and spread of the input's latent),
//   - one token for genre, instrument variant and tempo.
// With curve_input (every model trained since the first shipped one) the attention curve also
// enters the first convolution frame by frame, beside x_t, with a presence channel: the
// U-Net's queries carry no position, so through cross-attention alone a latent frame cannot
// find its own curve value, and a free sample (similarity 1) kept neither the input's arousal
// level nor its shape.
// Classifier-free guidance: a learned null token replaces every condition token (training
// drops the condition with some probability). It predicts the noise (epsilon) under the
// cosine schedule of Nichol & Dhariwal (2021); DDIM (eta = 0) samples it.
//
// The config mirrors config.json's "diffusion" object; parameter names equal the file's keys.
#pragma once

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <vector>

namespace moodsteer::models {

struct LatentDiffusionConfig {
    int latentChannels = 24;
    int subspaces = 3; ///< latentChannels / subspaces channels per summary token
    int curveChannels = 3;
    std::vector<int> globalSizes{4, 2, 5};
    int width = 64; ///< level 0; level 1 has twice as many channels
    int conditionWidth = 64;
    int heads = 4;
    int timesteps = 1000;
    /// The curve is also a frame-aligned input of the U-Net (absent in a file: false, the
    /// architecture of the first shipped model).
    bool curveInput = true;

    nlohmann::json toJson() const;
    /// Throws std::runtime_error naming the bad field.
    static LatentDiffusionConfig fromJson(const nlohmann::json& j);
};

/// The cosine schedule: alphaBar[t] for t = 0..T-1 (index t is the noise level after t + 1
/// steps), from beta_t = min(1 - f(t + 1) / f(t), 0.999), f(t) = cos^2((t/T + 0.008) / 1.008
/// * pi/2).
std::vector<double> cosineAlphaBars(int timesteps);

/// One DDIM step (eta = 0) from x_t to x_prev given the predicted noise:
/// x0 = (x_t - sqrt(1 - aBar_t) eps) / sqrt(aBar_t); x_prev = sqrt(aBarPrev) x0 +
/// sqrt(1 - aBarPrev) eps. aBarPrev = 1 for the last step (to x0).
torch::Tensor ddimStep(const torch::Tensor& xt, const torch::Tensor& eps, double alphaBar,
                       double alphaBarPrev);

/// GroupNorm -> SiLU -> conv, FiLM by the timestep embedding, GroupNorm -> SiLU -> conv, plus
/// a (1x1 when the widths differ) skip.
class FilmResBlockImpl : public torch::nn::Module {
  public:
    FilmResBlockImpl(int in, int out, int embedWidth);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& temb);

  private:
    torch::nn::GroupNorm norm1_{nullptr}, norm2_{nullptr};
    torch::nn::Conv1d conv1_{nullptr}, conv2_{nullptr}, skip_{nullptr};
    torch::nn::Linear film_{nullptr};
};
TORCH_MODULE(FilmResBlock);

/// Multi-head attention of a [B, C, L] sequence to context tokens [B, M, Dc] (self-attention
/// when the context is the sequence itself), residual.
class SequenceAttentionImpl : public torch::nn::Module {
  public:
    SequenceAttentionImpl(int channels, int contextWidth, int heads);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context);

  private:
    int heads_;
    torch::nn::GroupNorm norm_{nullptr};
    torch::nn::Linear q_{nullptr}, k_{nullptr}, v_{nullptr}, out_{nullptr};
};
TORCH_MODULE(SequenceAttention);

class LatentDiffusionImpl : public torch::nn::Module {
  public:
    explicit LatentDiffusionImpl(LatentDiffusionConfig config);

    /// Condition tokens [B, L + subspaces + 1, conditionWidth] from the attention curve
    /// [B, curveChannels, L], the input latent [B, C, Lin] (any length; only its time
    /// statistics are used) and the globals [B, G]. `dropped` [B] bool: those rows get the
    /// null tokens (classifier-free guidance); `summaryDropped` (optional), [B] or
    /// [B, subspaces]: those rows (or those subspaces of a row) get the null token in place of
    /// their input-summary tokens only.
    torch::Tensor condition(const torch::Tensor& curve, const torch::Tensor& inputLatent,
                            const torch::Tensor& globals, const torch::Tensor& dropped,
                            const torch::Tensor& summaryDropped = {});
    /// Predicted noise for x_t [B, C, L] (L even) at integer timesteps t [B]. With
    /// config().curveInput, `curve` [B, curveChannels, L] (the same curve as condition()'s)
    /// and `dropped` [B] are needed: the dropped rows see no curve (zeros and presence 0);
    /// without it they are not used. Throws std::invalid_argument on wrong shapes.
    torch::Tensor forward(const torch::Tensor& xt, const torch::Tensor& t,
                          const torch::Tensor& condition, const torch::Tensor& curve = {},
                          const torch::Tensor& dropped = {});

    const LatentDiffusionConfig& config() const { return config_; }

  private:
    torch::Tensor timestepEmbedding(const torch::Tensor& t);

    LatentDiffusionConfig config_;
    torch::nn::Linear time1_{nullptr}, time2_{nullptr}, summary_{nullptr};
    torch::nn::Conv1d curveIn_{nullptr}, in_{nullptr}, down_{nullptr}, up_{nullptr}, out_{nullptr};
    torch::nn::ModuleList globalEmbeddings_;
    torch::Tensor null_;
    FilmResBlock res0_{nullptr}, res1_{nullptr}, mid1_{nullptr}, mid2_{nullptr}, resUp_{nullptr};
    SequenceAttention cross0_{nullptr}, cross1_{nullptr}, midSelf_{nullptr}, crossUp_{nullptr};
    torch::nn::GroupNorm outNorm_{nullptr};
};
TORCH_MODULE(LatentDiffusion);

} // namespace moodsteer::models
