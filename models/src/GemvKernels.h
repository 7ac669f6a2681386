// Reduced-precision GEMV kernels for the decode step (y = x W^T for a few input rows), which
// is bound by how fast the weights stream from memory. oneDNN's bf16/int8 primitives reach
// only 10-12 GB/s for 2 rows here; these stream at the f32 kernel's rate. Both use 4 output
// rows x up to 4 input rows per block (each weight loaded once, used M times from a register)
// and at::parallel_for over blocks of output rows. The weights are pre-packed so that each
// block of 4 output rows is one contiguous stream (64-byte chunks of the 4 rows in turn, K and
// N zero-padded): with plain row-major int8 rows of 1 KiB, 4 interleaved short streams reached
// only 14 GB/s against 21 GB/s for the 4 KiB f32 rows. They are compiled with
// per-function target attributes, so callers must check the *Available() functions first.
// More than 4 input rows are processed 4 at a time inside each block of output rows (the
// block stays in L2), so a row's result never depends on how many rows came with it.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace moodsteer::models::gemv {

// How far ahead of a block's stream both kernels prefetch each line. With the weights on huge
// pages (HugePages.h), 4 KiB ahead beat 1 KiB clearly on this machine (quiet, paired rounds:
// bf16 1.18-1.25x against 1.48-1.50x of the floor, int8 1.17-1.41x against 1.64-1.65x); 8-16
// KiB were no better.
constexpr int64_t kPrefetch = 4096;

/// AVX-512F/BW + AVX512_BF16 (vdpbf16ps).
bool bf16Available();
/// AVX-512F/BW + AVX512_VNNI (vpdpbusd).
bool int8Available();

/// w [N, K] (1 or 2 bytes per element) in the packed layout: [ceil(N/4)][ceil(K/c)][4][c]
/// with c = 64 bytes of elements, zeros where padded.
at::Tensor packBlocks(const at::Tensor& w);

/// y[M, N] = bf16(x)[M, K] . w[N, K]^T with f32 accumulation; x is rounded to bf16 (nearest
/// even) once per call. w: packBlocks() of the bf16 weight.
void bf16(const float* x, int64_t M, int64_t K, const at::Tensor& w, float* y, int64_t N);

/// Weights quantised symmetrically per output row: codes = round(w / scale) in [-127, 127],
/// scale = max|row| / 127 (1 for an all-zero row), rowSums = sum of a row's codes (for the
/// +128 offset that makes the activations unsigned, as vpdpbusd needs).
struct Int8Weights {
    at::Tensor codes;   ///< int8 [N, K], packBlocks() layout
    at::Tensor scales;  ///< float [N]
    at::Tensor rowSums; ///< int32 [N]
};
Int8Weights quantiseInt8(const at::Tensor& weight);
/// The largest K the int32 accumulation cannot overflow for (255 * 127 * K < 2^31).
constexpr int64_t kInt8MaxK = 66000;

/// y[M, N] = sx[m] * scales[n] * (dot(qx[m] + 128, codes[n]) - 128 * rowSums[n]), where qx is
/// x quantised per input row to [-127, 127] with sx = max|x[m]| / 127.
void int8(const float* x, int64_t M, int64_t K, const Int8Weights& w, float* y, int64_t N);

} // namespace moodsteer::models::gemv
