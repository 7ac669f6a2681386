// Hand-written AVX-512 kernels (see Kernels.h for what each computes). The build targets plain
// x86-64, so every function here is compiled for its features with a target attribute and
// KernelSelect.cpp calls it only on a CPU that has them. Measurements behind the choices
// below (block shapes, prefetch distances): docs/performance.md.
#include "IsaKernels.h"

#ifdef MOODSTEER_X86_KERNELS

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>

// GCC 12 flags its own _mm512_reduce_* helpers (-Wmaybe-uninitialized, a known false
// positive): silence it for the intrinsics header only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#define MOODSTEER_AVX512F __attribute__((target("avx512f")))
#define MOODSTEER_AVX512_BF16 __attribute__((target("avx512f,avx512bw,avx512bf16")))
#define MOODSTEER_AVX512_VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))

namespace moodsteer::models::kernels {
namespace {

// Where _mm512_reduce_add_ps is inlined, GCC 12 reports its dummy operand as
// -Wuninitialized / -Wmaybe-uninitialized: the same false positive, for the whole file.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

__mmask16 mask16(int64_t left) {
    return left >= 16  ? static_cast<__mmask16>(0xFFFF)
           : left <= 0 ? static_cast<__mmask16>(0)
                       : static_cast<__mmask16>((1u << left) - 1u);
}

// ---- f32 GEMV: M (1..4) input rows against 4 weight rows at a time, K in blocks of 16 floats
// with a masked tail, so each weight is loaded once and used M times from a register.
//
// How far ahead each of the 4 row streams prefetches: 2 KiB, 8 KiB in flight in all. Quiet
// machine, interleaved runs: 1.31-1.42x of the floor, against 1.35-1.68x with 1 KiB that
// stopped at each row's end and 1.69-1.90x without software prefetch.
constexpr int64_t kF32Prefetch = 512;

template <int M>
MOODSTEER_AVX512F void gemvF32Rows(const float* x, int64_t K, const float* w, float* y, int64_t ldy,
                                   int64_t n0, int64_t n1) {
    const int64_t full = K / 16 * 16;
    const __mmask16 tail = static_cast<__mmask16>((1u << (K - full)) - 1u);
    int64_t n = n0;
    for (; n + 4 <= n1; n += 4) {
        __m512 acc[4][M];
        for (int i = 0; i < 4; ++i)
            for (int m = 0; m < M; ++m)
                acc[i][m] = _mm512_setzero_ps();
        const float* w0 = w + n * K;
        for (int64_t k = 0; k < full; k += 16) {
            __m512 xv[M];
            for (int m = 0; m < M; ++m)
                xv[m] = _mm512_loadu_ps(x + m * K + k);
            // Software prefetch kF32Prefetch floats ahead on each of the 4 row streams, in
            // the order the rows are consumed: near a row's end the distance runs on into
            // the same row of the next block (3 rows further on), not into the next row of
            // this block, which another stream has already read.
            // (Integer arithmetic: the address may lie past the matrix, which a prefetch
            // may touch but a pointer may not point at.)
            const int64_t ahead = k + kF32Prefetch;
            const auto pf =
                reinterpret_cast<std::uintptr_t>(w0) +
                sizeof(float) * static_cast<std::uintptr_t>(ahead < K ? ahead : 3 * K + ahead);
            for (int i = 0; i < 4; ++i)
                _mm_prefetch(reinterpret_cast<const char*>(pf + sizeof(float) * i * K),
                             _MM_HINT_T0);
            for (int i = 0; i < 4; ++i) {
                const __m512 wv = _mm512_loadu_ps(w0 + i * K + k);
                for (int m = 0; m < M; ++m)
                    acc[i][m] = _mm512_fmadd_ps(wv, xv[m], acc[i][m]);
            }
        }
        if (tail) {
            for (int i = 0; i < 4; ++i) {
                const __m512 wv = _mm512_maskz_loadu_ps(tail, w0 + i * K + full);
                for (int m = 0; m < M; ++m)
                    acc[i][m] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(tail, x + m * K + full),
                                                acc[i][m]);
            }
        }
        for (int i = 0; i < 4; ++i)
            for (int m = 0; m < M; ++m)
                y[m * ldy + n + i] = _mm512_reduce_add_ps(acc[i][m]);
    }
    for (; n < n1; ++n) {
        __m512 acc[M];
        for (int m = 0; m < M; ++m)
            acc[m] = _mm512_setzero_ps();
        const float* wr = w + n * K;
        for (int64_t k = 0; k < full; k += 16) {
            const __m512 wv = _mm512_loadu_ps(wr + k);
            for (int m = 0; m < M; ++m)
                acc[m] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x + m * K + k), acc[m]);
        }
        if (tail) {
            const __m512 wv = _mm512_maskz_loadu_ps(tail, wr + full);
            for (int m = 0; m < M; ++m)
                acc[m] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(tail, x + m * K + full), acc[m]);
        }
        for (int m = 0; m < M; ++m)
            y[m * ldy + n] = _mm512_reduce_add_ps(acc[m]);
    }
}

