// LARA-Gen's proxy network (training only, dropped from the saved model): N learnable
// queries run through a small transformer decoder (self-attention among the queries,
// cross-attention to the LM's final hidden states, FFN) and a linear layer predicts the audio
// understanding model's pooled window features, one query per window.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace moodsteer::models {

struct LaraProxyConfig {
    int64_t lm_hidden_size = 256; ///< width of the LM hidden states it reads
    int64_t hidden_size = 128;
    int64_t num_heads = 4;
    int64_t num_layers = 2;
    int64_t num_queries = 4;   ///< = windows per training crop
    int64_t feature_size = 64; ///< width of the target features
};

class LaraProxyImpl : public torch::nn::Module {
  public:
    explicit LaraProxyImpl(const LaraProxyConfig& config);
    /// hidden [B, T, lm_hidden_size] -> predicted features [B, num_queries, feature_size].
    torch::Tensor forward(const torch::Tensor& hidden);
    const LaraProxyConfig& config() const { return config_; }

  private:
    LaraProxyConfig config_;
    torch::Tensor queries_;
    torch::nn::Linear inProj_{nullptr}, outProj_{nullptr};
    torch::nn::ModuleList layers_;
};
TORCH_MODULE(LaraProxy);

} // namespace moodsteer::models
