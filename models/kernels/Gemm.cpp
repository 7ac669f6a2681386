// The int8 GEMM's driver (Gemv.h, int8Gemm). Compiled with OpenMP, as are Gemv.cpp and
// CacheAttention.cpp: LibTorch's at::parallel_for is a header template that runs on the calling
// thread alone in a translation unit built without it. (Gemv.cpp keeps the decode step's few
// rows on the calling thread itself, as the engine wants: the codec's thread has the other core.)
#include "Gemv.h"

#include "Kernels.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace moodsteer::models::gemv {
namespace {

constexpr int64_t kBlocksPerTask = 16; // 64 output rows

// Output rows [4 * b0, 4 * b1) of packed int8 codes (packBlocks: [N/4][Kp/64][4][64]) in the
// GEMM's tile layout [tiles][Kp/4][16][4], zero rows past N.
void tilesFromBlocks(const int8_t* w, int64_t Kp, int64_t N, int64_t b0, int64_t b1, int8_t* out) {
    using kernels::kGemmTile;
    using kernels::kInt8Chunk;
    const int64_t rows = std::min(4 * (b1 - b0), N - 4 * b0);
    const int64_t tiles = (rows + kGemmTile - 1) / kGemmTile, quads = Kp / 4;
    const int64_t chunks = Kp / kInt8Chunk;
    std::fill(out, out + tiles * quads * kGemmTile * 4, int8_t{0});
    for (int64_t n = 0; n < rows; ++n) {
        const int64_t b = b0 + n / 4, i = n % 4;
        int8_t* tile = out + (n / kGemmTile) * quads * kGemmTile * 4 + (n % kGemmTile) * 4;
        for (int64_t c = 0; c < chunks; ++c) {
            const int8_t* src = w + ((b * chunks + c) * 4 + i) * kInt8Chunk;
            for (int64_t k = 0; k < kInt8Chunk; k += 4)
                std::memcpy(tile + (c * kInt8Chunk + k) * kGemmTile, src + k, 4);
        }
    }
}

} // namespace

void int8Gemm(const uint8_t* xq, const float* sx, int64_t M, int64_t K, const Int8Weights& w,
              float* y, int64_t N) {
    const int64_t Kp = kernels::int8PaddedK(K);
    const int8_t* wq = w.codes.data_ptr<int8_t>();
    const float* sw = w.scales.data_ptr<float>();
    const int32_t* sums = w.rowSums.data_ptr<int32_t>();
    const auto gemm = kernels::active().gemmInt8.run;
    at::parallel_for(0, (N + 3) / 4, kBlocksPerTask, [&](int64_t begin, int64_t end) {
        thread_local std::vector<int8_t> tiles;
        for (int64_t b0 = begin; b0 < end; b0 += kBlocksPerTask) {
            const int64_t b1 = std::min(end, b0 + kBlocksPerTask);
            const int64_t rows = std::min(4 * (b1 - b0), N - 4 * b0);
            const int64_t padded =
                (rows + kernels::kGemmTile - 1) / kernels::kGemmTile * kernels::kGemmTile;
            if (tiles.size() < static_cast<size_t>(padded * Kp)) tiles.resize(padded * Kp);
            tilesFromBlocks(wq, Kp, N, b0, b1, tiles.data());
            gemm(xq, sx, M, K, tiles.data(), sw + 4 * b0, sums + 4 * b0, y + 4 * b0, N, rows);
        }
    });
}

} // namespace moodsteer::models::gemv
