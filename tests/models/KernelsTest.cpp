// The kernel dispatcher and the kernel sets (models/kernels/Kernels.h): which set each
// operation gets (forced portable by the build, or the widest this CPU runs), and every
// vector implementation this CPU runs against the portable one on odd shapes, printing the
// largest difference per operation. int8 must agree exactly (integer sums, the same
// quantisation); float results may differ by float32 summation order only.
#include "Kernels.h"
#include "Gemv.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

using namespace moodsteer::models;
using namespace moodsteer::models::kernels;

namespace {

std::vector<const char*> activeIsas() {
    const KernelSet& k = active();
    return {k.gemvF32.isa,   k.roundBf16.isa,  k.gemvBf16.isa,  k.quantiseInt8.isa,
            k.gemvInt8.isa,  k.gemmInt8.isa,   k.gemvInt4.isa,  k.moments.isa,
            k.attendF32.isa, k.attendBf16.isa, k.attendInt8.isa};
}

[[maybe_unused]] bool environmentForcesPortable() { // unused when forced at build time
    const char* v = std::getenv("MOODSTEER_KERNELS");
    return v && std::string(v) == "portable";
}

/// Largest difference per "isa op" key, printed at the end of a test.
struct Worst {
    std::map<std::string, double> diff;
    void note(const std::string& key, double d) { diff[key] = std::max(diff[key], d); }
    void print() const {
        for (const auto& [key, d] : diff)
            std::cout << "  " << key << " vs portable: max difference " << d << std::endl;
    }
};

std::vector<float> randomVector(int64_t n, float scale = 1.0f) {
    auto t = torch::randn({n}) * scale;
    return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + n);
}

/// |a - b| / (sum of |terms| behind each value): the relative error of a sum.
double worstRelative(const std::vector<float>& a, const std::vector<float>& b,
                     const std::vector<double>& scale) {
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, std::fabs(double(a[i]) - double(b[i])) / (scale[i] + 1e-30));
    return worst;
}

} // namespace

TEST(Kernels, DispatcherHonoursTheBuildAndTheCpu) {
    std::cout << "  active kernels: " << describeActive() << std::endl;
    const KernelSet& k = active();
    for (auto* run : {(void*)k.gemvF32.run, (void*)k.roundBf16.run, (void*)k.gemvBf16.run,
                      (void*)k.quantiseInt8.run, (void*)k.gemvInt8.run, (void*)k.gemmInt8.run,
                      (void*)k.gemvInt4.run, (void*)k.moments.run, (void*)k.attendF32.run,
                      (void*)k.attendBf16.run, (void*)k.attendInt8.run})
        EXPECT_NE(nullptr, run) << "every operation has a kernel";
    ASSERT_FALSE(available().empty());
    EXPECT_STREQ("portable", available().front()->gemvF32.isa);
#ifdef MOODSTEER_PORTABLE_KERNELS
    // The build forced the fallback: no x86 kernel exists, every operation is portable.
    EXPECT_FALSE(x86KernelsCompiled());
    EXPECT_EQ(1u, available().size());
    for (const char* isa : activeIsas())
        EXPECT_STREQ("portable", isa);
#else
    if (environmentForcesPortable()) {
        for (const char* isa : activeIsas())
            EXPECT_STREQ("portable", isa);
        return;
    }
    if (std::getenv("MOODSTEER_KERNELS")) GTEST_SKIP() << "MOODSTEER_KERNELS caps the choice";
#if defined(__x86_64__)
    // The widest set this CPU runs, operation by operation.
    ASSERT_TRUE(x86KernelsCompiled());
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    const char* base = avx2 ? "avx2" : "portable";
    EXPECT_STREQ(avx512 ? "avx512" : base, k.gemvF32.isa);
    EXPECT_STREQ(avx512 ? "avx512" : base, k.attendF32.isa);
    EXPECT_STREQ(avx512 ? "avx512" : base, k.moments.isa);
    EXPECT_STREQ(avx512 && __builtin_cpu_supports("avx512bf16") ? "avx512_bf16" : base,
                 k.gemvBf16.isa);
    EXPECT_STREQ(avx512 && __builtin_cpu_supports("avx512vnni") ? "avx512_vnni" : base,
                 k.gemvInt8.isa);
    EXPECT_STREQ(avx512 && __builtin_cpu_supports("avx512vnni") ? "avx512_vnni" : base,
                 k.gemvInt4.isa);
#else
    EXPECT_FALSE(x86KernelsCompiled());
    for (const char* isa : activeIsas())
        EXPECT_STREQ("portable", isa);
#endif
#endif
}

