// The int8 GEMM's driver (Gemv.h, int8Gemm). Compiled with OpenMP, as are Gemv.cpp and
// CacheAttention.cpp: LibTorch's at::parallel_for is a header template that runs on the calling
// thread alone in a translation unit built without it. (Gemv.cpp keeps the decode step's few
// rows on the calling thread itself, as the engine wants: the codec's thread has the other core.)
#include "Gemv.h"

#include "Kernels.h"

#include <ATen/Parallel.h>

#include <algorithm>

namespace moodsteer::models::gemv {
namespace {

constexpr int64_t kTilesPerTask = 4; // 64 output rows: 64 KiB at K = 1024, in L2

} // namespace

void int8Gemm(const uint8_t* xq, const float* sx, int64_t M, int64_t K, const Int8Weights& w,
              float* y, int64_t N) {
    const int64_t Kp = kernels::int8PaddedK(K);
    const int8_t* wq = w.codes.data_ptr<int8_t>();
    const float* sw = w.scales.data_ptr<float>();
    const int32_t* sums = w.rowSums.data_ptr<int32_t>();
    const auto gemm = kernels::active().gemmInt8.run;
    const int64_t T = kernels::kGemmTile, tileBytes = Kp / 4 * T * 4;
    at::parallel_for(0, (N + T - 1) / T, kTilesPerTask, [&](int64_t begin, int64_t end) {
        for (int64_t t0 = begin; t0 < end; t0 += kTilesPerTask) {
            const int64_t t1 = std::min(end, t0 + kTilesPerTask);
            const int64_t rows = std::min(T * (t1 - t0), N - T * t0);
            gemm(xq, sx, M, K, wq + t0 * tileBytes, sw + T * t0, sums + T * t0, y + T * t0, N,
                 rows);
        }
    });
}

} // namespace moodsteer::models::gemv
