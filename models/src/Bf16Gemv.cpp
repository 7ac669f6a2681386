// bf16 GEMV with AVX512_BF16 (see GemvKernels.h). vdpbf16ps multiplies 32 bf16 pairs and adds
// adjacent products into 16 f32 lanes, so row-major bf16 weights and activations feed it
// directly, 64 bytes of weights per instruction.
#include "GemvKernels.h"

#include <ATen/Parallel.h>

// GCC 12 flags its own _mm512_reduce_add_ps helpers (-Wmaybe-uninitialized, a known false
// positive): silence it for the intrinsics header only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <vector>

#define MOODSTEER_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512bf16")))

namespace moodsteer::models::gemv {
namespace {

constexpr int64_t kBlock = 16; // blocks of 4 output rows per task: 128 KiB at K = 1024

int64_t paddedK(int64_t K) {
    return (K + 31) / 32 * 32;
}

// x [M, K] f32 -> [M, Kp] bf16 (round to nearest even), zero-padded to a multiple of 32 so
// the kernel never needs a masked load of x.
MOODSTEER_BF16_TARGET void roundToBf16(const float* x, int64_t M, int64_t K, uint16_t* out) {
    const int64_t Kp = paddedK(K);
    for (int64_t m = 0; m < M; ++m)
        for (int64_t k = 0; k < Kp; k += 16) {
            const int64_t left = K - k;
            const __mmask16 mask = left >= 16  ? static_cast<__mmask16>(0xFFFF)
                                   : left <= 0 ? static_cast<__mmask16>(0)
                                               : static_cast<__mmask16>((1u << left) - 1u);
            const __m256bh b = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, x + m * K + k));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + m * Kp + k), (__m256i)b);
        }
}

// M input rows (x: stride Kp) against the packed blocks [b0, b1) of 4 output rows; y has
// stride N. Padded weights and activations are zero, so there is no K tail to mask.
template <int M>
MOODSTEER_BF16_TARGET void bf16Rows(const uint16_t* x, int64_t K, const uint16_t* w, float* y,
                                    int64_t N, int64_t b0, int64_t b1) {
    const int64_t Kp = paddedK(K);
    for (int64_t b = b0; b < b1; ++b) {
        __m512 acc[4][M];
        for (int i = 0; i < 4; ++i)
            for (int m = 0; m < M; ++m)
                acc[i][m] = _mm512_setzero_ps();
        const uint16_t* wb = w + b * 4 * Kp;
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
                y[m * N + b * 4 + i] = _mm512_reduce_add_ps(acc[i][m]);
    }
}

void bf16Block(const uint16_t* x, int64_t rows, int64_t K, const uint16_t* w, float* y, int64_t N,
               int64_t b0, int64_t b1) {
    switch (rows) {
    case 1:
        return bf16Rows<1>(x, K, w, y, N, b0, b1);
    case 2:
        return bf16Rows<2>(x, K, w, y, N, b0, b1);
    case 3:
        return bf16Rows<3>(x, K, w, y, N, b0, b1);
    default:
        return bf16Rows<4>(x, K, w, y, N, b0, b1);
    }
}

} // namespace

bool bf16Available() {
    static const bool ok = __builtin_cpu_supports("avx512f") &&
                           __builtin_cpu_supports("avx512bw") &&
                           __builtin_cpu_supports("avx512bf16");
    return ok;
}

at::Tensor packBlocks(const at::Tensor& w) {
    const int64_t N = w.size(0), K = w.size(1), c = 64 / w.element_size();
    const int64_t Np = (N + 3) / 4 * 4, Kp = (K + c - 1) / c * c;
    auto padded = at::constant_pad_nd(w, {0, Kp - K, 0, Np - N}, 0);
    return padded.view({Np / 4, 4, Kp / c, c}).permute({0, 2, 1, 3}).contiguous();
}

void bf16(const float* x, int64_t M, int64_t K, const at::Tensor& packed, float* y, int64_t N) {
    const int64_t Kp = paddedK(K);
    thread_local std::vector<uint16_t> buffer; // reused: no allocation per decode step
    if (buffer.size() < static_cast<size_t>(M * Kp)) buffer.resize(M * Kp);
    roundToBf16(x, M, K, buffer.data());
    const uint16_t* xb = buffer.data();
    const auto* w = static_cast<const uint16_t*>(packed.data_ptr());
    at::parallel_for(0, (N + 3) / 4, kBlock, [&](int64_t begin, int64_t end) {
        for (int64_t b0 = begin; b0 < end; b0 += kBlock) {
            const int64_t b1 = std::min(end, b0 + kBlock);
            for (int64_t m = 0; m < M; m += 4)
                bf16Block(xb + m * Kp, std::min<int64_t>(4, M - m), K, w, y + m * N, N, b0, b1);
        }
    });
}

} // namespace moodsteer::models::gemv
