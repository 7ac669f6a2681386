// GEMV drivers over the kernels (Kernels.h) for the decode step, y = x W^T for a few input
// rows, which is bound by how fast the weights stream from memory: the weight layouts, the
// per-call activation rounding/quantisation into reused per-thread buffers, and
// at::parallel_for over blocks of output rows. Each block holds 4 output rows x up to 4 input
// rows (each weight loaded once, used M times from a register). bf16 weights are packed so
// that each block of 4 output rows is one contiguous stream (64-byte chunks of the 4 rows in
// turn, K and N zero-padded): with plain row-major int8 rows of 1 KiB, 4 interleaved short
// streams reached only 14 GB/s against 21 GB/s for the 4 KiB f32 rows. int8 weights are in
// tiles of 16 rows x 4 codes per 64 bytes (packTiles), shared with the prefill's GEMM: a whole
// matrix is one stream and no sum is reduced across vector lanes. More than 4 input rows are
// processed 4 at a time inside each group of output rows (which stays in L2), so a row's
// result never depends on how many rows came with it. The layouts do not depend on the
// instruction set: weights packed once work with every kernel set.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace moodsteer::models::gemv {

/// y[m * ldy + n] = x[m] . w[n] for m < M (1..4), n < N; w row-major [N, K] float32.
void f32(const float* x, int64_t M, int64_t K, const float* w, float* y, int64_t ldy, int64_t N);

/// w [N, K] (2 bytes per element: bf16) in the packed layout: [ceil(N/4)][ceil(K/c)][4][c]
/// with c = 64 bytes of elements, zeros where padded.
at::Tensor packBlocks(const at::Tensor& w);

/// y[M, N] = bf16(x)[M, K] . w[N, K]^T with f32 accumulation; x is rounded to bf16 (nearest
/// even) once per call; any M. w: packBlocks() of the bf16 weight.
void bf16(const float* x, int64_t M, int64_t K, const at::Tensor& w, float* y, int64_t N);

/// int8 codes [N, K] in the tile layout of kernels::GemmInt8 and GemvInt8 (Kernels.h):
/// [ceil(N/16)][Kp/4][16][4], Kp = int8PaddedK(K), zeros where padded.
at::Tensor packTiles(const at::Tensor& codes);

/// Weights quantised symmetrically per output row: codes = round(w / scale) in [-127, 127],
/// scale = max|row| / 127 (1 for an all-zero row), rowSums = sum of a row's codes (for the
/// +128 offset that makes the activations unsigned).
struct Int8Weights {
    at::Tensor codes;   ///< int8 [N, K] in the tile layout (packTiles)
    at::Tensor scales;  ///< float [N]
    at::Tensor rowSums; ///< int32 [N]
};
/// weight: float32 [N, K] with K <= kInt8MaxK. The codes go on huge pages (HugePages.h).
Int8Weights quantiseInt8(const at::Tensor& weight);
/// The largest K the int32 accumulation cannot overflow for (255 * 127 * K < 2^31).
constexpr int64_t kInt8MaxK = 66000;

/// y[M, N] = sx[m] * scales[n] * (dot(qx[m] + 128, codes[n]) - 128 * rowSums[n]), where qx is
/// x quantised per input row to [-127, 127] with sx = max|x[m]| / 127; any M. From
/// kInt8GemmMinRows rows (prefills) through int8Gemm, with the same values.
void int8(const float* x, int64_t M, int64_t K, const Int8Weights& w, float* y, int64_t N);
/// Rows from which int8() takes the GEMM: the decode step's rows (CFG, takes: at most 16) stay
/// on the GEMV, which streams the weights once without repacking them.
constexpr int64_t kInt8GemmMinRows = 32;
/// Gemm.cpp: int8() for many rows, x already quantised (xq [M, int8PaddedK(K)], sx [M]): each
/// task multiplies every input row with 4 tiles of 16 output rows (64 KiB at K = 1024: L2;
/// Kernels.h, GemmInt8), the tasks on every LibTorch thread.
void int8Gemm(const uint8_t* xq, const float* sx, int64_t M, int64_t K, const Int8Weights& w,
              float* y, int64_t N);

/// Weights quantised symmetrically in groups of kernels::kInt4Group inputs per output row:
/// codes = round(w / scale) in [-7, 7], scale = max|group| / 7 (1 for an all-zero group), two
/// codes a byte. Half the bytes of int8 (plus 4 bytes of scale per 128 weights). (Choosing each
/// group's scale below the maximum for the least squared error was tried: no better on the
/// parity model, 0.187 against 0.198 relative logit error, and worse on random layers.)
struct Int4Weights {
    at::Tensor codes;  ///< uint8 [ceil(N/4), groups, 4, 64], the GemvInt4 layout (Kernels.h)
    at::Tensor scales; ///< float [ceil(N/4), groups, 4]
};
/// weight: float32 [N, K]. The codes go on huge pages (HugePages.h).
Int4Weights quantiseInt4(const at::Tensor& weight);
/// The weights an Int4Weights computes with, as float32 [N, K] (tests and error measurement).
at::Tensor dequantiseInt4(const Int4Weights& w, int64_t N, int64_t K);

/// The activations as int4() hands them to the kernel (Kernels.h, GemvInt4): codes [M, Kp]
/// signed (int8()'s codes less 128, zero beyond K), sums [M, groups, kInt4SumLanes] of each
/// group's codes by lane, scales [M]; Kp = kernels::int4PaddedK(K), groups = Kp / kInt4Group.
void quantiseInt4Input(const float* x, int64_t M, int64_t K, int8_t* codes, int32_t* sums,
                       float* scales);

/// y[M, N] = sx[m] * sum_g scales[n][g] * dot_g(qx[m], codes[n]), qx being x quantised per
/// input row to [-127, 127] with sx = max|x[m]| / 127 (as int8()); any M.
void int4(const float* x, int64_t M, int64_t K, const Int4Weights& w, float* y, int64_t N);

} // namespace moodsteer::models::gemv
