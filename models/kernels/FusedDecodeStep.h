// One decoder layer for the one-token decode step (T = 1, at most kFusedDecodeMaxItems rows: the
// CFG step of one take has 2),
// as plain loops over reused buffers instead of ~40 LibTorch ops: layer norms, the 1-token
// query against the self-attention cache and against the precomputed cross keys/values
// (softmax in float32), GELU, residual adds. At ~5 us of dispatch per op that overhead was
// ~5 ms per musicgen-small step, 30 % of the int8 bandwidth floor. The projections go through
// the same ReducedLinear copies as MusicgenDecoderLayerImpl::forward(), and the hooks are called
// at the same points with fresh tensors, so the result equals forward()'s up to float32
// summation order (the tests hold it to 1e-5 relative). Inference only: no autograd.
#pragma once

#include "MusicgenDecoderLayer.h"

namespace moodsteer::models {

/// Whether `layer` can take the fused step for the residual `h` ([B, 1, D],
/// B <= kFusedDecodeMaxItems) with this layer's self-attention cache `kv` ([B, H, capacity,
/// head_dim]: float32, bf16, or int8 codes with float32 scales [B, H, capacity]) and the
/// cross-attention cache: float32 contiguous tensors, inference copies current, gradient mode
/// off.
bool fusedDecodeSupported(const MusicgenDecoderLayerImpl& layer, const torch::Tensor& h,
                          int layerIndex, const CrossAttentionCache& cross, const LayerKv& kv);

/// The same as layer.forward(h, layerIndex, cross, &kv, past, hooks) for one token; writes the
/// new key/value at position `past`. Returns a new tensor [B, 1, D].
torch::Tensor fusedDecodeLayer(const MusicgenDecoderLayerImpl& layer, const torch::Tensor& h,
                               int layerIndex, const CrossAttentionCache& cross, LayerKv& kv,
                               int64_t past, const DecoderHooks* hooks);

/// One head row (hd floats) of the int8 KV cache: writes its codes round(x / s), clamped to
/// [-127, 127] and rounded half to even, and returns s = max|x| / 127 (0 for an all-zero row).
/// Equal, code for code, to MusicgenAttentionImpl::quantiseRows, which the prefill uses.
float quantiseCacheRow(const float* x, int64_t hd, int8_t* codes);

} // namespace moodsteer::models
