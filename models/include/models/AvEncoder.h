// LARA-Gen's AV encoder: a small MLP mapping (valence, arousal) on the 1-9 scale, normalised
// to [-1, 1] by (x - 5) / 4, to one vector of the text-encoder width. The vector is appended
// as one extra token to the text memory, so cross-attention sees T_text + 1 tokens.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace moodsteer::models {

struct AvEncoderConfig {
    int64_t hidden_size = 128; ///< width of the hidden layer
    int64_t output_size = 0;   ///< = the text encoder's d_model

    static AvEncoderConfig fromJson(const nlohmann::json& j);
};

class AvEncoderImpl : public torch::nn::Module {
  public:
    explicit AvEncoderImpl(const AvEncoderConfig& config);
    /// va [B, 2] on the 1-9 scale -> [B, 1, output_size].
    torch::Tensor forward(const torch::Tensor& va);

  private:
    torch::nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
};
TORCH_MODULE(AvEncoder);

} // namespace moodsteer::models