void gemvF32(const float* x, int M, int64_t K, const float* w, float* y, int64_t ldy, int64_t n0,
             int64_t n1) {
    withRows(M, [&](auto rows) { gemvF32Rows<decltype(rows)::value>(x, K, w, y, ldy, n0, n1); });
}

// How far ahead of a packed block's stream the bf16 and int8 kernels prefetch each line. With
// the weights on huge pages (models/src/HugePages.h), 4 KiB ahead beat 1 KiB clearly on this
// machine (quiet, paired rounds: bf16 1.18-1.25x against 1.48-1.50x of the floor, int8
// 1.17-1.41x against 1.64-1.65x); 8-16 KiB were no better.
constexpr int64_t kPrefetch = 4096;

// ---- bf16 GEMV with AVX512_BF16: vdpbf16ps multiplies 32 bf16 pairs and adds adjacent
// products into 16 f32 lanes, 64 bytes of weights per instruction.

MOODSTEER_AVX512_BF16 void roundBf16(const float* x, int64_t M, int64_t K, Bf16* out) {
    const int64_t Kp = bf16PaddedK(K);
    for (int64_t m = 0; m < M; ++m)
        for (int64_t k = 0; k < Kp; k += 16) {
            const __m256bh b =
                _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask16(K - k), x + m * K + k));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + m * Kp + k), (__m256i)b);
        }
}

// M input rows (x: stride Kp) against the packed blocks [b0, b1) of 4 output rows. Padded
// weights and activations are zero, so there is no K tail to mask.
template <int M>
MOODSTEER_AVX512_BF16 void gemvBf16Rows(const Bf16* x, int64_t K, const Bf16* w, float* y,
                                        int64_t ldy, int64_t N, int64_t b0, int64_t b1) {
    const int64_t Kp = bf16PaddedK(K);
    for (int64_t b = b0; b < b1; ++b) {
        __m512 acc[4][M];
        for (int i = 0; i < 4; ++i)
            for (int m = 0; m < M; ++m)
                acc[i][m] = _mm512_setzero_ps();
        const Bf16* wb = w + b * 4 * Kp;
        for (int64_t k = 0; k < Kp; k += 32, wb += 4 * 32) {
            __m512bh xv[M];
            for (int m = 0; m < M; ++m)
                xv[m] = (__m512bh)_mm512_loadu_si512(x + m * Kp + k);
            // One prefetch per line, kPrefetch bytes ahead of the block's stream.
            for (int i = 0; i < 4; ++i)
                _mm_prefetch(reinterpret_cast<const char*>(wb + i * 32) + kPrefetch, _MM_HINT_T0);
            for (int i = 0; i < 4; ++i) {
                const __m512bh wv = (__m512bh)_mm512_loadu_si512(wb + i * 32);
                for (int m = 0; m < M; ++m)
                    acc[i][m] = _mm512_dpbf16_ps(acc[i][m], wv, xv[m]);
            }
        }
        for (int i = 0; i < 4 && b * 4 + i < N; ++i)
            for (int m = 0; m < M; ++m)
                y[m * ldy + b * 4 + i] = _mm512_reduce_add_ps(acc[i][m]);
    }
}

void gemvBf16(const Bf16* x, int M, int64_t K, const Bf16* w, float* y, int64_t ldy, int64_t N,
              int64_t b0, int64_t b1) {
    withRows(M,
             [&](auto rows) { gemvBf16Rows<decltype(rows)::value>(x, K, w, y, ldy, N, b0, b1); });
}

// ---- int8 GEMV with AVX512_VNNI: vpdpbusd multiplies 64 unsigned x signed byte pairs and
// adds groups of 4 into 16 int32 lanes, so the activations are offset by +128 to make them
// unsigned; the offset is removed with the weight codes' row sums. The integer dot is exact.

MOODSTEER_AVX512_VNNI void quantiseInt8(const float* x, int64_t M, int64_t K, uint8_t* out,
                                        float* scales) {
    const int64_t Kp = int8PaddedK(K);
    for (int64_t m = 0; m < M; ++m) {
        const float* row = x + m * K;
        __m512 top = _mm512_setzero_ps();
        for (int64_t k = 0; k < K; k += 16)
            top = _mm512_max_ps(top, _mm512_abs_ps(_mm512_maskz_loadu_ps(mask16(K - k), row + k)));
        const float maxAbs = _mm512_reduce_max_ps(top);
        scales[m] = maxAbs / 127.0f;
        // An all-zero row: every code is 0 (+128) and the scale 0 makes the output exactly 0.
        const __m512 inv = _mm512_set1_ps(maxAbs > 0 ? 127.0f / maxAbs : 0.0f);
        const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127),
                      offset = _mm512_set1_epi32(128);
        uint8_t* dst = out + m * Kp;
        for (int64_t k = 0; k < Kp; k += 16) {
            const __mmask16 mask = mask16(K - k);
            // cvtps_epi32 rounds to nearest even (the default MXCSR mode).
            __m512i q =
                _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(mask, row + k), inv));
            q = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(q, lo), hi), offset);
            q = _mm512_maskz_mov_epi32(mask, q); // padding stays 0
            _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + k), _mm512_cvtepi32_epi8(q));
        }
    }
}

