#include "Gemv.h"

#include "DecodeHelper.h"
#include "HugePages.h"
#include "Kernels.h"
#include "models/DecodeThreads.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

namespace moodsteer::models::gemv {
namespace {

constexpr int64_t kF32RowsPerTask = 64; // 256 KiB of weights at K = 1024
constexpr int64_t kBlocksPerTask = 16;  // blocks of 4 rows: 128 KiB bf16 at K = 1024
constexpr int64_t kTilesPerTask = 4;    // int8 tiles of 16 rows: 64 KiB at K = 1024
// Built with OpenMP (models/CMakeLists.txt), so at::parallel_for shares work between threads;
// the decode step's few rows (CFG, takes) stay on the calling thread, as the engine wants (the
// codec's thread has the other core), and a prefill's many rows (a session window's context,
// on every core under AllCoresFor) are shared.
constexpr int64_t kParallelMinRows = kInt8GemmMinRows;

// n elements of `buffer`, a thread_local kept by the caller: no allocation per decode step.
template <typename T> T* scratch(std::vector<T>& buffer, int64_t n) {
    if (buffer.size() < static_cast<size_t>(n)) buffer.resize(n);
    return buffer.data();
}

// Ranges of [0, n) of `grain` each to task(begin, end): on every LibTorch thread for a call of
// kParallelMinRows rows or more, else all on the calling thread. Each output element is
// computed by the same kernel call either way, so the values do not depend on the split.
template <typename F> void forTasks(int64_t M, int64_t n, int64_t grain, const F& task) {
    if (M >= kParallelMinRows)
        at::parallel_for(0, n, grain, task);
    else if (n > 0)
        task(0, n);
}

// The M input rows kMaxRows at a time (the weights a kernel call reads stay in L2 for the next
// rows): run(m, rows).
template <typename F> void inRowGroups(int64_t M, const F& run) {
    for (int64_t m = 0; m < M; m += kernels::kMaxRows)
        run(m, static_cast<int>(std::min<int64_t>(kernels::kMaxRows, M - m)));
}

// The packed blocks of an N-row weight, kBlocksPerTask per task, each range of blocks against
// the M input rows kMaxRows at a time: run(m, rows, b0, b1).
template <typename F> void forBlocks(int64_t N, int64_t M, const F& run) {
    forTasks(M, (N + 3) / 4, kBlocksPerTask, [&](int64_t begin, int64_t end) {
        for (int64_t b0 = begin; b0 < end; b0 += kBlocksPerTask) {
            const int64_t b1 = std::min(end, b0 + kBlocksPerTask);
            inRowGroups(M, [&](int64_t m, int rows) { run(m, rows, b0, b1); });
        }
    });
}

// A decode step's GEMV (M < kParallelMinRows input rows) in items of output rows, each for
// every input row: item(args, input, i, y) computes item i from its plain-bytes arguments and
// the input (the rounded or quantised rows) only. Shared with the decode helper when it is on
// (models/DecodeThreads.h; the helper works on copies of args and input, and `weights` keeps
// what args point at alive for a helper that finishes late), else run here in order. Each item
// is the same kernel call either way, so the output does not depend on who computed it.
template <typename Args, typename Weights>
void runItems(const Args& args, DecodeHelper::Fn item, const void* input, size_t inputBytes,
              int count, int64_t M, int64_t N, int64_t perItem, float* y, int64_t weightBytes,
              const Weights& weights) {
    static_assert(std::is_trivially_copyable_v<Args> && sizeof(Args) <= DecodeHelper::kArgBytes);
    if (decodeHelper() && count >= 2 && weightBytes >= kDecodeHelperMinBytes) {
        DecodeHelper::Job job;
        job.fn = item;
        job.args = &args;
        job.argBytes = sizeof(args);
        job.input = input;
        job.inputBytes = inputBytes;
        job.count = count;
        job.y = y;
        job.yFloats = M * N;
        job.rows = M;
        job.stride = N;
        job.perItem = perItem;
        job.cols = N;
        job.keepAlive = weights();
        if (DecodeHelper::instance().share(job)) return;
    }
    for (int i = 0; i < count; ++i)
        item(&args, input, i, y);
}

// Items of the three reduced precisions: blocks (bf16, int4: 4 rows each) or tiles (int8: 16
// rows each) [i * per, (i + 1) * per) against every input row.
struct Bf16Item {
    kernels::KernelSet::GemvBf16* run;
    int64_t M, K, Kp, N, blocks;
    const kernels::Bf16* w;
    static void item(const void* argsBytes, const void* input, int i, float* y) {
        const auto& a = *static_cast<const Bf16Item*>(argsBytes);
        const auto* xb = static_cast<const kernels::Bf16*>(input);
        const int64_t b0 = i * kBlocksPerTask, b1 = std::min(a.blocks, b0 + kBlocksPerTask);
        inRowGroups(a.M, [&](int64_t m, int rows) {
            a.run(xb + m * a.Kp, rows, a.K, a.w, y + m * a.N, a.N, a.N, b0, b1);
        });
    }
};

// Input: the quantised rows (M x Kp codes), then their M scales.
struct Int8Item {
    kernels::KernelSet::GemvInt8* run;
    int64_t M, K, Kp, N, tiles;
    const int8_t* wq;
    const float* sw;
    const int32_t* sums;
    static void item(const void* argsBytes, const void* input, int i, float* y) {
        const auto& a = *static_cast<const Int8Item*>(argsBytes);
        const auto* xq = static_cast<const uint8_t*>(input);
        const auto* sx = reinterpret_cast<const float*>(xq + a.M * a.Kp);
        const int64_t t0 = i * kTilesPerTask, t1 = std::min(a.tiles, t0 + kTilesPerTask);
        inRowGroups(a.M, [&](int64_t m, int rows) {
            a.run(xq + m * a.Kp, sx + m, rows, a.K, a.wq, a.sw, a.sums, y + m * a.N, a.N, a.N, t0,
                  t1);
        });
    }
};

// Input: the quantised rows (M x Kp codes), their group sums (M x sumsPerRow), their M scales.
struct Int4Item {
    kernels::KernelSet::GemvInt4* run;
    int64_t M, K, Kp, N, blocks, sumsPerRow;
    const uint8_t* wq;
    const float* sw;
    static void item(const void* argsBytes, const void* input, int i, float* y) {
        const auto& a = *static_cast<const Int4Item*>(argsBytes);
        const auto* xq = static_cast<const int8_t*>(input);
        const auto* xs = reinterpret_cast<const int32_t*>(xq + a.M * a.Kp);
        const auto* sx = reinterpret_cast<const float*>(xs + a.M * a.sumsPerRow);
        const int64_t b0 = i * kBlocksPerTask, b1 = std::min(a.blocks, b0 + kBlocksPerTask);
        inRowGroups(a.M, [&](int64_t m, int rows) {
            a.run(xq + m * a.Kp, xs + m * a.sumsPerRow, sx + m, rows, a.K, a.wq, a.sw, y + m * a.N,
                  a.N, a.N, b0, b1);
        });
    }
};

int itemCount(int64_t units, int64_t perItem) {
    return static_cast<int>((units + perItem - 1) / perItem);
}

} // namespace

void f32(const float* x, int64_t M, int64_t K, const float* w, float* y, int64_t ldy, int64_t N) {
    const auto run = kernels::active().gemvF32.run;
    forTasks(M, N, kF32RowsPerTask, [&](int64_t n0, int64_t n1) {
        inRowGroups(
            M, [&](int64_t m, int rows) { run(x + m * K, rows, K, w, y + m * ldy, ldy, n0, n1); });
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
    thread_local std::vector<kernels::Bf16> buffer;
    kernels::Bf16* xb = scratch(buffer, M * Kp);
    k.roundBf16.run(x, M, K, xb);
    const auto* w = static_cast<const kernels::Bf16*>(packed.data_ptr());
    const auto run = k.gemvBf16.run;
    if (M < kParallelMinRows) { // a decode step's rows
        const int64_t blocks = (N + 3) / 4;
        runItems(Bf16Item{run, M, K, Kp, N, blocks, w}, &Bf16Item::item, xb,
                 sizeof(kernels::Bf16) * M * Kp, itemCount(blocks, kBlocksPerTask), M, N,
                 4 * kBlocksPerTask, y, 2 * N * Kp,
                 [&] { return std::make_shared<const at::Tensor>(packed); });
        return;
    }
    forBlocks(N, M, [&](int64_t m, int rows, int64_t b0, int64_t b1) {
        run(xb + m * Kp, rows, K, w, y + m * N, N, N, b0, b1);
    });
}

at::Tensor packTiles(const at::Tensor& codes) {
    const int64_t N = codes.size(0), K = codes.size(1), T = kernels::kGemmTile;
    const int64_t Np = (N + T - 1) / T * T, Kp = kernels::int8PaddedK(K);
    auto padded = at::constant_pad_nd(codes, {0, Kp - K, 0, Np - N}, 0);
    return padded.view({Np / T, T, Kp / 4, 4}).permute({0, 2, 1, 3}).contiguous();
}

Int8Weights quantiseInt8(const at::Tensor& weight) {
    at::NoGradGuard noGrad;
    auto scales = weight.abs().amax(1) / 127.0f;
    scales.masked_fill_(scales == 0, 1.0f); // an all-zero row: codes 0, any scale
    Int8Weights q;
    auto codes = (weight / scales.unsqueeze(1)).round_().clamp_(-127, 127).to(at::kChar);
    q.codes = onHugePages(packTiles(codes)); // streamed every decode step: HugePages.h
    q.scales = scales.contiguous();
    q.rowSums = codes.sum(1, false, at::kInt).contiguous();
    return q;
}

void int8(const float* x, int64_t M, int64_t K, const Int8Weights& w, float* y, int64_t N) {
    const auto& k = kernels::active();
    const int64_t Kp = kernels::int8PaddedK(K);
    // The quantised rows, then their scales: the input of a decode step's items.
    thread_local std::vector<uint8_t> input;
    uint8_t* xq = scratch(input, M * Kp + static_cast<int64_t>(sizeof(float)) * M);
    auto* sx = reinterpret_cast<float*>(xq + M * Kp);
    k.quantiseInt8.run(x, M, K, xq, sx);
    if (M >= kInt8GemmMinRows) {
        int8Gemm(xq, sx, M, K, w, y, N);
        return;
    }
    // Tiles of 16 rows, kTilesPerTask per item: M < kInt8GemmMinRows here.
    const int64_t tiles = (N + kernels::kGemmTile - 1) / kernels::kGemmTile;
    runItems(Int8Item{k.gemvInt8.run, M, K, Kp, N, tiles, w.codes.data_ptr<int8_t>(),
                      w.scales.data_ptr<float>(), w.rowSums.data_ptr<int32_t>()},
             &Int8Item::item, xq, M * Kp + sizeof(float) * M, itemCount(tiles, kTilesPerTask), M, N,
             kTilesPerTask * kernels::kGemmTile, y, N * Kp,
             [&] { return std::make_shared<const Int8Weights>(w); });
}

Int4Weights quantiseInt4(const at::Tensor& weight) {
    at::NoGradGuard noGrad;
    constexpr int64_t G = kernels::kInt4Group;
    const int64_t N = weight.size(0), K = weight.size(1);
    const int64_t Np = (N + 3) / 4 * 4, Kp = kernels::int4PaddedK(K), groups = Kp / G;
    auto w =
        at::constant_pad_nd(weight.to(at::kFloat), {0, Kp - K, 0, Np - N}, 0).view({Np, groups, G});
    auto scales = w.abs().amax(2) / 7.0f;
    scales.masked_fill_(scales == 0, 1.0f); // an all-zero group: codes 0, any scale
    auto u = (w / scales.unsqueeze(2)).round_().clamp_(-7, 7).add_(8).to(at::kByte);
    auto bytes = u.narrow(2, 0, G / 2).bitwise_or(u.narrow(2, G / 2, G / 2).bitwise_left_shift(4));
    Int4Weights q;
    q.codes = onHugePages( // streamed every decode step: HugePages.h
        bytes.view({Np / 4, 4, groups, G / 2}).permute({0, 2, 1, 3}).contiguous());
    q.scales = scales.view({Np / 4, 4, groups}).permute({0, 2, 1}).contiguous();
    return q;
}

at::Tensor dequantiseInt4(const Int4Weights& w, int64_t N, int64_t K) {
    constexpr int64_t G = kernels::kInt4Group;
    const int64_t groups = w.codes.size(1);
    auto bytes = w.codes.permute({0, 2, 1, 3}).reshape({-1, groups, G / 2}).to(at::kInt);
    auto u = at::cat({bytes.bitwise_and(15), bytes.bitwise_right_shift(4)}, 2);
    auto scales = w.scales.permute({0, 2, 1}).reshape({-1, groups, 1});
    return ((u - 8).to(at::kFloat) * scales)
        .view({-1, groups * G})
        .narrow(0, 0, N)
        .narrow(1, 0, K)
        .contiguous();
}

void quantiseInt4Input(const float* x, int64_t M, int64_t K, int8_t* codes, int32_t* sums,
                       float* scales) {
    const auto quantise = kernels::active().quantiseInt8.run;
    const int64_t Kp = kernels::int4PaddedK(K), groups = Kp / kernels::kInt4Group;
    for (int64_t m = 0; m < M; ++m) {
        // The int8 path's codes (+128, padded to whole 64-byte chunks), made signed.
        auto* row = reinterpret_cast<uint8_t*>(codes + m * Kp);
        quantise(x + m * K, 1, K, row, scales + m);
        for (int64_t i = 0; i < K; ++i)
            row[i] ^= 0x80u;
        std::fill(row + K, row + Kp, uint8_t{0});
        // Lane l of a group adds codes 4l..4l+3 of each half (where vpdpbusd puts them).
        const int8_t* c = codes + m * Kp;
        int32_t* s = sums + m * groups * kernels::kInt4SumLanes;
        for (int64_t g = 0; g < groups; ++g, c += kernels::kInt4Group)
            for (int l = 0; l < kernels::kInt4SumLanes; ++l) {
                const int8_t* q = c + 4 * l;
                s[g * kernels::kInt4SumLanes + l] =
                    q[0] + q[1] + q[2] + q[3] + q[64] + q[65] + q[66] + q[67];
            }
    }
}

void int4(const float* x, int64_t M, int64_t K, const Int4Weights& w, float* y, int64_t N) {
    const int64_t Kp = kernels::int4PaddedK(K), groups = Kp / kernels::kInt4Group;
    const int64_t sumsPerRow = groups * kernels::kInt4SumLanes;
    // The quantised rows, their group sums, their scales: the input of a decode step's items.
    const int64_t bytes = M * Kp + static_cast<int64_t>(sizeof(int32_t)) * M * sumsPerRow +
                          static_cast<int64_t>(sizeof(float)) * M;
    thread_local std::vector<int8_t> input;
    int8_t* xq = scratch(input, bytes);
    auto* xs = reinterpret_cast<int32_t*>(xq + M * Kp);
    auto* sx = reinterpret_cast<float*>(xs + M * sumsPerRow);
    quantiseInt4Input(x, M, K, xq, xs, sx);
    const uint8_t* wq = w.codes.data_ptr<uint8_t>();
    const float* sw = w.scales.data_ptr<float>();
    const auto run = kernels::active().gemvInt4.run;
    const int64_t blocks = (N + 3) / 4;
    if (M < kParallelMinRows) { // a decode step's rows
        runItems(Int4Item{run, M, K, Kp, N, blocks, sumsPerRow, wq, sw}, &Int4Item::item, xq,
                 static_cast<size_t>(bytes), itemCount(blocks, kBlocksPerTask), M, N,
                 4 * kBlocksPerTask, y, N * Kp / 2,
                 [&] { return std::make_shared<const Int4Weights>(w); });
        return;
    }
    forBlocks(N, M, [&](int64_t m, int rows, int64_t b0, int64_t b1) {
        run(xq + m * Kp, xs + m * sumsPerRow, sx + m, rows, K, wq, sw, y + m * N, N, N, b0, b1);
    });
}

} // namespace moodsteer::models::gemv
