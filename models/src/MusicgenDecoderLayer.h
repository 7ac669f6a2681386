// transformers MusicgenDecoderLayer: pre-LayerNorm causal self-attention, cross-attention on
// the text memory and a bias-free GELU MLP, each added to the residual stream.
#pragma once

#include "MusicgenAttention.h"

namespace moodsteer::models {

class MusicgenDecoderLayerImpl : public torch::nn::Module {
  public:
    explicit MusicgenDecoderLayerImpl(const MusicgenDecoderConfig& config);

    /// h: the residual stream [B, T, D]; returns the stream after this layer (a new tensor).
    /// kv: this layer's self-attention cache, or null.
    torch::Tensor forward(const torch::Tensor& h, int layer, const CrossAttentionCache& cross,
                          LayerKv* kv, int64_t past, const DecoderHooks* hooks);

    /// Inference copies of every projection at `precision` (see ReducedLinear.h).
    void setPrecision(WeightPrecision precision);
    /// Drops them (forward() then uses the parameters).
    void clearPrecision();
    /// After setPrecision(bf16 or int8): frees the float32 weights the copies cover (direct
    /// loading; see MusicgenForCausalLMImpl::DirectLoad). Returns the number of weights freed.
    int64_t releaseFloatWeights();
    /// Bytes of weights a one-token pass streams (cross keys/values excluded).
    double decodeBytes() const;

    /// Whether every inference copy is current (ReducedLinear::current()), so that the fused
    /// decode step (kernels/FusedDecodeStep.h) computes the same function as forward().
    bool decodeReady() const;
    const ReducedLinear& fastFc1() const { return fastFc1_; }
    const ReducedLinear& fastFc2() const { return fastFc2_; }
    bool gelu() const { return gelu_; }

    MusicgenAttention self_attn{nullptr}, encoder_attn{nullptr};
    torch::nn::LayerNorm self_attn_layer_norm{nullptr}, encoder_attn_layer_norm{nullptr},
        final_layer_norm{nullptr};
    torch::nn::Linear fc1{nullptr}, fc2{nullptr};

  private:
    bool gelu_;
    ReducedLinear fastFc1_, fastFc2_;
};
TORCH_MODULE(MusicgenDecoderLayer);

} // namespace moodsteer::models