// ---- int8 GEMM with AVX512_VNNI (prefills): R input rows against T tiles of 16 output rows;
// each step broadcasts 4 activation codes of a row and adds their products into 16 outputs
// (the tile layout, Kernels.h), R x T accumulators in registers (12 x 2 + 2 + 1 of 32).
constexpr int kGemmRows = 12;

// acc += the products of u (unsigned) and s (signed) bytes, in place: GCC 12 copies the
// intrinsic's accumulator to a fresh register and back (and to the stack) for every
// _mm512_dpbusd_epi32 of a register-blocked kernel, which made it slower than the GEMV.
MOODSTEER_AVX512_VNNI inline void dpbusdInPlace(__m512i& acc, __m512i u, __m512i s) {
    asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u), "v"(s));
}

// The end of an int8 tile, the same float operations for the GEMM and the GEMV (so the same
// values): the tile's rows below `left` (count or N less the tile's first row), their scales and
// 128 * row sums, and each input row's (sx * scale) * float(sum - 128 * rowSum), stored masked.
struct TileEnd {
    __mmask16 mask;
    __m512 scale;
    __m512i offset;
};

MOODSTEER_AVX512_VNNI inline TileEnd tileEnd(int64_t left, const float* sw,
                                             const int32_t* rowSums) {
    TileEnd e;
    e.mask = left >= kGemmTile ? 0xFFFF : static_cast<__mmask16>((1u << left) - 1);
    e.scale = _mm512_maskz_loadu_ps(e.mask, sw);
    e.offset = _mm512_slli_epi32(_mm512_maskz_loadu_epi32(e.mask, rowSums), 7);
    return e;
}

MOODSTEER_AVX512_VNNI inline void storeTileRow(const TileEnd& e, __m512i acc, float sx, float* y) {
    const __m512 v = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc, e.offset));
    const __m512 s = _mm512_mul_ps(_mm512_set1_ps(sx), e.scale);
    _mm512_mask_storeu_ps(y, e.mask, _mm512_mul_ps(s, v));
}

template <int R, int T>
MOODSTEER_AVX512_VNNI void gemmInt8Block(const uint8_t* x, const float* sx, int64_t Kp,
                                         const int8_t* w, const float* sw, const int32_t* rowSums,
                                         float* y, int64_t ldy, int64_t count) {
    const int64_t quads = Kp / 4, tileBytes = quads * kGemmTile * 4;
    __m512i acc[R][T];
    // Fully unrolled, so that the accumulators stay in registers.
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
        for (int t = 0; t < T; ++t)
            acc[r][t] = _mm512_setzero_si512();
    for (int64_t q = 0; q < quads; ++q) {
        __m512i wv[T];
#pragma GCC unroll 2
        for (int t = 0; t < T; ++t)
            wv[t] = _mm512_loadu_si512(w + t * tileBytes + q * 64);
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r) {
            int32_t four; // 4 activation codes (memcpy: no aliasing of the bytes as int32)
            std::memcpy(&four, x + r * Kp + q * 4, 4);
            const __m512i xv = _mm512_set1_epi32(four);
#pragma GCC unroll 2
            for (int t = 0; t < T; ++t)
                dpbusdInPlace(acc[r][t], xv, wv[t]);
        }
    }
#pragma GCC unroll 2
    for (int t = 0; t < T; ++t) {
        const TileEnd e =
            tileEnd(count - t * kGemmTile, sw + t * kGemmTile, rowSums + t * kGemmTile);
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r)
            storeTileRow(e, acc[r][t], sx[r], y + r * ldy + t * kGemmTile);
    }
}

template <int T>
void gemmInt8Rows(int rows, const uint8_t* x, const float* sx, int64_t Kp, const int8_t* w,
                  const float* sw, const int32_t* rowSums, float* y, int64_t ldy, int64_t count) {
    [&]<int... Rs>(std::integer_sequence<int, Rs...>) {
        ((rows == Rs + 1 ? gemmInt8Block<Rs + 1, T>(x, sx, Kp, w, sw, rowSums, y, ldy, count)
                         : void()),
         ...);
    }
    (std::make_integer_sequence<int, kGemmRows>{});
}

