// The decode step's speed kernels behind one small interface: a table of plain functions on
// raw float/int buffers (no LibTorch, no intrinsics here), with one implementation per
// instruction set. Every operation has a portable C++ version that is always compiled (any
// CPU, any compiler: ARM, RISC-V, ...); on x86-64 there are also AVX2+FMA and AVX-512
// versions, and active() picks, per operation, the best one this CPU runs, once, at first use.
//
// Forcing the portable versions:
//  - at build time: cmake -DMOODSTEER_PORTABLE_KERNELS=ON (the x86 files are not compiled at
//    all, as on ARM); scripts/test-portable.sh builds and tests that configuration;
//  - at run time: MOODSTEER_KERNELS=portable (or =avx2 to cap x86 at AVX2) in the environment.
//
// Adding a kernel (for a new instruction set, say ARM NEON):
//  1. Write the functions with exactly the signatures of KernelSet in a new file of this folder
//     (x86: compile per function with __attribute__((target(...))) so that the rest of the
//     build stays plain x86-64; other ISAs: guard the file with its architecture macro).
//     Read and write the packed layouts described below: packed weights are built once, by
//     ISA-independent code (Gemv.h), and any implementation must accept them.
//  2. Fill a KernelSet in that file and, in KernelSelect.cpp, take its entries where the CPU
//     has the features (keep the portable entry for the others).
//  3. tests/models/KernelsTest.cpp compares every implementation this CPU runs with the
//     portable one on odd shapes and prints the largest difference: add yours to its list.
// All functions are pure (no allocation, no locks, no threads: callers parallelise over
// output blocks with at::parallel_for) and may be called from several threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace moodsteer::models::kernels {

/// A bfloat16 value as its 16 bits (the top half of the float32 with the same sign and
/// exponent). Torch-free stand-in for c10::BFloat16, which has the same layout.
using Bf16 = uint16_t;

/// Elements of K per packed chunk: 64 bytes of elements (bf16: 32, int8: 64).
constexpr int64_t kBf16Chunk = 32;
constexpr int64_t kInt8Chunk = 64;
/// K padded to whole chunks (the length of a rounded/quantised activation row, too).
constexpr int64_t bf16PaddedK(int64_t K) {
    return (K + kBf16Chunk - 1) / kBf16Chunk * kBf16Chunk;
}
constexpr int64_t int8PaddedK(int64_t K) {
    return (K + kInt8Chunk - 1) / kInt8Chunk * kInt8Chunk;
}
/// int4 weights: K is cut into groups of kInt4Group elements, each with its own scale per
/// output row (one per-row scale loses too much at 4 bits).
constexpr int64_t kInt4Group = 128;
constexpr int64_t int4PaddedK(int64_t K) {
    return (K + kInt4Group - 1) / kInt4Group * kInt4Group;
}
/// The int4 GEMV's activation sums: per group, 16 partial sums (see GemvInt4).
constexpr int kInt4SumLanes = 16;
/// The largest number of input rows one GEMV call takes (the CFG decode step has 2).
constexpr int kMaxRows = 4;
/// Output rows per tile of the int8 layout (GemvInt8, GemmInt8): one vector of 16 int32 sums.
constexpr int64_t kGemmTile = 16;