TEST(Kernels, GemvKernelsAgreeWithPortable) {
    torch::NoGradGuard noGrad;
    torch::manual_seed(21);
    const KernelSet& ref = portable();
    Worst worst;
    if (available().size() == 1)
        std::cout << "  only the portable kernels in this build/CPU: checked against themselves"
                  << std::endl;
    for (int64_t K : {1, 15, 31, 33, 64, 65, 100, 1031})
        for (int64_t N : {1, 3, 4, 5, 67})
            for (int M = 1; M <= kMaxRows; ++M) {
                auto x = randomVector(M * K);
                auto w = torch::randn({N, K});
                const float* wp = w.data_ptr<float>();
                // sum_k |x||w| per output: what a summation-order difference is relative to.
                std::vector<double> scale(M * N);
                for (int m = 0; m < M; ++m)
                    for (int64_t n = 0; n < N; ++n)
                        for (int64_t k = 0; k < K; ++k)
                            scale[m * N + n] += std::fabs(x[m * K + k] * wp[n * K + k]);
                const std::string shape = "M " + std::to_string(M) + " N " + std::to_string(N) +
                                          " K " + std::to_string(K);

                std::vector<float> yRef(M * N), y(M * N);
                ref.gemvF32.run(x.data(), M, K, wp, yRef.data(), N, 0, N);
                // bf16: round, pack, multiply.
                auto packedBf16 = gemv::packBlocks(w.to(torch::kBFloat16));
                const auto* wb = static_cast<const Bf16*>(packedBf16.data_ptr());
                std::vector<Bf16> xbRef(M * bf16PaddedK(K)), xb(xbRef.size());
                ref.roundBf16.run(x.data(), M, K, xbRef.data());
                std::vector<float> ybRef(M * N), yb(M * N);
                ref.gemvBf16.run(xbRef.data(), M, K, wb, ybRef.data(), N, N, 0, (N + 3) / 4);
                // The portable bf16 rounding is ATen's.
                auto atenRounded = torch::from_blob(x.data(), {M, K}).to(torch::kBFloat16);
                for (int m = 0; m < M; ++m)
                    ASSERT_EQ(0, std::memcmp(xbRef.data() + m * bf16PaddedK(K),
                                             atenRounded[m].data_ptr(), K * sizeof(Bf16)))
                        << shape;
                // int8: quantise, multiply.
                auto q = gemv::quantiseInt8(w);
                const int64_t Kq = int8PaddedK(K);
                std::vector<uint8_t> xqRef(M * Kq), xq(M * Kq);
                std::vector<float> sxRef(M), sx(M), yqRef(M * N), yq(M * N);
                ref.quantiseInt8.run(x.data(), M, K, xqRef.data(), sxRef.data());
                ref.gemvInt8.run(xqRef.data(), sxRef.data(), M, K, q.codes.data_ptr<int8_t>(),
                                 q.scales.data_ptr<float>(), q.rowSums.data_ptr<int32_t>(),
                                 yqRef.data(), N, N, 0, (N + kGemmTile - 1) / kGemmTile);

                for (const KernelSet* set : available()) {
                    if (set->gemvF32.run) {
                        set->gemvF32.run(x.data(), M, K, wp, y.data(), N, 0, N);
                        const double d = worstRelative(y, yRef, scale);
                        worst.note(std::string(set->gemvF32.isa) + " gemv f32", d);
                        EXPECT_LE(d, K * std::ldexp(1.0, -23)) << set->gemvF32.isa << " " << shape;
                    }
                    if (set->roundBf16.run && set->gemvBf16.run) {
                        set->roundBf16.run(x.data(), M, K, xb.data());
                        EXPECT_EQ(xbRef, xb) << set->roundBf16.isa << " rounds differently";
                        set->gemvBf16.run(xb.data(), M, K, wb, yb.data(), N, N, 0, (N + 3) / 4);
                        const double d = worstRelative(yb, ybRef, scale);
                        worst.note(std::string(set->gemvBf16.isa) + " gemv bf16", d);
                        // bf16 products are exact in float32: only the summation order differs.
                        EXPECT_LE(d, K * std::ldexp(1.0, -23)) << set->gemvBf16.isa << " " << shape;
                    }
                    if (set->quantiseInt8.run && set->gemvInt8.run) {
                        set->quantiseInt8.run(x.data(), M, K, xq.data(), sx.data());
                        EXPECT_EQ(xqRef, xq) << set->quantiseInt8.isa << " " << shape;
                        EXPECT_EQ(sxRef, sx) << set->quantiseInt8.isa << " " << shape;
                        set->gemvInt8.run(xq.data(), sx.data(), M, K, q.codes.data_ptr<int8_t>(),
                                          q.scales.data_ptr<float>(), q.rowSums.data_ptr<int32_t>(),
                                          yq.data(), N, N, 0, (N + kGemmTile - 1) / kGemmTile);
                        double d = 0;
                        for (size_t i = 0; i < yq.size(); ++i)
                            d = std::max(d, std::fabs(double(yq[i]) - double(yqRef[i])));
                        worst.note(std::string(set->gemvInt8.isa) + " gemv int8", d);
                        EXPECT_EQ(yqRef, yq) << set->gemvInt8.isa << " " << shape;
                    }
                }
            }
    worst.print();
}