void gemmInt8(const uint8_t* x, const float* sx, int64_t M, int64_t K, const int8_t* w,
              const float* sw, const int32_t* rowSums, float* y, int64_t ldy, int64_t count) {
    const int64_t Kp = int8PaddedK(K), tiles = (count + kGemmTile - 1) / kGemmTile;
    const int64_t tileBytes = Kp / 4 * kGemmTile * 4;
    for (int64_t m = 0; m < M; m += kGemmRows) {
        const int rows = static_cast<int>(std::min<int64_t>(kGemmRows, M - m));
        for (int64_t t = 0; t < tiles; t += 2) {
            const int64_t n0 = t * kGemmTile;
            if (tiles - t >= 2)
                gemmInt8Rows<2>(rows, x + m * Kp, sx + m, Kp, w + t * tileBytes, sw + n0,
                                rowSums + n0, y + m * ldy + n0, ldy, count - n0);
            else
                gemmInt8Rows<1>(rows, x + m * Kp, sx + m, Kp, w + t * tileBytes, sw + n0,
                                rowSums + n0, y + m * ldy + n0, ldy, count - n0);
        }
    }
}

// ---- int8 GEMV with AVX512_VNNI on the same tile layout: each 64-byte line holds 4 codes of
// 16 rows, one vpdpbusd per input row adds a broadcast group of 4 activation codes into the
// 16 rows' sums, so no sum is reduced across lanes and a whole matrix is one stream. Two sets
// of accumulators (even and odd lines) keep two vpdpbusd chains per row in flight. Against
// the earlier layout of 4 rows x 64 codes per line, summed across lanes at the end of each
// block: the musicgen-small int8 step 14 % faster, 4 takes 20 % (docs/performance.md).
template <int M>
MOODSTEER_AVX512_VNNI void gemvInt8Rows(const uint8_t* x, const float* sx, int64_t K,
                                        const int8_t* w, const float* sw, const int32_t* rowSums,
                                        float* y, int64_t ldy, int64_t N, int64_t t0, int64_t t1) {
    const int64_t quads = int8PaddedK(K) / 4; // even: Kp is a multiple of 64
    const int64_t Kp = quads * 4;
    for (int64_t t = t0; t < t1; ++t) {
        const int8_t* wt = w + t * quads * kGemmTile * 4;
        __m512i acc[2][M];
        for (int u = 0; u < 2; ++u)
            for (int m = 0; m < M; ++m)
                acc[u][m] = _mm512_setzero_si512();
        for (int64_t q = 0; q < quads; q += 2, wt += 2 * 64) {
            _mm_prefetch(reinterpret_cast<const char*>(wt) + kPrefetch, _MM_HINT_T0);
            _mm_prefetch(reinterpret_cast<const char*>(wt) + kPrefetch + 64, _MM_HINT_T0);
            for (int u = 0; u < 2; ++u) {
                const __m512i wv = _mm512_loadu_si512(wt + u * 64);
                for (int m = 0; m < M; ++m) {
                    int32_t four; // 4 activation codes (memcpy: no aliasing of the bytes)
                    std::memcpy(&four, x + m * Kp + (q + u) * 4, 4);
                    dpbusdInPlace(acc[u][m], _mm512_set1_epi32(four), wv);
                }
            }
        }
        const TileEnd e = tileEnd(N - t * kGemmTile, sw + t * kGemmTile, rowSums + t * kGemmTile);
        for (int m = 0; m < M; ++m)
            storeTileRow(e, _mm512_add_epi32(acc[0][m], acc[1][m]), sx[m],
                         y + m * ldy + t * kGemmTile);
    }
}

void gemvInt8(const uint8_t* x, const float* sx, int M, int64_t K, const int8_t* w, const float* sw,
              const int32_t* rowSums, float* y, int64_t ldy, int64_t N, int64_t t0, int64_t t1) {
    withRows(M, [&](auto rows) {
        gemvInt8Rows<decltype(rows)::value>(x, sx, K, w, sw, rowSums, y, ldy, N, t0, t1);
    });
}

