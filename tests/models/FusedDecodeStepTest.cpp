// The fused one-token decode step (models/kernels/FusedDecodeStep.h) against the LibTorch layer
// path it replaces: logits, hook tensors and hook order must agree to 1e-5 relative, step by
// step through the KV cache, on the parity model (CFG memory with a fully masked half) and on
// random small configurations (odd head sizes, ReLU, padded memory, 1-16 items, float32, bf16
// and int8 caches).
#include "FusedDecodeStep.h"
#include "DecodeHelper.h"
#include "MusicgenAttention.h"
#include "TestPaths.h"
#include "models/DecodeThreads.h"
#include "models/MusicgenDecoder.h"
#include "models/Safetensors.h"
#include "models/StateDict.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <fstream>
#include <iostream>
#include <optional>

using namespace moodsteer::models;
using moodsteer::test::parityDir;

namespace {

constexpr double kRelTol = 1e-5;
// Fused vs LibTorch layers with an int8 cache: ~1e-7 apart upstream, which can move a cached
// value by one code (1/127 of its row's largest value): measured up to 2.8e-5; a wrong scale or
// code read gives errors of order 1.
constexpr double kInt8CacheTol = 5e-3;

/// max |a - b| / max |b|.
double relDiff(const torch::Tensor& a, const torch::Tensor& b) {
    EXPECT_EQ(a.sizes(), b.sizes());
    if (a.sizes() != b.sizes()) return 1e9;
    auto bd = b.to(torch::kDouble);
    return ((a.to(torch::kDouble) - bd).abs().max() / bd.abs().max().clamp_min(1e-30))
        .item<double>();
}

/// What one decode run produced: per-step logits and every tensor the hooks saw, in order.
struct Run {
    std::vector<torch::Tensor> logits, residuals, attentions;
    std::vector<int> residualLayers, attentionLayers;
};

/// Decodes `ids` ([B*K, T]) one column at a time through a cache, steering the first
/// `steered` items at layer 0 when `direction` is defined. The hook tensors are kept without
/// copying: a later step must not overwrite what an earlier one handed out.
Run decode(MusicgenForCausalLM& lm, const torch::Tensor& ids, const CrossAttentionCache& cross,
           bool fused, const torch::Tensor& direction = {}, int64_t steered = 0,
           std::optional<at::ScalarType> cacheType = std::nullopt) {
    lm->setFusedDecode(fused);
    Run run;
    DecoderHooks hooks;
    hooks.onResidual = [&](int layer, const torch::Tensor& r) {
        run.residualLayers.push_back(layer);
        run.residuals.push_back(r);
    };
    hooks.onAttention = [&](int layer, const torch::Tensor& a) {
        run.attentionLayers.push_back(layer);
        run.attentions.push_back(a);
    };
    if (direction.defined())
        hooks.intervene = [&](int layer, torch::Tensor& r) {
            if (layer == 0) r.narrow(0, 0, steered).add_(direction);
        };
    const int64_t batch = ids.size(0) / lm->config().num_codebooks;
    const auto& c = lm->config();
    // at::kChar stands for the int8 cache (codes + per-row scales).
    auto cache =
        !cacheType ? lm->makeCache(batch, ids.size(1))
        : *cacheType == at::kChar
            ? lm->makeCache(batch, ids.size(1), KvCachePrecision::Int8)
            : SelfAttentionCache(c.num_hidden_layers, batch, c.num_attention_heads, ids.size(1),
                                 c.headDim(), torch::TensorOptions().dtype(*cacheType));
    for (int64_t t = 0; t < ids.size(1); ++t)
        run.logits.push_back(lm->forward(ids.narrow(1, t, 1), cross, &cache, &hooks).clone());
    lm->setFusedDecode(true);
    return run;
}

void expectSameRun(const Run& fused, const Run& plain, const std::string& what,
                   double tolerance = kRelTol) {
    EXPECT_EQ(plain.residualLayers, fused.residualLayers) << what;
    EXPECT_EQ(plain.attentionLayers, fused.attentionLayers) << what;
    ASSERT_EQ(plain.logits.size(), fused.logits.size());
    double worst = 0;
    for (size_t i = 0; i < plain.logits.size(); ++i)
        worst = std::max(worst, relDiff(fused.logits[i], plain.logits[i]));
    for (size_t i = 0; i < plain.residuals.size() && i < fused.residuals.size(); ++i)
        worst = std::max(worst, relDiff(fused.residuals[i], plain.residuals[i]));
    for (size_t i = 0; i < plain.attentions.size() && i < fused.attentions.size(); ++i)
        worst = std::max(worst, relDiff(fused.attentions[i], plain.attentions[i]));
    std::cout << "  [" << what << "] fused vs LibTorch layers: worst relative difference " << worst
              << std::endl;
    EXPECT_LE(worst, tolerance) << what;
    // Different arithmetic (double layer-norm statistics, own softmax): were the two the same
    // bits, the fused path would not have run.
    bool anyDifferent = false;
    for (size_t i = 0; i < plain.logits.size(); ++i)
        anyDifferent = anyDifferent || !torch::equal(fused.logits[i], plain.logits[i]);
    EXPECT_TRUE(anyDifferent) << what << ": the fused path was not taken";
}

MusicgenForCausalLM loadParity() {
    std::ifstream in(parityDir() + "/config.json");
    MusicgenForCausalLM lm(MusicgenDecoderConfig::fromJson(nlohmann::json::parse(in)));
    StateDictLoader loader(std::make_shared<SafetensorsReader>(
        SafetensorsReader::open(parityDir() + "/model.safetensors")));
    lm->loadFrom(loader, "decoder.");
    lm->eval();
    return lm;
}

torch::Tensor parityReference(const std::string& name) {
    static auto file = std::make_shared<SafetensorsReader>(
        SafetensorsReader::open(parityDir() + "/reference.safetensors"));
    return toTensor(*file, name);
}

} // namespace