// int4: the quantised weights stay within half a step of the originals, and every kernel set
// computes sx * sum_k qx[k] * w'[k] (w' the dequantised weights) up to float32 rounding: each
// group's integer sum is exact, only the scaling and the sum over groups round.
TEST(Kernels, GemvInt4ComputesItsDequantisedWeights) {
    torch::NoGradGuard noGrad;
    torch::manual_seed(23);
    Worst worst;
    for (int64_t K : {1, 64, 65, 127, 128, 129, 300, 1031})
        for (int64_t N : {1, 3, 4, 5, 67}) {
            auto w = torch::randn({N, K});
            w.index_put_({0, torch::indexing::Slice(0, std::min<int64_t>(K, 128))}, 0.0f);
            auto q = gemv::quantiseInt4(w);
            auto wd = gemv::dequantiseInt4(q, N, K);
            ASSERT_EQ(wd.sizes(), w.sizes());
            // Half a step of each group's scale (max|group| / 7); an all-zero group stays zero.
            const int64_t Kp = int4PaddedK(K), groups = Kp / kInt4Group;
            auto step = torch::constant_pad_nd(w, {0, Kp - K})
                            .view({N, groups, kInt4Group})
                            .abs()
                            .amax(2, true)
                            .div(7.0)
                            .expand({N, groups, kInt4Group})
                            .reshape({N, Kp})
                            .narrow(1, 0, K);
            const double over = (wd - w).abs().sub(step * 0.5 * (1 + 1e-6)).max().item<double>();
            EXPECT_LE(over, 0.0) << "N " << N << " K " << K;
            EXPECT_EQ(0, wd[0].narrow(0, 0, std::min<int64_t>(K, 128)).abs().sum().item<float>());
            const float* wdp = wd.data_ptr<float>();
            for (int M = 1; M <= kMaxRows; ++M) {
                auto x = randomVector(M * K);
                std::vector<int8_t> xq(M * Kp);
                std::vector<int32_t> sums(M * groups * kInt4SumLanes);
                std::vector<float> sx(M), y(M * N);
                gemv::quantiseInt4Input(x.data(), M, K, xq.data(), sums.data(), sx.data());
                std::vector<double> exact(M * N), scale(M * N);
                for (int m = 0; m < M; ++m)
                    for (int64_t n = 0; n < N; ++n)
                        for (int64_t k = 0; k < K; ++k) {
                            const double p = double(sx[m]) * xq[m * Kp + k] * wdp[n * K + k];
                            exact[m * N + n] += p;
                            scale[m * N + n] += std::fabs(p);
                        }
                for (const KernelSet* set : available()) {
                    if (!set->gemvInt4.run) continue;
                    set->gemvInt4.run(xq.data(), sums.data(), sx.data(), M, K,
                                      q.codes.data_ptr<uint8_t>(), q.scales.data_ptr<float>(),
                                      y.data(), N, N, 0, (N + 3) / 4);
                    double d = 0;
                    for (size_t i = 0; i < y.size(); ++i)
                        d = std::max(d, std::fabs(y[i] - exact[i]) / std::max(scale[i], 1e-30));
                    worst.note(std::string(set->gemvInt4.isa) + " gemv int4", d);
                    EXPECT_LE(d, (groups + 16) * std::ldexp(1.0, -23))
                        << set->gemvInt4.isa << " M " << M << " N " << N << " K " << K;
                }
            }
        }
    std::cout << "  (int4: each set against the float64 sum over its dequantised weights)"
              << std::endl;
    worst.print();
}