// ---- int4 GEMV with AVX512_VNNI: each 64-byte line holds 128 codes of one row (low nibbles,
// then high nibbles), unpacked with an AND and a shift; vpdpbusd multiplies them (unsigned,
// q + 8) with the signed activation codes, and each group's lanes start at -8 * (their
// activation sums), so that every lane ends with an exact sum of q * x, scaled once per group.
template <int M>
MOODSTEER_AVX512_VNNI void gemvInt4Rows(const int8_t* x, const int32_t* xSums, const float* sx,
                                        int64_t K, const uint8_t* w, const float* scales, float* y,
                                        int64_t ldy, int64_t N, int64_t b0, int64_t b1) {
    const int64_t Kp = int4PaddedK(K), groups = Kp / kInt4Group;
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    for (int64_t b = b0; b < b1; ++b) {
        __m512 acc[4][M];
        for (int i = 0; i < 4; ++i)
            for (int m = 0; m < M; ++m)
                acc[i][m] = _mm512_setzero_ps();
        const uint8_t* wb = w + b * 4 * (Kp / 2);
        const float* sb = scales + b * 4 * groups;
        for (int64_t g = 0; g < groups; ++g, wb += 4 * 64, sb += 4) {
            __m512i lo[M], hi[M], start[M];
            for (int m = 0; m < M; ++m) {
                lo[m] = _mm512_loadu_si512(x + m * Kp + g * kInt4Group);
                hi[m] = _mm512_loadu_si512(x + m * Kp + g * kInt4Group + 64);
                start[m] =
                    _mm512_mullo_epi32(_mm512_loadu_si512(xSums + (m * groups + g) * kInt4SumLanes),
                                       _mm512_set1_epi32(-8));
            }
            for (int i = 0; i < 4; ++i)
                _mm_prefetch(reinterpret_cast<const char*>(wb + i * 64) + kPrefetch, _MM_HINT_T0);
            for (int i = 0; i < 4; ++i) {
                const __m512i v = _mm512_loadu_si512(wb + i * 64);
                const __m512i wl = _mm512_and_si512(v, nibble);
                const __m512i wh = _mm512_and_si512(_mm512_srli_epi16(v, 4), nibble);
                const __m512 s = _mm512_set1_ps(sb[i]);
                for (int m = 0; m < M; ++m) {
                    const __m512i d =
                        _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(start[m], wl, lo[m]), wh, hi[m]);
                    acc[i][m] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), s, acc[i][m]);
                }
            }
        }
        for (int i = 0; i < 4 && b * 4 + i < N; ++i)
            for (int m = 0; m < M; ++m)
                y[m * ldy + b * 4 + i] = sx[m] * _mm512_reduce_add_ps(acc[i][m]);
    }
}

void gemvInt4(const int8_t* x, const int32_t* xSums, const float* sx, int M, int64_t K,
              const uint8_t* w, const float* scales, float* y, int64_t ldy, int64_t N, int64_t b0,
              int64_t b1) {
    withRows(M, [&](auto rows) {
        gemvInt4Rows<decltype(rows)::value>(x, xSums, sx, K, w, scales, y, ldy, N, b0, b1);
    });
}

// ---- Layer-norm statistics: sums in double, 8 lanes at a time (the scalar loops were
// ~0.2 ms of a 13 ms int8 decode step).
MOODSTEER_AVX512F void moments(const float* in, int64_t dim, double* sum, double* squares) {
    __m512d s0 = _mm512_setzero_pd(), s1 = s0;
    int64_t i = 0;
    for (; i + 16 <= dim; i += 16) {
        s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm256_loadu_ps(in + i)));
        s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm256_loadu_ps(in + i + 8)));
    }
    double total = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
    for (; i < dim; ++i)
        total += in[i];
    *sum = total;
    const double mean = total / static_cast<double>(dim);
    const __m512d m = _mm512_set1_pd(mean);
    __m512d q0 = _mm512_setzero_pd(), q1 = q0;
    i = 0;
    for (; i + 16 <= dim; i += 16) {
        const __m512d d0 = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(in + i)), m);
        const __m512d d1 = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(in + i + 8)), m);
        q0 = _mm512_fmadd_pd(d0, d0, q0);
        q1 = _mm512_fmadd_pd(d1, d1, q1);
    }
    double sq = _mm512_reduce_add_pd(_mm512_add_pd(q0, q1));
    for (; i < dim; ++i)
        sq += (in[i] - mean) * (in[i] - mean);
    *squares = sq;
}

// ---- One-token attention for one head.

// 16 elements of a cached row as float32 (bf16: the 16 bits become the top of a float).
MOODSTEER_AVX512F inline __m512 load16(const float* p) {
    return _mm512_loadu_ps(p);
}
MOODSTEER_AVX512F inline __m512 load16(const Bf16* p) {
    const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(bits), 16));
}
MOODSTEER_AVX512F inline __m512 load16(const int8_t* p) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(bytes));
}
// Up to 16 elements (the rest 0).
MOODSTEER_AVX512F inline __m512 load16(const float* p, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, p);
}
MOODSTEER_AVX512F inline __m512 load16(const Bf16* p, __mmask16 m) {
    alignas(32) Bf16 part[16] = {}; // a masked 16-bit load would need AVX512BW/VL
    for (int i = 0; i < 16; ++i)
        if (m >> i & 1u) part[i] = p[i];
    return load16(part);
}