TEST(FusedDecodeStep, MatchesLayerPathOnParityModelWithCfgAndSteering) {
    MOODSTEER_REQUIRE_PARITY();
    torch::NoGradGuard noGrad;
    auto lm = loadParity();
    auto memory = parityReference("encoder_hidden_states_for_decoder");
    auto mask = parityReference("text_attention_mask");
    // [cond; uncond]: the unconditional half attends to nothing (its cross-attention is 0).
    auto cross = lm->precomputeCross(torch::cat({memory, torch::zeros_like(memory)}),
                                     torch::cat({mask, torch::zeros_like(mask)}));
    auto ids = parityReference("tf_decoder_input_ids").repeat({2, 1}); // 4 items x K rows
    auto plain = decode(lm, ids, cross, false);
    expectSameRun(decode(lm, ids, cross, true), plain, "parity, CFG batch 4");
    auto direction = torch::randn({lm->config().hidden_size}) * 2.0;
    auto steeredPlain = decode(lm, ids, cross, false, direction, 2);
    auto steeredFused = decode(lm, ids, cross, true, direction, 2);
    expectSameRun(steeredFused, steeredPlain, "parity, steered");
    EXPECT_GT(relDiff(steeredFused.logits.back(), plain.logits.back()), 1e-3)
        << "the intervention had no effect on the fused path";
    expectSameRun(decode(lm, ids, cross, true, {}, 0, at::kChar),
                  decode(lm, ids, cross, false, {}, 0, at::kChar), "parity, int8 cache",
                  kInt8CacheTol);
    for (const char* p : {"bf16", "int8", "int4"}) {
        lm->setPrecision(p);
        // The same reduced weights and bf16 cache on both paths; int8 re-quantises each
        // activation row (int4 too), so a 1e-7 difference can move a code: allow the int8 step
        // size; bf16
        // rounds each activation row and each cached key/value, so it can move a bf16 rounding
        // (measured 1.9e-4).
        auto reducedPlain = decode(lm, ids, cross, false);
        auto reducedFused = decode(lm, ids, cross, true);
        double worst = 0;
        for (size_t i = 0; i < reducedPlain.logits.size(); ++i)
            worst = std::max(worst, relDiff(reducedFused.logits[i], reducedPlain.logits[i]));
        std::cout << "  [" << p << "] fused vs LibTorch layers: " << worst << std::endl;
        EXPECT_LE(worst, std::string(p) == "bf16" ? 1e-3 : 1e-2) << p;
    }
    lm->setPrecision("f32");
}

