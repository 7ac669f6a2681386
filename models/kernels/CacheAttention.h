// Causal attention of several new positions over the self-attention cache, for prefills (a
// session window's context, a continuation's prompt): query i of T attends to the cached
// positions [0, past + i] with the decode step's one-head kernels (Kernels.h: attendF32, -Bf16,
// -Int8), one (item, head) per task of at::parallel_for. LibTorch's path built three
// [B, H, T, past + T] float32 buffers per layer (scores, masked scores, softmax; 32 MB each for
// 500 positions of musicgen-small with CFG) and attended to the masked half too, and with an
// int8 cache dequantised all of it first; this reads the cache where it lies and computes only
// the causal half. Query i's output equals the decode step's at position past + i on the same
// cache, kernel for kernel. Inference only: no autograd.
#pragma once

#include "models/MusicgenDecoder.h"

#include <torch/types.h>

namespace moodsteer::models {

/// Whether cacheAttention() takes q ([B, H, T, hd] float32, already scaled) with this layer's
/// cache: gradient mode off, the cache [B, H, capacity, hd] contiguous (float32, bf16, or int8
/// codes with float32 scales [B, H, capacity]) holding at least past + T positions.
bool cacheAttentionSupported(const torch::Tensor& q, const LayerKv& kv, int64_t past);

/// softmax(q k^T) v over the cache with the causal mask (query i sees positions <= past + i),
/// the keys/values of positions [past, past + T) already written. Returns [B, T, H * hd].
torch::Tensor cacheAttention(const torch::Tensor& q, const LayerKv& kv, int64_t past);

} // namespace moodsteer::models