template <typename T> MOODSTEER_AVX512F float dotRow(const float* a, const T* b, int64_t n) {
    __m512 acc = _mm512_setzero_ps();
    int64_t k = 0;
    for (; k + 16 <= n; k += 16)
        acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + k), load16(b + k), acc);
    if (k < n) {
        const __mmask16 m = mask16(n - k);
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + k), load16(b + k, m), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

template <typename T> MOODSTEER_AVX512F void axpyRow(float a, const T* x, float* y, int64_t n) {
    const __m512 av = _mm512_set1_ps(a);
    int64_t k = 0;
    for (; k + 16 <= n; k += 16)
        _mm512_storeu_ps(y + k, _mm512_fmadd_ps(av, load16(x + k), _mm512_loadu_ps(y + k)));
    if (k < n) {
        const __mmask16 m = mask16(n - k);
        _mm512_mask_storeu_ps(
            y + k, m, _mm512_fmadd_ps(av, load16(x + k, m), _mm512_maskz_loadu_ps(m, y + k)));
    }
}

// Any head size: a dot per key, a scalar softmax, an axpy per value.
template <typename T>
MOODSTEER_AVX512F void attendAnyHead(const float* q, const T* keys, const T* values, int64_t count,
                                     int64_t hd, const float* mask, float* scores, float* out) {
    float top = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < count; ++j) {
        float s = dotRow(q, keys + j * hd, hd);
        if (mask) s += mask[j];
        scores[j] = s;
        top = std::max(top, s);
    }
    float sum = 0;
    for (int64_t j = 0; j < count; ++j) {
        scores[j] = std::exp(scores[j] - top);
        sum += scores[j];
    }
    std::fill(out, out + hd, 0.0f);
    for (int64_t j = 0; j < count; ++j)
        axpyRow(scores[j] / sum, values + j * hd, out, hd);
}

