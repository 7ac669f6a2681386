// Reduced-precision decode weights (ReducedLinear, MusicgenForCausalLM::setPrecision): the
// AVX-512 f32 GEMV against a float64 reference, the bf16/int8 error of one projection, and
// teacher-forced logits of the parity model against transformers' f32 logits.
#include "TestPaths.h"
#include "models/MusicgenDecoder.h"
#include "models/ReducedLinear.h"
#include "models/Safetensors.h"
#include "models/StateDict.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <fstream>
#include <tuple>
#include <utility>

using namespace moodsteer::models;
using moodsteer::test::parityDir;

namespace {

/// max |a - b| / max |b|: the error relative to the output's scale.
double relError(const torch::Tensor& a, const torch::Tensor& b) {
    auto bd = b.to(torch::kDouble);
    return ((a.to(torch::kDouble) - bd).abs().max() / bd.abs().max()).item<double>();
}

double maxAbs(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

std::shared_ptr<const SafetensorsReader> openParity(const std::string& name) {
    return std::make_shared<SafetensorsReader>(SafetensorsReader::open(parityDir() + "/" + name));
}

torch::Tensor reference(const std::string& name) {
    static auto file = openParity("reference.safetensors");
    return toTensor(*file, name);
}

MusicgenForCausalLM loadTiny() {
    std::ifstream in(parityDir() + "/config.json");
    MusicgenForCausalLM lm(MusicgenDecoderConfig::fromJson(nlohmann::json::parse(in)));
    StateDictLoader loader(openParity("model.safetensors"));
    lm->loadFrom(loader, "decoder.");
    lm->eval();
    return lm;
}

/// The cross-attention keys/values of the parity reference's text memory.
CrossAttentionCache referenceCross(MusicgenForCausalLM& lm) {
    return lm->precomputeCross(reference("encoder_hidden_states_for_decoder"),
                               reference("text_attention_mask"));
}

/// The parity model with the reference's text memory and teacher-forced ids, gradients off.
struct TeacherForced {
    torch::NoGradGuard noGrad;
    MusicgenForCausalLM lm = loadTiny();
    CrossAttentionCache cross = referenceCross(lm);
    torch::Tensor ids = reference("tf_decoder_input_ids");
};

} // namespace

TEST(MusicgenPrecisionKernel, GemvMatchesFloat64Reference) {
    // The active kernel (AVX-512, AVX2 or the portable one: models/kernels/Kernels.h).
    torch::NoGradGuard noGrad;
    torch::manual_seed(7);
    // Full 16-float blocks, masked tails, odd row counts (the 4-row blocking's remainder).
    for (int64_t K : {16, 32, 33, 1024, 1031})
        for (int64_t N : {1, 5, 64, 4099})
            for (int64_t M : {1, 2, 3, 4}) {
                auto w = torch::randn({N, K});
                auto x = torch::randn({M, 1, K}); // leading dims are flattened
                auto y = linearF32(x, w);
                auto ref = at::linear(x.to(torch::kDouble), w.to(torch::kDouble));
                ASSERT_EQ(ref.sizes(), y.sizes());
                // f32 accumulation of K products of unit-variance terms: ~sqrt(K) * 6e-8.
                EXPECT_LE(maxAbs(y, ref), 1e-5 * std::sqrt(double(K)))
                    << "M " << M << " N " << N << " K " << K;
            }
    // More rows than the kernel handles, and autograd, go through at::linear unchanged.
    auto w = torch::randn({8, 32});
    auto x = torch::randn({kGemvMaxRows + 1, 32});
    EXPECT_TRUE(torch::equal(linearF32(x, w), at::linear(x, w)));
}

TEST(MusicgenPrecisionKernel, ReducedLinearErrorBoundsAndBytes) {
    torch::NoGradGuard noGrad;
    torch::manual_seed(3);
    auto w = torch::randn({300, 1024}) * 0.03;
    auto x = torch::randn({2, 1, 1024});
    auto ref = at::linear(x.to(torch::kDouble), w.to(torch::kDouble));
    struct Case {
        WeightPrecision p;
        double bound, bytes;
    };
    // Measured: f32 ~1e-7, bf16 ~3e-3, int8 ~1e-2 (weights and activations both quantised),
    // int4 ~0.12 (15 levels per group of 128 Gaussian weights: a step of ~0.37 sigma).
    // int8 streams a 4-byte scale and a 4-byte row sum per row, int4 a 4-byte scale per group.
    const double int8PerRow = 8.0;
    for (const Case& c : {Case{WeightPrecision::F32, 1e-5, 300 * 1024 * 4.0},
                          Case{WeightPrecision::BF16, 1e-2, 300 * 1024 * 2.0},
                          Case{WeightPrecision::Int8, 4e-2, 300 * 1024 + 300 * int8PerRow},
                          Case{WeightPrecision::Int4, 0.2, 300 * 1024 / 2 + 300 * 8 * 4.0}}) {
        ReducedLinear lin(w, c.p);
        auto y = lin(x);
        ASSERT_EQ(ref.sizes(), y.sizes());
        EXPECT_EQ(torch::kFloat, y.scalar_type());
        const double e = relError(y, ref);
        std::cout << "  [" << precisionName(c.p) << "] relative error " << e << std::endl;
        EXPECT_LE(e, c.bound) << precisionName(c.p);
        EXPECT_GT(e, 0.0) << "an exact result cannot come from reduced weights";
        EXPECT_EQ(c.bytes, lin.bytes());
        EXPECT_TRUE(lin.current());
        EXPECT_TRUE(lin.usable());
    }
    // A reduced copy notices an in-place change of its weight (loading, an optimiser step) and
    // is then not used; at f32 the weight itself is read, so the change is simply seen.
    auto changed = w.clone();
    ReducedLinear f32(changed, WeightPrecision::F32), bf16(changed, WeightPrecision::BF16),
        int8(changed, WeightPrecision::Int8), int4(changed, WeightPrecision::Int4);
    changed.mul_(2);
    EXPECT_TRUE(f32.current());
    EXPECT_FALSE(bf16.current());
    EXPECT_FALSE(int8.current());
    EXPECT_FALSE(int4.current());
    EXPECT_LE(relError(f32(x), at::linear(x.to(torch::kDouble), changed.to(torch::kDouble))), 1e-5);
    EXPECT_TRUE(ReducedLinear(changed, WeightPrecision::Int8).current()) << "rebuilt";
    // A weight that needs a gradient (autograd on) is not replaced by a copy.
    {
        torch::AutoGradMode gradOn(true);
        auto trained = w.clone().requires_grad_(true);
        ReducedLinear lin(trained, WeightPrecision::BF16);
        EXPECT_TRUE(lin.current());
        EXPECT_FALSE(lin.usable());
    }
    EXPECT_THROW(parseWeightPrecision("fp16"), std::invalid_argument);
    EXPECT_THROW(ReducedLinear(w.to(torch::kDouble), WeightPrecision::BF16), std::invalid_argument);
    EXPECT_THROW(ReducedLinear(w, WeightPrecision::BF16)(torch::randn({2, 7})),
                 std::invalid_argument);
}

TEST(MusicgenPrecisionParity, TeacherForcedLogitsStayCloseAndF32IsExact) {
    MOODSTEER_REQUIRE_PARITY();
    torch::NoGradGuard noGrad;
    auto lm = loadTiny();
    auto cross = referenceCross(lm);
    auto ids = reference("tf_decoder_input_ids");
    const auto expected = reference("tf_logits");
    auto f32 = lm->forward(ids, cross).reshape({8, 12, 64});
    EXPECT_LE(maxAbs(f32, expected), 1e-5);
    const double f32Bytes = lm->decodeWeightBytes();
    // Measured on the parity model (logits up to ~6 in magnitude): see docs/performance.md.
    // int4: 0.78 max abs, 0.20 relative, 72 % of argmaxes kept (its rows of 32-64 weights
    // are one group each).
    struct Case {
        std::string name;
        double maxAbsBound, relBound, bytesRatio;
    };
    for (const Case& c : {Case{"bf16", 0.05, 0.01, 0.5}, Case{"int8", 0.15, 0.03, 0.25},
                          Case{"int4", 1.2, 0.3, 0.125}}) {
        lm->setPrecision(c.name);
        EXPECT_EQ(c.name, lm->precision());
        auto logits = lm->forward(ids, cross).reshape({8, 12, 64});
        const double a = maxAbs(logits, expected), r = relError(logits, expected);
        const double agree =
            (logits.argmax(-1) == expected.argmax(-1)).to(torch::kDouble).mean().item<double>();
        std::cout << "  [" << c.name << "] teacher-forced logits: max abs error " << a
                  << ", relative " << r << ", argmax agreement " << agree << std::endl;
        EXPECT_LE(a, c.maxAbsBound) << c.name;
        EXPECT_LE(r, c.relBound) << c.name;
        EXPECT_GT(a, 0.0) << c.name << " did not change the computation";
        // int8 adds 8 bytes per row (scale + row sum): at most 2/32 of the f32 bytes at this
        // model's (>= 32)-wide rows. int4 pads these rows to 128-wide groups, so its bytes
        // are asserted at a real model's width (ReducedLinearErrorBoundsAndBytes).
        if (c.name == "int4") continue;
        const double perRow = 2.0 / 32;
        const double ratio = lm->decodeWeightBytes() / f32Bytes;
        EXPECT_GE(ratio, c.bytesRatio) << c.name;
        EXPECT_LE(ratio, c.bytesRatio + (c.name == "int8" ? perRow : 0.0)) << c.name;
    }
    // Back to f32: bit-identical to before (the f32 masters were never touched).
    lm->setPrecision("f32");
    EXPECT_TRUE(torch::equal(f32, lm->forward(ids, cross).reshape({8, 12, 64})));
    EXPECT_THROW(lm->setPrecision("fp8"), std::invalid_argument);
    EXPECT_EQ("f32", lm->precision());
}

TEST(MusicgenPrecisionParity, GradientPassesUseTheF32Weights) {
    MOODSTEER_REQUIRE_PARITY();
    auto lm = loadTiny();
    lm->setPrecision("int8");
    auto cross = referenceCross(lm);
    auto ids = reference("tf_decoder_input_ids");
    // With autograd on, training must see the exact f32 function and get gradients.
    auto logits = lm->forward(ids, cross).reshape({8, 12, 64});
    EXPECT_LE(maxAbs(logits, reference("tf_logits")), 1e-5);
    logits.sum().backward();
    for (const auto& p : lm->parameters())
        if (p.requires_grad()) {
            ASSERT_TRUE(p.grad().defined());
        }
}

TEST(MusicgenPrecisionParity, DefaultKvCacheFollowsReducedWeightsAndStaysClose) {
    MOODSTEER_REQUIRE_PARITY();
    torch::NoGradGuard noGrad;
    auto lm = loadTiny();
    const auto& config = lm->config();
    auto cross = referenceCross(lm);
    auto ids = reference("tf_decoder_input_ids");
    const int64_t rows = ids.size(0), batch = rows / config.num_codebooks, steps = ids.size(1);
    auto stepped = [&](SelfAttentionCache cache) {
        std::vector<torch::Tensor> columns;
        for (int64_t t = 0; t < steps; ++t)
            columns.push_back(
                lm->forward(ids.narrow(1, t, 1), cross, &cache).reshape({rows, 1, -1}));
        return torch::cat(columns, 1);
    };
    // f32: the cache is float32 and decoding column by column is the whole-sequence function.
    {
        auto cache = lm->makeCache(batch, steps);
        EXPECT_EQ(at::kFloat, cache.keys(0).scalar_type());
        const double r =
            relError(stepped(std::move(cache)), lm->forward(ids, cross).reshape({rows, steps, -1}));
        std::cout << "  [f32] cached steps vs whole sequence: relative " << r << std::endl;
        EXPECT_LE(r, 1e-5);
    }
    // bf16 weights get a bf16 cache, int8 weights an int8 one (the default chosen in
    // docs/performance.md, "Long context"); against a float32 cache with the same weights the
    // difference is what rounding the cached keys/values costs. Measured on this model:
    // 0.0032 (bf16) and 0.011 (int8) relative, the order of the weights' own rounding, and held
    // to the same bounds as that (TeacherForcedLogitsStayCloseAndF32IsExact).
    for (const auto& [name, bound, type] :
         {std::tuple{"bf16", 0.01, at::kBFloat16}, std::tuple{"int8", 0.03, at::kChar}}) {
        lm->setPrecision(name);
        auto cache = lm->makeCache(batch, steps);
        EXPECT_EQ(type, cache.keys(0).scalar_type()) << name;
        EXPECT_EQ(type, cache.values(0).scalar_type()) << name;
        auto reduced = stepped(std::move(cache));
        auto full =
            stepped(SelfAttentionCache(config.num_hidden_layers, batch, config.num_attention_heads,
                                       steps, config.headDim(), torch::TensorOptions()));
        const double r = relError(reduced, full);
        std::cout << "  [" << name << "] default vs float32 cache: relative " << r << std::endl;
        EXPECT_GT(r, 0.0) << name << ": the cache was not rounded";
        EXPECT_LE(r, bound) << name;
    }
}

// forwardLast() (a prefill: only the last position is sampled from) gives forward()'s last
// position and leaves the same cache. The lm heads compute each row alone at bf16/int8 (the
// int8 GEMM of the 96 rows and the GEMV of the last 8 agree bit for bit); float32 heads multiply
// many rows through BLAS, so there it is close, not exact.
TEST(MusicgenPrecisionParity, ForwardLastIsTheLastPositionOfForward) {
    MOODSTEER_REQUIRE_PARITY();
    TeacherForced t;
    auto& lm = t.lm;
    const auto& config = lm->config();
    const int64_t batch = t.ids.size(0) / config.num_codebooks, steps = t.ids.size(1);
    for (const auto& [name, exact] :
         {std::pair{"f32", false}, std::pair{"bf16", true}, std::pair{"int8", true}}) {
        lm->setPrecision(name);
        auto wholeCache = lm->makeCache(batch, steps + 1);
        auto lastCache = lm->makeCache(batch, steps + 1);
        const auto whole = lm->forward(t.ids, t.cross, &wholeCache);
        const auto last = lm->forwardLast(t.ids, t.cross, &lastCache);
        ASSERT_EQ((std::vector<int64_t>{batch, config.num_codebooks, 1, config.vocab_size}),
                  last.sizes().vec())
            << name;
        const auto expected = whole.narrow(2, steps - 1, 1);
        const double diff = maxAbs(last, expected);
        std::cout << "  [" << name << "] forwardLast vs forward's last position: max abs " << diff
                  << std::endl;
        if (exact)
            EXPECT_TRUE(torch::equal(last, expected)) << name;
        else
            EXPECT_LE(relError(last, expected), 1e-6) << name;
        ASSERT_EQ(steps, lastCache.length()) << name;
        // The filled positions (dimension 2 of [B, H, capacity, D]); int8 with their scales.
        const auto filled = [&](const torch::Tensor& t) { return t.narrow(2, 0, steps); };
        for (int layer = 0; layer < config.num_hidden_layers; ++layer) {
            EXPECT_TRUE(torch::equal(filled(wholeCache.keys(layer)), filled(lastCache.keys(layer))))
                << name;
            EXPECT_TRUE(
                torch::equal(filled(wholeCache.values(layer)), filled(lastCache.values(layer))))
                << name;
            if (wholeCache.keyScales(layer).defined())
                EXPECT_TRUE(torch::equal(filled(wholeCache.keyScales(layer)),
                                         filled(lastCache.keyScales(layer))))
                    << name;
        }
        // A one-position call (a decode step) takes the same path as forward().
        const auto column = torch::full({t.ids.size(0), 1}, config.pad_token_id, torch::kInt64);
        EXPECT_TRUE(torch::equal(lm->forwardLast(column, t.cross, &lastCache),
                                 lm->forward(column, t.cross, &wholeCache)))
            << name;
    }
}

// The int8 KV cache (per item, head and position: codes + a float scale) measured as the
// precisions are: teacher-forced logits of the parity model decoded step by step through the
// cache, against transformers' float32 logits and against a float32 cache with the same
// weights, for every weight precision. Figures and the choice of the default:
// docs/performance.md.
TEST(MusicgenPrecisionParity, Int8KvCacheStaysCloseToTheReference) {
    MOODSTEER_REQUIRE_PARITY();
    torch::NoGradGuard noGrad;
    auto lm = loadTiny();
    const auto& config = lm->config();
    auto cross = referenceCross(lm);
    auto ids = reference("tf_decoder_input_ids");
    const auto expected = reference("tf_logits").reshape({8, 12, 64});
    const int64_t rows = ids.size(0), batch = rows / config.num_codebooks, steps = ids.size(1);
    auto stepped = [&](KvCachePrecision kv) {
        auto cache = lm->makeCache(batch, steps, kv);
        EXPECT_EQ(kv, cache.precision());
        std::vector<torch::Tensor> columns;
        for (int64_t t = 0; t < steps; ++t)
            columns.push_back(
                lm->forward(ids.narrow(1, t, 1), cross, &cache).reshape({rows, 1, -1}));
        return torch::cat(columns, 1);
    };
    // Bounds on the int8 cache's own error (against a float32 cache, same weights) and on the
    // total against the reference, measured (relative): f32 weights 0.0031 / 0.0031 (bf16
    // cache 0.0017 / 0.0017), bf16 0.0048 / 0.0048 (0.0032 / 0.0039), int8 0.011 / 0.013
    // (0.011 / 0.013). With int8 weights either cache moves a few activation rows' int8
    // quantisation, so its bound is the int8 weights' own (TeacherForcedLogitsStayClose...).
    struct Case {
        std::string weights;
        double cacheBound, totalBound;
    };
    for (const Case& c :
         {Case{"f32", 0.01, 0.01}, Case{"bf16", 0.01, 0.01}, Case{"int8", 0.03, 0.03}}) {
        lm->setPrecision(c.weights);
        const auto f32Cache = stepped(KvCachePrecision::F32);
        const auto bf16Cache = stepped(KvCachePrecision::BF16);
        const auto int8Cache = stepped(KvCachePrecision::Int8);
        const double own = relError(int8Cache, f32Cache), ownBf16 = relError(bf16Cache, f32Cache);
        const double total = relError(int8Cache, expected);
        const double agree =
            (int8Cache.argmax(-1) == expected.argmax(-1)).to(torch::kDouble).mean().item<double>();
        std::cout << "  [" << c.weights << " weights] int8 cache vs float32 cache: relative " << own
                  << " (bf16 cache " << ownBf16 << "); vs transformers f32: max abs "
                  << maxAbs(int8Cache, expected) << ", relative " << total << " (float32 cache "
                  << relError(f32Cache, expected) << ", bf16 cache "
                  << relError(bf16Cache, expected) << "), argmax agreement " << agree << std::endl;
        EXPECT_GT(own, 0.0) << c.weights << ": the cache was not quantised";
        EXPECT_LE(own, c.cacheBound) << c.weights;
        EXPECT_LE(total, c.totalBound) << c.weights;
        EXPECT_GE(agree, 0.95) << c.weights;
    }
    // Bytes per cached position: int8 is head_dim + 4 (its scale) per row, bf16 2 head_dim.
    const auto perRow = [&](KvCachePrecision kv) {
        return lm->makeCache(batch, 4, kv).bytesPerPosition() /
               static_cast<double>(2 * config.num_hidden_layers * batch *
                                   config.num_attention_heads);
    };
    EXPECT_EQ(4.0 * config.headDim(), perRow(KvCachePrecision::F32));
    EXPECT_EQ(2.0 * config.headDim(), perRow(KvCachePrecision::BF16));
    EXPECT_EQ(config.headDim() + 4.0, perRow(KvCachePrecision::Int8));
    EXPECT_EQ(KvCachePrecision::Int8, parseKvCachePrecision("int8"));
    EXPECT_THROW(parseKvCachePrecision("fp8"), std::invalid_argument);
    lm->setPrecision("f32");
    EXPECT_EQ(KvCachePrecision::F32, lm->defaultKvCache());
    // The defaults chosen from the quiet-machine bench (docs/performance.md, "Long context").
    EXPECT_EQ(KvCachePrecision::BF16,
              MusicgenForCausalLMImpl::defaultReducedKvCache(WeightPrecision::BF16));
    EXPECT_EQ(KvCachePrecision::Int8,
              MusicgenForCausalLMImpl::defaultReducedKvCache(WeightPrecision::Int8));
    EXPECT_EQ(KvCachePrecision::Int8,
              MusicgenForCausalLMImpl::defaultReducedKvCache(WeightPrecision::Int4));
}
