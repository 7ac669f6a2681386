// int8 GEMV with AVX512_VNNI (see GemvKernels.h). vpdpbusd multiplies 64 unsigned x signed
// byte pairs and adds groups of 4 into 16 int32 lanes, so the activations are quantised per
// input row to [-127, 127] and offset by +128 to make them unsigned; the offset is removed
// with the precomputed row sums of the weight codes. The integer dot product is exact.
#include "GemvKernels.h"
#include "HugePages.h"

#include <ATen/Parallel.h>

// GCC 12 flags its own _mm512_reduce_* helpers (-Wmaybe-uninitialized, a known false
// positive): silence it for the intrinsics header only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <vector>

#define MOODSTEER_INT8_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))

namespace moodsteer::models::gemv {
namespace {

constexpr int64_t kBlock = 16; // blocks of 4 output rows per task: 64 KiB at K = 1024

int64_t paddedK(int64_t K) {
    return (K + 63) / 64 * 64;
}

__mmask16 mask16(int64_t left) {
    return left >= 16  ? static_cast<__mmask16>(0xFFFF)
           : left <= 0 ? static_cast<__mmask16>(0)
                       : static_cast<__mmask16>((1u << left) - 1u);
}

// x [M, K] -> out [M, Kp] = round(x / sx) + 128 (zero padding past K), scales[m] = sx.
MOODSTEER_INT8_TARGET void quantiseRows(const float* x, int64_t M, int64_t K, uint8_t* out,
                                        float* scales) {
    const int64_t Kp = paddedK(K);
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

MOODSTEER_INT8_TARGET inline float dequantise(__m512i acc, int32_t rowSum, float scale) {
    return scale * static_cast<float>(_mm512_reduce_add_epi32(acc) - 128 * rowSum);
}

// M input rows (x: stride Kp) against the packed blocks [b0, b1) of 4 output rows; y has
// stride N. Padded codes and activations are zero, so there is no K tail to mask.
template <int M>
MOODSTEER_INT8_TARGET void int8Rows(const uint8_t* x, const float* sx, int64_t K, const int8_t* w,
                                    const float* sw, const int32_t* rowSums, float* y, int64_t N,
                                    int64_t b0, int64_t b1) {
    const int64_t Kp = paddedK(K);
    for (int64_t b = b0; b < b1; ++b) {
        __m512i acc[4][M];
        for (int i = 0; i < 4; ++i)
            for (int m = 0; m < M; ++m)
                acc[i][m] = _mm512_setzero_si512();
        const int8_t* wb = w + b * 4 * Kp;
        for (int64_t k = 0; k < Kp; k += 64, wb += 4 * 64) {
            __m512i xv[M];
            for (int m = 0; m < M; ++m)
                xv[m] = _mm512_loadu_si512(x + m * Kp + k);
            // One prefetch per line, kPrefetch bytes ahead of the block's stream.
            for (int i = 0; i < 4; ++i)
                _mm_prefetch(reinterpret_cast<const char*>(wb + i * 64) + kPrefetch, _MM_HINT_T0);
            for (int i = 0; i < 4; ++i) {
                const __m512i wv = _mm512_loadu_si512(wb + i * 64);
                for (int m = 0; m < M; ++m)
                    acc[i][m] = _mm512_dpbusd_epi32(acc[i][m], xv[m], wv);
            }
        }
        for (int i = 0; i < 4 && b * 4 + i < N; ++i) {
            const int64_t n = b * 4 + i;
            for (int m = 0; m < M; ++m)
                y[m * N + n] = dequantise(acc[i][m], rowSums[n], sx[m] * sw[n]);
        }
    }
}

void int8Block(int64_t rows, const uint8_t* x, const float* sx, int64_t K, const int8_t* w,
               const float* sw, const int32_t* rowSums, float* y, int64_t N, int64_t b0,
               int64_t b1) {
    switch (rows) {
    case 1:
        return int8Rows<1>(x, sx, K, w, sw, rowSums, y, N, b0, b1);
    case 2:
        return int8Rows<2>(x, sx, K, w, sw, rowSums, y, N, b0, b1);
    case 3:
        return int8Rows<3>(x, sx, K, w, sw, rowSums, y, N, b0, b1);
    default:
        return int8Rows<4>(x, sx, K, w, sw, rowSums, y, N, b0, b1);
    }
}

} // namespace

bool int8Available() {
    static const bool ok = __builtin_cpu_supports("avx512f") &&
                           __builtin_cpu_supports("avx512bw") &&
                           __builtin_cpu_supports("avx512vnni");
    return ok;
}

Int8Weights quantiseInt8(const at::Tensor& weight) {
    at::NoGradGuard noGrad;
    auto scales = weight.abs().amax(1) / 127.0f;
    scales.masked_fill_(scales == 0, 1.0f); // an all-zero row: codes 0, any scale
    Int8Weights q;
    auto codes = (weight / scales.unsqueeze(1)).round_().clamp_(-127, 127).to(at::kChar);
    q.codes = onHugePages(packBlocks(codes)); // streamed every decode step: HugePages.h
    q.scales = scales.contiguous();
    q.rowSums = codes.sum(1, false, at::kInt).contiguous();
    return q;
}

void int8(const float* x, int64_t M, int64_t K, const Int8Weights& w, float* y, int64_t N) {
    const int64_t Kp = paddedK(K);
    thread_local std::vector<uint8_t> codes; // reused: no allocation per decode step
    thread_local std::vector<float> scales;
    if (codes.size() < static_cast<size_t>(M * Kp)) codes.resize(M * Kp);
    if (scales.size() < static_cast<size_t>(M)) scales.resize(M);
    quantiseRows(x, M, K, codes.data(), scales.data());
    const uint8_t* xq = codes.data();
    const float* sx = scales.data();
    const int8_t* wq = w.codes.data_ptr<int8_t>();
    const float* sw = w.scales.data_ptr<float>();
    const int32_t* sums = w.rowSums.data_ptr<int32_t>();
    at::parallel_for(0, (N + 3) / 4, kBlock, [&](int64_t begin, int64_t end) {
        for (int64_t b0 = begin; b0 < end; b0 += kBlock) {
            const int64_t b1 = std::min(end, b0 + kBlock);
            for (int64_t m = 0; m < M; m += 4)
                int8Block(std::min<int64_t>(4, M - m), xq + m * Kp, sx + m, K, wq, sw, sums,
                          y + m * N, N, b0, b1);
        }
    });
}

} // namespace moodsteer::models::gemv