// exp for x <= 0 (scores minus their maximum), Cephes' expf: x = n ln2 + r, |r| <= ln2 / 2,
// a degree-7 polynomial in r (~1 ulp), times 2^n by vscalefps. Below -150 the result is 0, as
// expf's underflow; a NaN stays NaN.
MOODSTEER_AVX512F inline __m512 expNonPositive(__m512 x) {
    x = _mm512_max_ps(_mm512_set1_ps(-150.0f), x); // max(c, NaN) is NaN
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

// 16 vectors of partial sums -> one vector of their 16 horizontal sums, in order.
MOODSTEER_AVX512F inline __m512 sum16(const __m512* v) {
    __m512 u[8], w[4];
    for (int i = 0; i < 8; ++i)
        u[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]),
                             _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
    for (int i = 0; i < 4; ++i)
        w[i] = _mm512_add_ps(_mm512_shuffle_ps(u[2 * i], u[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_ps(u[2 * i], u[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    // w[i] now holds, per 128-bit block, the partial sums of vectors 4i..4i+3.
    const __m512 y01 = _mm512_add_ps(_mm512_shuffle_f32x4(w[0], w[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                     _mm512_shuffle_f32x4(w[0], w[1], _MM_SHUFFLE(3, 1, 3, 1)));
    const __m512 y23 = _mm512_add_ps(_mm512_shuffle_f32x4(w[2], w[3], _MM_SHUFFLE(2, 0, 2, 0)),
                                     _mm512_shuffle_f32x4(w[2], w[3], _MM_SHUFFLE(3, 1, 3, 1)));
    return _mm512_add_ps(_mm512_shuffle_f32x4(y01, y23, _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(y01, y23, _MM_SHUFFLE(3, 1, 3, 1)));
}

// The key pass streams each head's keys kPrefetch bytes ahead into L1 and brings the
// values the value pass will read into L2 meanwhile, so that both streams are in flight at once.
// (Measured in a 24-layer, 32-head loop over an int8 cache: 4.7 -> 3.3 ms at 500 positions, 10.3
// -> 8.7 ms at 1,500; 1-8 KiB ahead, a single pass with an online softmax, or requesting the next
// head's first lines as well were no better.)
template <typename T>
MOODSTEER_AVX512F inline void prefetchAttention(const T* keys, const T* values, int64_t n) {
    const char* k = reinterpret_cast<const char*>(keys);
    const char* v = reinterpret_cast<const char*>(values);
    const int64_t bytes = n * static_cast<int64_t>(sizeof(T));
    for (int64_t o = 0; o < bytes; o += 64) {
        _mm_prefetch(k + o + kPrefetch, _MM_HINT_T0);
        _mm_prefetch(v + o, _MM_HINT_T1);
    }
}

// q . k as 16 lane-wise partial sums, for head_dim = 16 C.
template <int C, typename T>
MOODSTEER_AVX512F inline __m512 partialDot(const __m512* qv, const T* k) {
    __m512 a = _mm512_mul_ps(qv[0], load16(k));
    for (int c = 1; c < C; ++c)
        a = _mm512_fmadd_ps(qv[c], load16(k + 16 * c), a);
    return a;
}

// head_dim = 16 C, with q and the output in registers: scores 16 keys at a time (one
// transposing reduction instead of 16), a vectorised exp, and the weighted sum of the values
// in two interleaved accumulator sets, normalised once at the end. At 500 cached positions
// the per-key loop was ~30 % of an int8 musicgen-small step.
template <int C, typename T>
MOODSTEER_AVX512F void attendHead(const float* q, const T* keys, const T* values, int64_t count,
                                  const float* mask, float* scores, float* out) {
    constexpr int64_t hd = 16 * C;
    __m512 qv[C];
    for (int c = 0; c < C; ++c)
        qv[c] = _mm512_loadu_ps(q + 16 * c);
    __m512 topv = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
    int64_t j = 0;
    for (; j + 16 <= count; j += 16) {
        prefetchAttention(keys + j * hd, values + j * hd, 16 * hd);
        __m512 acc[16];
        for (int i = 0; i < 16; ++i)
            acc[i] = partialDot<C, T>(qv, keys + (j + i) * hd);
        __m512 s = sum16(acc);
        if (mask) s = _mm512_add_ps(s, _mm512_loadu_ps(mask + j));
        _mm512_storeu_ps(scores + j, s);
        topv = _mm512_max_ps(topv, s);
    }
    float top = _mm512_reduce_max_ps(topv);
    for (; j < count; ++j) {
        float s = _mm512_reduce_add_ps(partialDot<C, T>(qv, keys + j * hd));
        if (mask) s += mask[j];
        scores[j] = s;
        top = std::max(top, s);
    }
    const __m512 topb = _mm512_set1_ps(top);
    __m512 sumv = _mm512_setzero_ps();
    for (j = 0; j < count; j += 16) {
        const __mmask16 m = mask16(count - j);
        const __m512 e = expNonPositive(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, scores + j), topb));
        _mm512_mask_storeu_ps(scores + j, m, e);
        sumv = _mm512_add_ps(sumv, _mm512_maskz_mov_ps(m, e));
    }
    __m512 o0[C], o1[C];
    for (int c = 0; c < C; ++c)
        o0[c] = o1[c] = _mm512_setzero_ps();
    for (j = 0; j + 2 <= count; j += 2) {
        const __m512 w0 = _mm512_set1_ps(scores[j]), w1 = _mm512_set1_ps(scores[j + 1]);
        const T* v = values + j * hd;
        for (int c = 0; c < C; ++c) {
            o0[c] = _mm512_fmadd_ps(w0, load16(v + 16 * c), o0[c]);
            o1[c] = _mm512_fmadd_ps(w1, load16(v + hd + 16 * c), o1[c]);
        }
    }
    if (j < count) {
        const __m512 w0 = _mm512_set1_ps(scores[j]);
        for (int c = 0; c < C; ++c)
            o0[c] = _mm512_fmadd_ps(w0, load16(values + j * hd + 16 * c), o0[c]);
    }
    const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sumv));
    for (int c = 0; c < C; ++c)
        _mm512_storeu_ps(out + 16 * c, _mm512_mul_ps(_mm512_add_ps(o0[c], o1[c]), inv));
}

template <typename T>
void attend(const float* q, const T* keys, const T* values, int64_t count, int64_t hd,
            const float* mask, float* scores, float* out) {
    switch (hd) {
    case 16:
        return attendHead<1>(q, keys, values, count, mask, scores, out);
    case 32:
        return attendHead<2>(q, keys, values, count, mask, scores, out);
    case 64:
        return attendHead<4>(q, keys, values, count, mask, scores, out);
    case 128:
        return attendHead<8>(q, keys, values, count, mask, scores, out);
    default:
        return attendAnyHead(q, keys, values, count, hd, mask, scores, out);
    }
}

// An int8 cache (codes and per-row scales), head_dim = 16 C: attendHead with each key's score
// multiplied by its scale (16 at a time) and each value weighted by its softmax weight times
// its scale. The codes stream half the bytes of a bf16 cache; converting them costs the same
// two instructions per 16 values (sign-extend, convert) as bf16's (zero-extend, shift).
template <int C>
MOODSTEER_AVX512F void attendHeadInt8(const float* q, const int8_t* keys, const float* keyScales,
                                      const int8_t* values, const float* valueScales, int64_t count,
                                      const float* mask, float* scores, float* out) {
    constexpr int64_t hd = 16 * C;
    __m512 qv[C];
    for (int c = 0; c < C; ++c)
        qv[c] = _mm512_loadu_ps(q + 16 * c);
    __m512 topv = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
    int64_t j = 0;
    for (; j + 16 <= count; j += 16) {
        prefetchAttention(keys + j * hd, values + j * hd, 16 * hd);
        __m512 acc[16];
        for (int i = 0; i < 16; ++i)
            acc[i] = partialDot<C, int8_t>(qv, keys + (j + i) * hd);
        __m512 s = _mm512_mul_ps(sum16(acc), _mm512_loadu_ps(keyScales + j));
        if (mask) s = _mm512_add_ps(s, _mm512_loadu_ps(mask + j));
        _mm512_storeu_ps(scores + j, s);
        topv = _mm512_max_ps(topv, s);
    }
    float top = _mm512_reduce_max_ps(topv);
    for (; j < count; ++j) {
        float s = _mm512_reduce_add_ps(partialDot<C, int8_t>(qv, keys + j * hd)) * keyScales[j];
        if (mask) s += mask[j];
        scores[j] = s;
        top = std::max(top, s);
    }
    const __m512 topb = _mm512_set1_ps(top);
    __m512 sumv = _mm512_setzero_ps();
    for (j = 0; j < count; j += 16) {
        const __mmask16 m = mask16(count - j);
        const __m512 e = expNonPositive(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, scores + j), topb));
        sumv = _mm512_add_ps(sumv, _mm512_maskz_mov_ps(m, e));
        // The value pass weighs each value by its softmax weight times its scale.
        _mm512_mask_storeu_ps(scores + j, m,
                              _mm512_mul_ps(e, _mm512_maskz_loadu_ps(m, valueScales + j)));
    }
    __m512 o0[C], o1[C];
    for (int c = 0; c < C; ++c)
        o0[c] = o1[c] = _mm512_setzero_ps();
    for (j = 0; j + 2 <= count; j += 2) {
        const __m512 w0 = _mm512_set1_ps(scores[j]), w1 = _mm512_set1_ps(scores[j + 1]);
        const int8_t* v = values + j * hd;
        for (int c = 0; c < C; ++c) {
            o0[c] = _mm512_fmadd_ps(w0, load16(v + 16 * c), o0[c]);
            o1[c] = _mm512_fmadd_ps(w1, load16(v + hd + 16 * c), o1[c]);
        }
    }
    if (j < count) {
        const __m512 w0 = _mm512_set1_ps(scores[j]);
        for (int c = 0; c < C; ++c)
            o0[c] = _mm512_fmadd_ps(w0, load16(values + j * hd + 16 * c), o0[c]);
    }
    const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sumv));
    for (int c = 0; c < C; ++c)
        _mm512_storeu_ps(out + 16 * c, _mm512_mul_ps(_mm512_add_ps(o0[c], o1[c]), inv));
}