TEST(Kernels, AttentionAndLayerNormKernelsAgreeWithPortable) {
    torch::NoGradGuard noGrad;
    torch::manual_seed(22);
    const KernelSet& ref = portable();
    Worst worst;
    // Head sizes with and without a specialised vector kernel; key counts around the 16-key
    // blocks; with and without an additive mask (finfo.min where masked, as the model uses).
    for (int64_t hd : {8, 16, 24, 32, 64, 128})
        for (int64_t count : {1, 2, 15, 16, 17, 40, 503})
            for (bool masked : {false, true}) {
                auto q = randomVector(hd, 0.3f);
                auto keys = randomVector(count * hd), values = randomVector(count * hd);
                std::vector<float> mask(count, 0.0f);
                if (masked)
                    for (int64_t j = 0; j < count; j += 3)
                        mask[j] = std::numeric_limits<float>::lowest();
                if (masked && count == 1) mask[0] = 0.0f; // something must be visible
                auto bfKeys = torch::from_blob(keys.data(), {count * hd}).to(torch::kBFloat16);
                auto bfValues = torch::from_blob(values.data(), {count * hd}).to(torch::kBFloat16);
                const auto* kb = static_cast<const Bf16*>(bfKeys.data_ptr());
                const auto* vb = static_cast<const Bf16*>(bfValues.data_ptr());
                std::vector<float> scores(count), outRef(hd), out(hd), outBfRef(hd), outBf(hd);
                const float* m = masked ? mask.data() : nullptr;
                ref.attendF32.run(q.data(), keys.data(), values.data(), count, hd, m, scores.data(),
                                  outRef.data());
                ref.attendBf16.run(q.data(), kb, vb, count, hd, m, scores.data(), outBfRef.data());
                // The output is a convex combination of values: |out| <= max |value|.
                double vmax = 0;
                for (float v : values)
                    vmax = std::max(vmax, double(std::fabs(v)));
                for (const KernelSet* set : available()) {
                    if (!set->attendF32.run) continue;
                    set->attendF32.run(q.data(), keys.data(), values.data(), count, hd, m,
                                       scores.data(), out.data());
                    set->attendBf16.run(q.data(), kb, vb, count, hd, m, scores.data(),
                                        outBf.data());
                    double d = 0, dBf = 0;
                    for (int64_t i = 0; i < hd; ++i) {
                        d = std::max(d, std::fabs(double(out[i]) - outRef[i]) / vmax);
                        dBf = std::max(dBf, std::fabs(double(outBf[i]) - outBfRef[i]) / vmax);
                    }
                    worst.note(std::string(set->attendF32.isa) + " attention f32", d);
                    worst.note(std::string(set->attendBf16.isa) + " attention bf16 cache", dBf);
                    const std::string what = std::string(set->attendF32.isa) + " hd " +
                                             std::to_string(hd) + " count " +
                                             std::to_string(count) + (masked ? " masked" : "");
                    EXPECT_LE(d, 1e-5) << what;
                    EXPECT_LE(dBf, 1e-5) << what;
                }
                // An int8 cache: codes and per-row scales. Every set computes the float32
                // attention of the dequantised keys/values (scale x code) up to summation order.
                std::vector<int8_t> kCodes(count * hd), vCodes(count * hd);
                std::vector<float> kScales(count), vScales(count), kDeq(count * hd),
                    vDeq(count * hd), outQRef(hd), outQ(hd);
                for (int64_t j = 0; j < count; ++j) {
                    kScales[j] = 0.01f + 0.001f * static_cast<float>(j % 7);
                    vScales[j] = 0.02f - 0.001f * static_cast<float>(j % 5);
                    for (int64_t i = 0; i < hd; ++i) {
                        const auto at = j * hd + i;
                        kCodes[at] = static_cast<int8_t>((at * 37 + 11) % 255 - 127);
                        vCodes[at] = static_cast<int8_t>((at * 53 + 5) % 255 - 127);
                        kDeq[at] = kScales[j] * kCodes[at];
                        vDeq[at] = vScales[j] * vCodes[at];
                    }
                }
                double vqmax = 0;
                for (float v : vDeq)
                    vqmax = std::max(vqmax, double(std::fabs(v)));
                ref.attendF32.run(q.data(), kDeq.data(), vDeq.data(), count, hd, m, scores.data(),
                                  outQRef.data());
                for (const KernelSet* set : available()) {
                    if (!set->attendInt8.run) continue;
                    set->attendInt8.run(q.data(), kCodes.data(), kScales.data(), vCodes.data(),
                                        vScales.data(), count, hd, m, scores.data(), outQ.data());
                    double dQ = 0;
                    for (int64_t i = 0; i < hd; ++i)
                        dQ = std::max(dQ, std::fabs(double(outQ[i]) - outQRef[i]) / vqmax);
                    worst.note(std::string(set->attendInt8.isa) + " attention int8 cache", dQ);
                    EXPECT_LE(dQ, 1e-5) << set->attendInt8.isa << " int8 cache hd " << hd
                                        << " count " << count << (masked ? " masked" : "");
                }
            }
    for (int64_t n : {1, 7, 16, 40, 1024, 1031}) {
        auto x = randomVector(n, 3.0f);
        for (auto& v : x)
            v += 5.0f; // a mean far from 0, as residual streams have
        double sumRef = 0, sqRef = 0;
        ref.moments.run(x.data(), n, &sumRef, &sqRef);
        for (const KernelSet* set : available()) {
            if (!set->moments.run) continue;
            double sum = 0, sq = 0;
            set->moments.run(x.data(), n, &sum, &sq);
            const double d = std::max(std::fabs(sum - sumRef) / (std::fabs(sumRef) + 1e-300),
                                      std::fabs(sq - sqRef) / (sqRef + 1e-300));
            worst.note(std::string(set->moments.isa) + " layer-norm moments", d);
            EXPECT_LE(d, 1e-12) << set->moments.isa << " n " << n;
        }
    }
    worst.print();
}

