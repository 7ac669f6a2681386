// The prefill's attention over the cache (models/kernels/CacheAttention.h) against the
// softmax(q k^T + causal mask) v it replaces, computed here with LibTorch on the dequantised
// cache: float32, bf16 and int8 caches, several queries after a cached past, odd head sizes.
#include "CacheAttention.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>

using namespace moodsteer::models;

namespace {

double relDiff(const torch::Tensor& a, const torch::Tensor& b) {
    auto bd = b.to(torch::kDouble);
    return ((a.to(torch::kDouble) - bd).abs().max() / bd.abs().max().clamp_min(1e-30))
        .item<double>();
}

/// A cache layer [B, H, capacity, hd] of `type` holding random keys/values in
/// [0, filled); int8: codes with per-row scales.
LayerKv randomCache(int64_t B, int64_t H, int64_t capacity, int64_t hd, at::ScalarType type) {
    LayerKv kv;
    if (type == at::kChar) {
        kv.k = torch::randint(-127, 128, {B, H, capacity, hd}).to(torch::kChar);
        kv.v = torch::randint(-127, 128, {B, H, capacity, hd}).to(torch::kChar);
        kv.kScale = torch::rand({B, H, capacity}) * 0.02 + 0.001;
        kv.vScale = torch::rand({B, H, capacity}) * 0.02 + 0.001;
    } else {
        kv.k = torch::randn({B, H, capacity, hd}).to(type);
        kv.v = torch::randn({B, H, capacity, hd}).to(type);
    }
    return kv;
}

torch::Tensor dequantised(const torch::Tensor& codes, const torch::Tensor& scales) {
    if (!scales.defined()) return codes.to(torch::kFloat);
    return codes.to(torch::kFloat) * scales.unsqueeze(-1);
}

/// What MusicgenAttentionImpl computes without the kernels: [B, T, H * hd].
torch::Tensor reference(const torch::Tensor& q, const LayerKv& kv, int64_t past) {
    const int64_t T = q.size(2), n = past + T;
    auto keys = dequantised(kv.k, kv.kScale).narrow(2, 0, n);
    auto values = dequantised(kv.v, kv.vScale).narrow(2, 0, n);
    auto scores = torch::matmul(q, keys.transpose(-1, -2));
    auto keep = torch::ones({T, n}, torch::kBool).tril(past);
    scores = scores.masked_fill(keep.logical_not(), -std::numeric_limits<float>::infinity());
    auto out = torch::matmul(torch::softmax(scores, -1), values); // [B, H, T, hd]
    return out.transpose(1, 2).reshape({q.size(0), T, q.size(1) * q.size(3)});
}

} // namespace

TEST(CacheAttention, EqualsTheMaskedSoftmaxOverTheCache) {
    torch::NoGradGuard noGrad;
    torch::manual_seed(7);
    double worst = 0;
    for (auto type : {at::kFloat, at::kBFloat16, at::kChar})
        for (int64_t hd : {64, 24, 7})
            for (auto [past, T] : {std::pair<int64_t, int64_t>{0, 1}, {0, 9}, {37, 1}, {37, 70}}) {
                const int64_t B = 2, H = 3, capacity = past + T + 5;
                auto kv = randomCache(B, H, capacity, hd, type);
                auto q = torch::randn({B, H, T, hd}) * 0.3;
                ASSERT_TRUE(cacheAttentionSupported(q, kv, past));
                const double d = relDiff(cacheAttention(q, kv, past), reference(q, kv, past));
                worst = std::max(worst, d);
                EXPECT_LT(d, 1e-5)
                    << c10::toString(type) << " hd " << hd << " past " << past << " T " << T;
            }
    std::cout << "cache attention vs masked softmax: max relative difference " << worst << "\n";
}

TEST(CacheAttention, QueryIAttendsOnlyUpToItsOwnPosition) {
    // Changing the cache after position past + i must not move query i's output.
    torch::NoGradGuard noGrad;
    torch::manual_seed(3);
    const int64_t past = 10, T = 6, B = 1, H = 2, hd = 16;
    auto kv = randomCache(B, H, past + T, hd, at::kFloat);
    auto q = torch::randn({B, H, T, hd});
    auto before = cacheAttention(q, kv, past);
    kv.k.narrow(2, past + 3, T - 3).fill_(5.0);
    kv.v.narrow(2, past + 3, T - 3).fill_(-9.0);
    auto after = cacheAttention(q, kv, past);
    EXPECT_TRUE(torch::equal(before.narrow(1, 0, 3), after.narrow(1, 0, 3)));
    EXPECT_FALSE(torch::equal(before.narrow(1, 3, 3), after.narrow(1, 3, 3)));
}

TEST(CacheAttention, LeavesWhatItCannotTakeToLibTorch) {
    torch::manual_seed(1);
    auto kv = randomCache(1, 2, 8, 16, at::kFloat);
    auto q = torch::randn({1, 2, 4, 16});
    {
        torch::NoGradGuard noGrad;
        EXPECT_TRUE(cacheAttentionSupported(q, kv, 4));
        EXPECT_FALSE(cacheAttentionSupported(q, kv, 5)); // past + T beyond the capacity
        EXPECT_FALSE(cacheAttentionSupported(q.to(torch::kDouble), kv, 0));
        LayerKv strided = kv;
        strided.k = kv.k.transpose(2, 3);
        EXPECT_FALSE(cacheAttentionSupported(q, strided, 0));
        EXPECT_THROW(cacheAttention(q, kv, 5), std::invalid_argument);
    }
    EXPECT_FALSE(cacheAttentionSupported(q, kv, 0)); // gradient mode: training keeps autograd
}