/// The operations. "Block" means 4 consecutive output rows of a packed bf16 weight: the packed
/// layout of an [N, K] matrix is [ceil(N/4)][ceil(K/c)][4][c] with c = kBf16Chunk, zeros where
/// padded, so that each block is one contiguous stream. int8 weights are in tiles of 16 rows
/// (GemmInt8).
struct KernelSet {
    /// y[m * ldy + n] = sum_k x[m * K + k] * w[n * K + k] for m < M (1..kMaxRows) and n in
    /// [n0, n1); w is row-major [N, K] float32 (unpacked).
    using GemvF32 = void(const float* x, int M, int64_t K, const float* w, float* y, int64_t ldy,
                         int64_t n0, int64_t n1);
    /// out [M, bf16PaddedK(K)] = x [M, K] rounded to bf16 (nearest even), zero padding.
    using RoundBf16 = void(const float* x, int64_t M, int64_t K, Bf16* out);
    /// For the blocks [b0, b1) of a packed bf16 weight with N rows: y[m * ldy + n] =
    /// sum_k x[m][k] * w[n][k] in float32, x as written by RoundBf16 (row stride
    /// bf16PaddedK(K)), M in 1..kMaxRows. Rows n >= N of the last block are not written.
    using GemvBf16 = void(const Bf16* x, int M, int64_t K, const Bf16* w, float* y, int64_t ldy,
                          int64_t N, int64_t b0, int64_t b1);
    /// out [M, int8PaddedK(K)] = clamp(round_even(x / s), -127, 127) + 128 (padding 0),
    /// scales[m] = s = max|x[m]| / 127 (0 for an all-zero row, whose codes are then all 128).
    using QuantiseInt8 = void(const float* x, int64_t M, int64_t K, uint8_t* out, float* scales);
    /// For the tiles [t0, t1) of int8 codes w with N rows in the tile layout (GemmInt8):
    /// y[m * ldy + n] = (sx[m] * sw[n]) * float(sum_k x[m][k] * w[n][k] - 128 * rowSums[n])
    /// with the integer sum exact (int32; K <= 66000), x as written by QuantiseInt8. M in
    /// 1..kMaxRows. Rows n >= N of the last tile are neither read from sw/rowSums nor written.
    using GemvInt8 = void(const uint8_t* x, const float* sx, int M, int64_t K, const int8_t* w,
                          const float* sw, const int32_t* rowSums, float* y, int64_t ldy, int64_t N,
                          int64_t t0, int64_t t1);
    /// The same products for many input rows (prefills: hundreds), y[m * ldy + n] for m < M
    /// and n < count, with the same integers and the same float operations as GemvInt8, so the
    /// same values. w: `count` output rows in the tile layout [ceil(count / 16)][Kp / 4][16][4]
    /// (Kp = int8PaddedK(K); byte (t, q, j, c) is row 16t + j's code k = 4q + c; zero rows past
    /// count, zero codes past K): each 64 bytes are 4 codes of 16 rows, so one vpdpbusd adds a
    /// broadcast group of 4 activation codes into 16 outputs and no sum is reduced across
    /// lanes. The decode step's GemvInt8 reads the same layout, in which a whole matrix is one
    /// contiguous stream. sw, rowSums: `count` values. Any M.
    using GemmInt8 = void(const uint8_t* x, const float* sx, int64_t M, int64_t K, const int8_t* w,
                          const float* sw, const int32_t* rowSums, float* y, int64_t ldy,
                          int64_t count);
    /// For the blocks [b0, b1) of packed int4 weights with N rows: y[m * ldy + n] =
    /// sx[m] * sum_g scales[n][g] * float(sum_{k in g} x[m][k] * q[n][k]), with each group's
    /// integer sum exact. Packed layout of the codes q in [-7, 7], stored as u = q + 8:
    /// [ceil(N/4)][int4PaddedK(K)/128][4][64 bytes], byte j of a row's 64 holding element
    /// j of the group in its low nibble and element 64 + j in its high nibble (u = 8 where
    /// padded); scales [ceil(N/4)][groups][4] float. x: signed codes, M rows of stride
    /// int4PaddedK(K), zero beyond K. The kernel multiplies the unsigned u with the signed x
    /// and takes 8 * (the sum of those x) off, in 16 partial sums per group so that each of
    /// 16 vector lanes holds an exact sum of q * x: xSums[(m * groups + g) * 16 + l] = the sum
    /// of row m's codes j of group g with (j % 64) / 4 == l. M in 1..kMaxRows.
    using GemvInt4 = void(const int8_t* x, const int32_t* xSums, const float* sx, int M, int64_t K,
                          const uint8_t* w, const float* scales, float* y, int64_t ldy, int64_t N,
                          int64_t b0, int64_t b1);
    /// sum = sum of x[0, n), squares = sum of (x - sum / n)^2, both accumulated in double.
    using Moments = void(const float* x, int64_t n, double* sum, double* squares);
    /// out[hd] = softmax_j(q . keys[j] + mask[j]) . values[j] over j < count (count >= 1) for
    /// one head: keys/values are `count` rows of hd elements, mask null or `count` additive
    /// values, softmax in float32. scores: count floats of scratch. The bf16 version reads a
    /// bf16 key/value cache.
    using AttendF32 = void(const float* q, const float* keys, const float* values, int64_t count,
                           int64_t hd, const float* mask, float* scores, float* out);
    using AttendBf16 = void(const float* q, const Bf16* keys, const Bf16* values, int64_t count,
                            int64_t hd, const float* mask, float* scores, float* out);
    /// The same on an int8 cache: key j is keyScales[j] * keys[j] (hd codes), value j
    /// valueScales[j] * values[j]; softmax in float32.
    using AttendInt8 = void(const float* q, const int8_t* keys, const float* keyScales,
                            const int8_t* values, const float* valueScales, int64_t count,
                            int64_t hd, const float* mask, float* scores, float* out);

    /// One operation's function and the instruction set it was written for.
    template <typename F> struct Entry {
        F* run = nullptr;
        const char* isa = "";
    };
    Entry<GemvF32> gemvF32;
    Entry<RoundBf16> roundBf16;
    Entry<GemvBf16> gemvBf16;
    Entry<QuantiseInt8> quantiseInt8;
    Entry<GemvInt8> gemvInt8;
    Entry<GemmInt8> gemmInt8;
    Entry<GemvInt4> gemvInt4;
    Entry<Moments> moments;
    Entry<AttendF32> attendF32;
    Entry<AttendBf16> attendBf16;
    Entry<AttendInt8> attendInt8;
};

/// The kernels used by the decode step: chosen once per process (see the top of this file).
const KernelSet& active();
/// The portable C++ kernels (always compiled).
const KernelSet& portable();
/// Every kernel set this build has and this CPU runs, portable first, then by increasing
/// width (e.g. portable, avx2, avx512), each with only the operations that set implements
/// (the others are null). For tests that compare implementations.
std::vector<const KernelSet*> available();
/// Whether the build forced the portable kernels (MOODSTEER_PORTABLE_KERNELS=ON) or was made
/// for a CPU without x86 kernels: then available() is just {&portable()}.
bool x86KernelsCompiled();
/// One line naming each operation's instruction set in active(), e.g. "gemv f32 avx512, ...".
std::string describeActive();

} // namespace moodsteer::models::kernels