TEST(Kernels, Int8GemmAndGemvOfEverySetEqualTheDocumentedSum) {
    // The tile layout as Kernels.h documents it, built here by hand: every set's GemmInt8 must
    // give (sx * sw) * float(sum x * code - 128 * rowSum) exactly (integers are exact), for
    // row counts around the AVX-512 kernel's 12 and output counts that leave partial tiles;
    // and its GemvInt8 the same for up to kMaxRows rows, over all tiles and over the tiles
    // from the second on alone (the rows before left as they were).
    std::mt19937 rng(5);
    std::uniform_int_distribution<int> code(-127, 127), act(0, 255);
    std::uniform_real_distribution<float> scale(0.001f, 0.1f);
    for (int64_t K : {64, 100, 1024})
        for (int64_t count : {16, 37, 64})
            for (int64_t M : {1, 2, 3, 4, 11, 12, 13, 40}) {
                const int64_t Kp = int8PaddedK(K), quads = Kp / 4;
                const int64_t tiles = (count + kGemmTile - 1) / kGemmTile;
                std::vector<int8_t> codes(count * Kp, 0), packed(tiles * quads * kGemmTile * 4, 0);
                std::vector<int32_t> rowSums(count, 0);
                for (int64_t n = 0; n < count; ++n)
                    for (int64_t k = 0; k < K; ++k) {
                        codes[n * Kp + k] = static_cast<int8_t>(code(rng));
                        rowSums[n] += codes[n * Kp + k];
                        packed[((n / kGemmTile * quads + k / 4) * kGemmTile + n % kGemmTile) * 4 +
                               k % 4] = codes[n * Kp + k];
                    }
                std::vector<uint8_t> x(M * Kp, 0);
                for (int64_t m = 0; m < M; ++m)
                    for (int64_t k = 0; k < K; ++k)
                        x[m * Kp + k] = static_cast<uint8_t>(act(rng));
                std::vector<float> sx(M), sw(count);
                for (auto& v : sx)
                    v = scale(rng);
                for (auto& v : sw)
                    v = scale(rng);
                std::vector<float> expected(M * count);
                for (int64_t m = 0; m < M; ++m)
                    for (int64_t n = 0; n < count; ++n) {
                        int32_t acc = 0;
                        for (int64_t k = 0; k < Kp; ++k)
                            acc += int32_t{x[m * Kp + k]} * int32_t{codes[n * Kp + k]};
                        expected[m * count + n] =
                            (sx[m] * sw[n]) * static_cast<float>(acc - 128 * rowSums[n]);
                    }
                for (const KernelSet* set : available()) {
                    if (!set->gemmInt8.run) continue;
                    std::vector<float> y(M * count, -1.0f);
                    set->gemmInt8.run(x.data(), sx.data(), M, K, packed.data(), sw.data(),
                                      rowSums.data(), y.data(), count, count);
                    EXPECT_EQ(expected, y)
                        << set->gemmInt8.isa << " M " << M << " K " << K << " count " << count;
                }
                if (M > kMaxRows) continue;
                for (const KernelSet* set : available()) {
                    if (!set->gemvInt8.run) continue;
                    std::vector<float> y(M * count, -1.0f);
                    set->gemvInt8.run(x.data(), sx.data(), static_cast<int>(M), K, packed.data(),
                                      sw.data(), rowSums.data(), y.data(), count, count, 0, tiles);
                    EXPECT_EQ(expected, y)
                        << set->gemvInt8.isa << " M " << M << " K " << K << " count " << count;
                    std::vector<float> part(M * count, -1.0f), partExpected = expected;
                    for (int64_t m = 0; m < M; ++m)
                        std::fill_n(partExpected.begin() + m * count, kGemmTile, -1.0f);
                    set->gemvInt8.run(x.data(), sx.data(), static_cast<int>(M), K, packed.data(),
                                      sw.data(), rowSums.data(), part.data(), count, count, 1,
                                      tiles);
                    EXPECT_EQ(partExpected, part)
                        << set->gemvInt8.isa << " tiles from 1, M " << M << " K " << K;
                }
            }
}