TEST(FusedDecodeStep, MatchesLayerPathOnRandomSmallConfigs) {
    torch::NoGradGuard noGrad;
    struct Case {
        int64_t hidden, heads, ffn, items, memory;
        std::string activation;
        int64_t steps;
    };
    // Head sizes 8 and 24 (not multiples of 16: the scalar attention with masked tails), 16,
    // 32 and 64 (the vectorised attention); ffn not a multiple of 4. The last two decode 40
    // steps against 37 and 21 memory tokens: keys in blocks of 16 plus a tail, padded memory.
    for (const Case& c : {Case{40, 5, 70, 1, 5, "gelu", 7}, Case{48, 2, 97, 3, 9, "relu", 7},
                          Case{64, 4, 128, 4, 3, "gelu", 7}, Case{64, 2, 96, 2, 37, "gelu", 40},
                          Case{128, 2, 64, 3, 21, "relu", 40}, Case{64, 2, 128, 8, 5, "gelu", 9},
                          Case{32, 1, 64, 16, 4, "gelu", 6}}) {
        nlohmann::json j = {
            {"vocab_size", 30},   {"max_position_embeddings", 64},       {"num_hidden_layers", 2},
            {"ffn_dim", c.ffn},   {"num_attention_heads", c.heads},      {"hidden_size", c.hidden},
            {"num_codebooks", 2}, {"activation_function", c.activation}, {"pad_token_id", 30},
            {"bos_token_id", 30}};
        torch::manual_seed(c.hidden);
        MusicgenForCausalLM lm(MusicgenDecoderConfig::fromJson(j));
        lm->eval();
        // Random layer norms (the default ones are 1 and 0), then pack and build the copies.
        for (auto& p : lm->named_parameters())
            if (p.key().find("layer_norm") != std::string::npos) p.value().normal_(0.5, 0.3);
        lm->finalizeWeights();
        // Padded memory: item 0 sees its first 2 tokens only, the last item nothing.
        auto keep = torch::ones({c.items, c.memory}, torch::kLong);
        keep[0].narrow(0, 2, c.memory - 2).zero_();
        if (c.items > 1) keep[c.items - 1].zero_();
        auto cross = lm->precomputeCross(
            torch::randn({c.items, c.memory, c.hidden}) * keep.unsqueeze(2), keep);
        auto ids = torch::randint(0, 31, {c.items * 2, c.steps}, torch::kLong);
        const std::string what = "D " + std::to_string(c.hidden) + ", " + std::to_string(c.heads) +
                                 " heads, " + c.activation + ", " + std::to_string(c.items) +
                                 " item(s), " + std::to_string(c.steps) + " steps";
        expectSameRun(decode(lm, ids, cross, true), decode(lm, ids, cross, false), what);
        // The bf16 cache that bf16/int8 weights get, here with f32 weights. The two paths
        // differ by ~1e-7 from the first layer's summation order on, and such a difference can
        // move the bf16 rounding of a cached key/value by one step (2^-8 relative): measured
        // up to 5e-5; a wrong bf16 read or lane order gives 1e-2 and more.
        expectSameRun(decode(lm, ids, cross, true, {}, 0, at::kBFloat16),
                      decode(lm, ids, cross, false, {}, 0, at::kBFloat16), what + ", bf16 cache",
                      1e-3);
        // The int8 cache: the same reasoning, one code step being 1/127 of the row's largest
        // value.
        expectSameRun(decode(lm, ids, cross, true, {}, 0, at::kChar),
                      decode(lm, ids, cross, false, {}, 0, at::kChar), what + ", int8 cache",
                      kInt8CacheTol);
    }
}

TEST(FusedDecodeStep, GradientModeAndPromptsKeepTheLayerPath) {
    MOODSTEER_REQUIRE_PARITY();
    auto lm = loadParity();
    auto cross = lm->precomputeCross(parityReference("encoder_hidden_states_for_decoder"),
                                     parityReference("text_attention_mask"));
    auto ids = parityReference("tf_decoder_input_ids");
    auto column = ids.narrow(1, 0, 1);
    // With autograd on, the one-token step must stay differentiable (the LibTorch path).
    auto cache = lm->makeCache(2, 8);
    auto logits = lm->forward(column, cross, &cache);
    ASSERT_TRUE(logits.requires_grad());
    logits.sum().backward();
    lm->setFusedDecode(false);
    cache.reset();
    EXPECT_TRUE(torch::equal(logits, lm->forward(column, cross, &cache)));
    // A multi-column prompt through the cache is not a one-token step: identical bits.
    torch::NoGradGuard noGrad;
    cache.reset();
    auto plain = lm->forward(ids.narrow(1, 0, 5), cross, &cache);
    lm->setFusedDecode(true);
    cache.reset();
    EXPECT_TRUE(torch::equal(plain, lm->forward(ids.narrow(1, 0, 5), cross, &cache)));
}