void attendInt8(const float* q, const int8_t* keys, const float* keyScales, const int8_t* values,
                const float* valueScales, int64_t count, int64_t hd, const float* mask,
                float* scores, float* out) {
    switch (hd) {
    case 16:
        return attendHeadInt8<1>(q, keys, keyScales, values, valueScales, count, mask, scores, out);
    case 32:
        return attendHeadInt8<2>(q, keys, keyScales, values, valueScales, count, mask, scores, out);
    case 64:
        return attendHeadInt8<4>(q, keys, keyScales, values, valueScales, count, mask, scores, out);
    case 128:
        return attendHeadInt8<8>(q, keys, keyScales, values, valueScales, count, mask, scores, out);
    default: // other head sizes (the parity model's 8): the portable loop
        return portableKernels().attendInt8.run(q, keys, keyScales, values, valueScales, count, hd,
                                                mask, scores, out);
    }
}

void attendF32(const float* q, const float* keys, const float* values, int64_t count, int64_t hd,
               const float* mask, float* scores, float* out) {
    attend(q, keys, values, count, hd, mask, scores, out);
}

void attendBf16(const float* q, const Bf16* keys, const Bf16* values, int64_t count, int64_t hd,
                const float* mask, float* scores, float* out) {
    attend(q, keys, values, count, hd, mask, scores, out);
}

#pragma GCC diagnostic pop

} // namespace

const KernelSet& avx512Kernels() {
    static const KernelSet set = [] {
        KernelSet k;
        k.gemvF32 = {&gemvF32, "avx512"};
        k.roundBf16 = {&roundBf16, "avx512_bf16"};
        k.gemvBf16 = {&gemvBf16, "avx512_bf16"};
        k.quantiseInt8 = {&quantiseInt8, "avx512_vnni"};
        k.gemvInt8 = {&gemvInt8, "avx512_vnni"};
        k.gemmInt8 = {&gemmInt8, "avx512_vnni"};
        k.gemvInt4 = {&gemvInt4, "avx512_vnni"};
        k.moments = {&moments, "avx512"};
        k.attendF32 = {&attendF32, "avx512"};
        k.attendBf16 = {&attendBf16, "avx512"};
        k.attendInt8 = {&attendInt8, "avx512"};
        return k;
    }();
    return set;
}

} // namespace moodsteer::models::kernels

#endif // MOODSTEER_X86_KERNELS
