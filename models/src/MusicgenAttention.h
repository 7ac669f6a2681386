// transformers MusicgenAttention: multi-head attention with bias-free q/k/v/out projections,
// q scaled by head_dim^-0.5 and additive finfo(float).min masks. Used as the causal
// self-attention (with an in-place key/value cache) and as the cross-attention on the text
// memory (keys/values precomputed once per generation).
#pragma once

#include "models/MusicgenDecoder.h"
#include "models/ReducedLinear.h"

#include <utility>

namespace moodsteer::models {

class MusicgenAttentionImpl : public torch::nn::Module {
  public:
    MusicgenAttentionImpl(int64_t dim, int64_t heads);

    /// Causal self-attention of x [B, T, D] (already normalised). With a cache (LayerKv:
    /// float32, bf16 or int8 with scales) the new keys/values are written at [past, past + T)
    /// and the queries attend to [0, past + T); without, past must be 0.
    torch::Tensor selfAttention(const torch::Tensor& x, LayerKv* kv, int64_t past);
    /// x [B, H, T, hd] float32 as int8 codes [B, H, T, hd] and scales [B, H, T]: per row
    /// s = max|x| / 127, codes round_half_even(x / s) (0 for an all-zero row, whose s is 0),
    /// as the fused decode step computes them.
    static std::pair<torch::Tensor, torch::Tensor> quantiseRows(const torch::Tensor& x);
    /// Cross-attention of x [B, T, D] on precomputed keys/values [B, H, S, head_dim].
    torch::Tensor crossAttention(const torch::Tensor& x, const torch::Tensor& keys,
                                 const torch::Tensor& values,
                                 const CrossAttentionCache& cross) const;
    /// Keys and values [B, H, S, head_dim] of a memory [B, S, D].
    std::pair<torch::Tensor, torch::Tensor> projectMemory(const torch::Tensor& memory) const;

    /// Builds the inference copies of the projections at `precision` (see ReducedLinear.h):
    /// q/k/v stacked into one for self-attention, q alone for cross-attention, and out.
    /// Gradient-mode passes and stale copies use the parameters instead.
    void setPrecision(WeightPrecision precision, bool self);
    /// Drops the inference copies (e.g. when the parameters are not float32).
    void clearPrecision();
    /// After setPrecision(bf16 or int8): keeps only the reduced copies of the projections they
    /// cover and frees those float32 weights (cross-attention k/v stay: they project the text
    /// memory once per generation). Returns the number of weights freed.
    int64_t releaseFloatWeights(bool self);
    /// Bytes of projection weights a one-token pass streams (0 before setPrecision).
    double decodeBytes() const;

    /// Whether the inference copies are current (ReducedLinear::current()), so that the fused
    /// decode step (kernels/FusedDecodeStep.h) may use them: stacked q/k/v and out for
    /// self-attention (`self`), q and out for cross-attention.
    bool decodeReady(bool self) const;
    const ReducedLinear& fastQkv() const { return fastQkv_; }
    const ReducedLinear& fastQ() const { return fastQ_; }
    const ReducedLinear& fastOut() const { return fastOut_; }
    int64_t heads() const { return heads_; }
    int64_t headDim() const { return headDim_; }
    /// head_dim^-0.5, applied to the query projection's output.
    double scale() const { return scale_; }

    /// An additive mask of `shape` in `dtype`: 0 where `keep`, torch.finfo(dtype).min (the
    /// value upstream uses) elsewhere. keep: bool, broadcastable to `shape`.
    static torch::Tensor additiveMask(at::IntArrayRef shape, const at::Tensor& keep,
                                      const at::TensorOptions& options);

    torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};

  private:
    torch::Tensor splitHeads(const torch::Tensor& x) const; // [B, T, D] -> [B, H, T, hd]
    torch::Tensor mergeHeads(const torch::Tensor& x) const; // [B, H, T, hd] -> [B, T, D]

    int64_t dim_, heads_, headDim_;
    double scale_;
    ReducedLinear fastQkv_, fastQ_, fastOut_; // derived from the parameters (ReducedLinear.h)
};
TORCH_MODULE(MusicgenAttention);

} // namespace moodsteer::models