// The fused step's int8 cache rows are the prefill's (MusicgenAttentionImpl::quantiseRows) code
// for code: random rows, an all-zero row, rows whose quotients fall exactly halfway between
// codes (rounded half to even: 0.5 -> 0, 1.5 -> 2, -2.5 -> -2, 126.5 -> 126), and values that
// clamp.
TEST(FusedDecodeStep, Int8CacheRowsEqualThePrefillsCodes) {
    torch::manual_seed(11);
    const int64_t hd = 64;
    auto rows =
        torch::randn({6, hd}) * torch::tensor({1e-3f, 1.0f, 40.0f, 1.0f, 1.0f, 1.0f}).unsqueeze(1);
    rows[3].zero_();
    // Row 4: largest |x| 127, so the scale is 1 and every x / scale is x itself: ties.
    std::vector<float> ties(hd);
    for (int64_t i = 0; i < hd; ++i)
        ties[i] = (i % 2 ? -1.0f : 1.0f) * (static_cast<float>(i % 64) * 2.0f + 0.5f);
    ties[0] = 127.0f;
    ties[1] = 126.5f;
    ties[2] = -2.5f;
    ties[3] = 1.5f;
    for (int64_t i = 0; i < hd; ++i)
        ties[i] = std::max(-127.0f, std::min(127.0f, ties[i]));
    rows[4].copy_(torch::tensor(ties));
    // Row 5: its largest value sets the scale; a NaN-free row whose quotients reach +-127.
    rows[5][7] = -90.0f;
    auto [codes, scales] = MusicgenAttentionImpl::quantiseRows(rows);
    for (int64_t r = 0; r < rows.size(0); ++r) {
        std::vector<int8_t> ours(hd, 99);
        const float scale =
            quantiseCacheRow(rows[r].contiguous().data_ptr<float>(), hd, ours.data());
        EXPECT_EQ(scale, scales[r].item<float>()) << "row " << r;
        for (int64_t i = 0; i < hd; ++i)
            ASSERT_EQ(ours[i], codes[r][i].item<int8_t>()) << "row " << r << ", element " << i;
    }
    // The tie row's codes are its values rounded half to even.
    std::vector<int8_t> tieCodes(hd);
    quantiseCacheRow(ties.data(), hd, tieCodes.data());
    EXPECT_EQ(tieCodes[1], 126);
    EXPECT_EQ(tieCodes[2], -2);
    EXPECT_EQ(tieCodes[3], 2);
    EXPECT_EQ(tieCodes[4], 8); // 8.5 -> 8
}

// The fused step from an empty cache to 280 positions (the helper attends heads from
// kDecodeHelperMinPositions on, and shares reduced weights' GEMVs at every position), head sizes
// 64 (vectorised kernels) and 24 (masked tails), 2 and 5 items, weights of every precision, every
// cache precision: the logits with the helper on equal those with it off, bit for bit.
TEST(FusedDecodeStep, GivesTheSameBitsWithTheDecodeHelper) {
    torch::NoGradGuard noGrad;
    const bool was = decodeHelper();
    const int64_t before = DecodeHelper::instance().helperItems();
    // (hidden, heads, items): head size 64 with the two CFG rows; head size 24 with five items
    // (an odd number of heads per layer, as a batch of takes has more). Big enough for fc1 (and in
    // the first shape every GEMV but int4's cross-attention ones) and, from 256 positions, every
    // cache's heads to reach kDecodeHelperMinBytes.
    struct Shape {
        int64_t hidden, heads, items;
    };
    for (const auto& [hidden, heads, items] : {Shape{512, 8, 2}, Shape{384, 16, 5}}) {
        const int64_t steps = 280;
        nlohmann::json j = {
            {"vocab_size", 30},      {"max_position_embeddings", 320}, {"num_hidden_layers", 2},
            {"ffn_dim", 4 * hidden}, {"num_attention_heads", heads},   {"hidden_size", hidden},
            {"num_codebooks", 2},    {"activation_function", "gelu"},  {"pad_token_id", 30},
            {"bos_token_id", 30}};
        ASSERT_GE(2 * items * heads * 256 * (hidden / heads), kDecodeHelperMinBytes);
        ASSERT_GE(4 * hidden * hidden, kDecodeHelperMinBytes); // int8 fc1
        torch::manual_seed(hidden);
        MusicgenForCausalLM lm(MusicgenDecoderConfig::fromJson(j));
        lm->eval();
        lm->finalizeWeights();
        auto cross = lm->precomputeCross(torch::randn({items, 4, hidden}),
                                         torch::ones({items, 4}, torch::kLong));
        auto ids = torch::randint(0, 31, {items * 2, steps}, torch::kLong);
        for (const char* weights : {"f32", "bf16", "int8", "int4"}) {
            lm->setPrecision(weights);
            for (const auto precision :
                 {KvCachePrecision::F32, KvCachePrecision::BF16, KvCachePrecision::Int8}) {
                std::vector<torch::Tensor> logits[2];
                for (const bool helper : {false, true}) {
                    setDecodeHelper(helper);
                    auto cache = lm->makeCache(items, steps, precision);
                    for (int64_t t = 0; t < steps; ++t)
                        logits[helper].push_back(lm->forward(ids.narrow(1, t, 1), cross, &cache));
                }
                for (int64_t t = 0; t < steps; ++t)
                    ASSERT_TRUE(torch::equal(logits[0][t], logits[1][t]))
                        << "hidden " << hidden << ", " << items << " items, " << weights
                        << " weights, " << kvCachePrecisionName(precision) << " cache, step " << t;
            }
        }
    }
    setDecodeHelper(was);
    std::cout << "  items (heads, groups of GEMV rows) computed by the helper: "
              << DecodeHelper::instance().helperItems() - before << std::endl;
}
