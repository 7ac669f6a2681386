#include "Gemv.h"

#include "HugePages.h"
#include "Kernels.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

namespace moodsteer::models::gemv {
namespace {

constexpr int64_t kF32RowsPerTask = 64; // 256 KiB of weights at K = 1024
constexpr int64_t kBlocksPerTask = 16;  // blocks of 4 rows: 128 KiB bf16 / 64 KiB int8 at K = 1024

} // namespace

void f32(const float* x, int64_t M, int64_t K, const float* w, float* y, int64_t ldy, int64_t N) {
    const auto run = kernels::active().gemvF32.run;
    at::parallel_for(0, N, kF32RowsPerTask, [&](int64_t n0, int64_t n1) {
        for (int64_t m = 0; m < M; m += kernels::kMaxRows)
            run(x + m * K, static_cast<int>(std::min<int64_t>(kernels::kMaxRows, M - m)), K, w,
                y + m * ldy, ldy, n0, n1);
    });
}

at::Tensor packBlocks(const at::Tensor& w) {
    const int64_t N = w.size(0), K = w.size(1), c = 64 / w.element_size();
    const int64_t Np = (N + 3) / 4 * 4, Kp = (K + c - 1) / c * c;
    auto padded = at::constant_pad_nd(w, {0, Kp - K, 0, Np - N}, 0);
    return padded.view({Np / 4, 4, Kp / c, c}).permute({0, 2, 1, 3}).contiguous();
}

void bf16(const float* x, int64_t M, int64_t K, const at::Tensor& packed, float* y, int64_t N) {
    const auto& k = kernels::active();
    const int64_t Kp = kernels::bf16PaddedK(K);
    thread_local std::vector<kernels::Bf16> buffer; // reused: no allocation per decode step
    if (buffer.size() < static_cast<size_t>(M * Kp)) buffer.resize(M * Kp);
    k.roundBf16.run(x, M, K, buffer.data());
    const kernels::Bf16* xb = buffer.data();
    const auto* w = static_cast<const kernels::Bf16*>(packed.data_ptr());
    const auto run = k.gemvBf16.run;
    at::parallel_for(0, (N + 3) / 4, kBlocksPerTask, [&](int64_t begin, int64_t end) {
        for (int64_t b0 = begin; b0 < end; b0 += kBlocksPerTask) {
            const int64_t b1 = std::min(end, b0 + kBlocksPerTask);
            for (int64_t m = 0; m < M; m += kernels::kMaxRows)
                run(xb + m * Kp, static_cast<int>(std::min<int64_t>(kernels::kMaxRows, M - m)), K,
                    w, y + m * N, N, N, b0, b1);
        }
    });
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
    const auto& k = kernels::active();
    const int64_t Kp = kernels::int8PaddedK(K);
    thread_local std::vector<uint8_t> codes; // reused: no allocation per decode step
    thread_local std::vector<float> scales;
    if (codes.size() < static_cast<size_t>(M * Kp)) codes.resize(M * Kp);
    if (scales.size() < static_cast<size_t>(M)) scales.resize(M);
    k.quantiseInt8.run(x, M, K, codes.data(), scales.data());
    const uint8_t* xq = codes.data();
    const float* sx = scales.data();
    const int8_t* wq = w.codes.data_ptr<int8_t>();
    const float* sw = w.scales.data_ptr<float>();
    const int32_t* sums = w.rowSums.data_ptr<int32_t>();
    const auto run = k.gemvInt8.run;
    at::parallel_for(0, (N + 3) / 4, kBlocksPerTask, [&](int64_t begin, int64_t end) {
        for (int64_t b0 = begin; b0 < end; b0 += kBlocksPerTask) {
            const int64_t b1 = std::min(end, b0 + kBlocksPerTask);
            for (int64_t m = 0; m < M; m += kernels::kMaxRows)
                run(xq + m * Kp, sx + m,
                    static_cast<int>(std::min<int64_t>(kernels::kMaxRows, M - m)), K, wq, sw, sums,
                    y + m * N, N, N, b0, b1);
        }
    });
}

} // namespace moodsteer::models::gemv
