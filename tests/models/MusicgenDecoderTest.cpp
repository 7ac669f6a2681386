// MusicGen decoder LM against transformers 4.35 (../shared/parity): teacher forcing, hidden
// states, KV-cache decoding, CFG, a full greedy CFG generation, hooks, config and load errors.
#include "models/MusicgenDecoder.h"
#include "TestPaths.h"
#include "models/Safetensors.h"
#include "models/StateDict.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <fstream>

using namespace moodsteer::models;
using moodsteer::test::parityDir;

namespace {

constexpr double kTol = 1e-5;

nlohmann::json readJson(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    return nlohmann::json::parse(in);
}

std::shared_ptr<const SafetensorsReader> openFile(const std::string& name) {
    return std::make_shared<SafetensorsReader>(SafetensorsReader::open(parityDir() + "/" + name));
}

torch::Tensor reference(const std::string& name) {
    static auto file = openFile("reference.safetensors");
    return toTensor(*file, name);
}

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) {
    EXPECT_EQ(a.sizes(), b.sizes());
    if (a.sizes() != b.sizes()) return 1e9;
    return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

#define EXPECT_CLOSE(what, a, b)                                                                   \
    do {                                                                                           \
        const double d_ = maxDiff(a, b);                                                           \
        std::cout << "  [" << what << "] max abs diff " << d_ << std::endl;                        \
        EXPECT_LE(d_, kTol) << what;                                                               \
    } while (0)

MusicgenDecoderConfig tinyConfig() {
    return MusicgenDecoderConfig::fromJson(readJson(parityDir() + "/config.json"));
}

/// The tiny parity LM; `packed` = loadFrom (checks the sinusoid table, packs q/k/v and the
/// heads), otherwise plain StateDictLoader::load and the unpacked path.
MusicgenForCausalLM loadTiny(bool packed = true) {
    MusicgenForCausalLM lm(tinyConfig());
    StateDictLoader loader(openFile("model.safetensors"));
    if (packed) {
        lm->loadFrom(loader, "decoder.");
    } else {
        loader.load(*lm, "decoder.");
        loader.allowUnused("decoder\\." + MusicgenForCausalLMImpl::positionTableKey());
    }
    loader.allowUnused("(?!decoder\\.).*"); // T5, EnCodec, enc_to_dec_proj
    loader.finish();                        // every decoder tensor was used
    lm->eval();
    return lm;
}

/// [cond; uncond] memory and mask for classifier-free guidance, as MusicGen builds them.
std::pair<torch::Tensor, torch::Tensor> cfgMemory() {
    auto memory = reference("encoder_hidden_states_for_decoder");
    auto mask = reference("text_attention_mask");
    return {torch::cat({memory, torch::zeros_like(memory)}),
            torch::cat({mask, torch::zeros_like(mask)})};
}

/// transformers' build_delay_pattern_mask for a start column: P where forced (t <= k, and the
/// last K-1-k positions of row k), -1 where free.
torch::Tensor delayPattern(int64_t rows, int64_t k, int64_t length, int64_t pad) {
    auto pattern = torch::full({rows, length}, -1, torch::kLong);
    for (int64_t r = 0; r < rows; ++r) {
        const int64_t cb = r % k;
        for (int64_t t = 0; t < length; ++t)
            if (t <= cb || t >= length - k + 1 + cb) pattern[r][t] = pad;
    }
    return pattern;
}

torch::Tensor applyPattern(const torch::Tensor& ids, const torch::Tensor& pattern) {
    auto p = pattern.narrow(1, 0, ids.size(1));
    return torch::where(p == -1, ids, p);
}

} // namespace

TEST(MusicgenDecoderConfig, ReadsTheDecoderSection) {
    MOODSTEER_REQUIRE_PARITY();
    auto tiny = tinyConfig();
    EXPECT_EQ(64, tiny.vocab_size);
    EXPECT_EQ(2, tiny.num_hidden_layers);
    EXPECT_EQ(32, tiny.hidden_size);
    EXPECT_EQ(4, tiny.num_attention_heads);
    EXPECT_EQ(64, tiny.ffn_dim);
    EXPECT_EQ(4, tiny.num_codebooks);
    EXPECT_EQ(2048, tiny.max_position_embeddings);
    EXPECT_EQ(64, tiny.pad_token_id);
    EXPECT_EQ("gelu", tiny.activation_function);
    auto small = MusicgenDecoderConfig::fromJson(
        readJson(parityDir() + "/musicgen-small-config.json").at("decoder"));
    EXPECT_EQ(24, small.num_hidden_layers);
    EXPECT_EQ(1024, small.hidden_size);
    EXPECT_EQ(16, small.num_attention_heads);
    EXPECT_EQ(2048, small.vocab_size);
    EXPECT_EQ(64, small.headDim());
}

TEST(MusicgenDecoderConfig, ErrorsNameTheField) {
    auto errorOf = [](const nlohmann::json& j) -> std::string {
        try {
            MusicgenDecoderConfig::fromJson(j);
        } catch (const std::invalid_argument& e) {
            return e.what();
        }
        return "";
    };
    using nlohmann::json;
    EXPECT_NE(std::string::npos, errorOf(json{{"hidden_size", "1024"}}).find("'hidden_size'"));
    EXPECT_NE(std::string::npos,
              errorOf(json{{"num_hidden_layers", 0}}).find("'num_hidden_layers'"));
    EXPECT_NE(std::string::npos,
              errorOf(json{{"hidden_size", 30}, {"num_attention_heads", 4}}).find("'hidden_size'"));
    EXPECT_NE(std::string::npos,
              errorOf(json{{"activation_function", "swish"}}).find("'activation_function'"));
    EXPECT_NE(std::string::npos, errorOf(json{{"vocab_size", 64}}).find("'pad_token_id'"));
    EXPECT_NE(std::string::npos, errorOf(json{{"scale_embedding", 1}}).find("'scale_embedding'"));
    EXPECT_NE(std::string::npos, errorOf(json::array()).find("JSON object"));
    EXPECT_EQ("", errorOf(json::object())); // all upstream defaults: musicgen-small
}

TEST(MusicgenDecoder, SinusoidsMatchReferenceAndFileTable) {
    MOODSTEER_REQUIRE_PARITY();
    EXPECT_CLOSE("tf_positions", sinusoidalPositions(12, 32), reference("tf_positions"));
    // Odd widths get a trailing zero column, as upstream.
    auto odd = sinusoidalPositions(3, 7);
    EXPECT_EQ(0.0, odd.select(1, 6).abs().max().item<double>());
    EXPECT_NEAR(std::cos(2.0 * std::exp(-std::log(10000.0) / 2)), odd[2][1].item<double>(), 1e-6);
    EXPECT_NEAR(std::sin(2.0 * std::exp(-std::log(10000.0))), odd[2][5].item<double>(), 1e-6);

    MusicgenForCausalLM lm(tinyConfig());
    StateDictLoader loader(openFile("model.safetensors"));
    EXPECT_TRUE(lm->checkPositionTable(loader, "decoder."));
    // A corrupted table is reported by name.
    SafetensorsWriter w;
    auto bad = sinusoidalPositions(2048, 32);
    bad[5][3] += 1e-3;
    addTensor(w, "decoder." + MusicgenForCausalLMImpl::positionTableKey(), bad);
    auto bytes = w.serialize();
    StateDictLoader badLoader(std::make_shared<SafetensorsReader>(
        SafetensorsReader::fromBytes(bytes, "bad.safetensors")));
    try {
        lm->checkPositionTable(badLoader, "decoder.");
        FAIL() << "a wrong sinusoid table was accepted";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string::npos, std::string(e.what()).find("embed_positions.weights"))
            << e.what();
    }
}

TEST(MusicgenDecoderParity, TeacherForcedLogitsAndHiddenStates) {
    MOODSTEER_REQUIRE_PARITY();
    torch::NoGradGuard noGrad;
    for (bool packed : {true, false}) {
        SCOPED_TRACE(packed ? "packed q/k/v and heads" : "separate projections");
        std::cout << (packed ? " packed:" : " unpacked:") << std::endl;
        auto lm = loadTiny(packed);
        auto cross = lm->precomputeCross(reference("encoder_hidden_states_for_decoder"),
                                         reference("text_attention_mask"));
        std::vector<torch::Tensor> hidden;
        std::vector<int> seen;
        torch::Tensor lastResidual;
        DecoderHooks hooks;
        hooks.onResidual = [&](int layer, const torch::Tensor& r) {
            seen.push_back(layer);
            if (layer == 1) lastResidual = r.clone();
        };
        auto ids = reference("tf_decoder_input_ids");
        auto logits = lm->forward(ids, cross, nullptr, &hooks, &hidden);
        ASSERT_EQ((std::vector<int64_t>{2, 4, 12, 64}), logits.sizes().vec());
        EXPECT_CLOSE("tf_logits", logits.reshape({8, 12, 64}), reference("tf_logits"));
        ASSERT_EQ(3u, hidden.size());
        EXPECT_CLOSE("tf_decoder_hidden_states", torch::stack(hidden),
                     reference("tf_decoder_hidden_states"));
        EXPECT_CLOSE("tf_last_layer_output_pre_final_ln", lastResidual,
                     reference("tf_last_layer_output_pre_final_ln"));
        EXPECT_EQ((std::vector<int>{-1, 0, 1}), seen);
        // hidden_states[0] is the unscaled sum of the K embeddings + the reference positions.
        auto params = lm->named_parameters();
        auto grid = ids.view({2, 4, 12});
        auto embeds = torch::zeros({2, 12, 32});
        for (int k = 0; k < 4; ++k)
            embeds += params["model.decoder.embed_tokens." + std::to_string(k) + ".weight"]
                          .index_select(0, grid.select(1, k).reshape(-1))
                          .view({2, 12, 32});
        EXPECT_CLOSE("hidden_states[0] - embeddings", hidden[0] - embeds,
                     reference("tf_positions").expand({2, 12, 32}));
    }
}

TEST(MusicgenDecoderParity, CachedDecodingEqualsFullForward) {
    MOODSTEER_REQUIRE_PARITY();
    torch::NoGradGuard noGrad;
    auto lm = loadTiny();
    auto cross = lm->precomputeCross(reference("encoder_hidden_states_for_decoder"),
                                     reference("text_attention_mask"));
    auto ids = reference("tf_decoder_input_ids");
    auto full = lm->forward(ids, cross);

    // One column at a time.
    auto cache = lm->makeCache(2, 16);
    std::vector<torch::Tensor> steps;
    for (int64_t t = 0; t < 12; ++t) {
        EXPECT_EQ(t, cache.length());
        steps.push_back(lm->forward(ids.narrow(1, t, 1), cross, &cache));
    }
    EXPECT_EQ(12, cache.length());
    EXPECT_CLOSE("column by column vs full", torch::cat(steps, 2), full);

    // A 5-column prefill (causal mask with no past), then chunks with a past offset.
    cache.reset();
    auto a = lm->forward(ids.narrow(1, 0, 5), cross, &cache);
    auto b = lm->forward(ids.narrow(1, 5, 3), cross, &cache);
    auto c = lm->forward(ids.narrow(1, 8, 4), cross, &cache);
    EXPECT_CLOSE("prefill + chunks vs full", torch::cat({a, b, c}, 2), full);

    // Truncating rewinds: recomputing the last column gives the same logits.
    cache.truncate(11);
    EXPECT_CLOSE("after truncate", lm->forward(ids.narrow(1, 11, 1), cross, &cache),
                 full.narrow(2, 11, 1));

    // The capacity is enforced with a message naming the cache.
    auto tiny = lm->makeCache(2, 2);
    lm->forward(ids.narrow(1, 0, 2), cross, &tiny);
    try {
        lm->forward(ids.narrow(1, 2, 1), cross, &tiny);
        FAIL() << "cache overflow accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string::npos, std::string(e.what()).find("capacity")) << e.what();
    }
}

TEST(MusicgenDecoderParity, ClassifierFreeGuidanceFirstStep) {
    MOODSTEER_REQUIRE_PARITY();
    torch::NoGradGuard noGrad;
    auto lm = loadTiny();
    auto [memory, mask] = cfgMemory();
    auto cross = lm->precomputeCross(memory, mask);
    EXPECT_TRUE(cross.anyFullyMasked);
    auto ids = torch::full({16, 1}, 64, torch::kLong); // [cond; uncond] start columns
    auto logits = lm->forward(ids, cross).reshape({16, 64});
    auto cond = logits.narrow(0, 0, 8);
    auto uncond = logits.narrow(0, 8, 8);
    EXPECT_CLOSE("cfg_step0_cond_logits", cond, reference("cfg_step0_cond_logits"));
    EXPECT_CLOSE("cfg_step0_uncond_logits", uncond, reference("cfg_step0_uncond_logits"));
    EXPECT_CLOSE("gen_cfg3_scores[0]", uncond + (cond - uncond) * 3.0,
                 reference("gen_cfg3_scores")[0]);

    // A fully masked row outputs exactly 0 from cross-attention whatever the memory holds:
    // garbage (even huge values) in the unconditional memory changes nothing, bit for bit.
    auto garbage = memory.clone();
    garbage.narrow(0, 2, 2).copy_(torch::randn({2, 7, 32}) * 1e6);
    auto again = lm->forward(ids, lm->precomputeCross(garbage, mask)).reshape({16, 64});
    EXPECT_TRUE(torch::equal(again, logits));
    EXPECT_TRUE(torch::isfinite(again).all().item<bool>());

    // So the fully masked items' keys/values are not projected at all (half the prompt's
    // work under guidance): they stay 0, and the others equal a cache of those items alone.
    auto alone = lm->precomputeCross(memory.narrow(0, 0, 2), mask.narrow(0, 0, 2));
    for (size_t l = 0; l < cross.k.size(); ++l) {
        EXPECT_TRUE(torch::equal(cross.k[l].narrow(0, 2, 2), torch::zeros_like(alone.k[l])));
        EXPECT_TRUE(torch::equal(cross.v[l].narrow(0, 2, 2), torch::zeros_like(alone.v[l])));
        EXPECT_TRUE(torch::allclose(cross.k[l].narrow(0, 0, 2), alone.k[l], 1e-6, 1e-7));
        EXPECT_TRUE(torch::allclose(cross.v[l].narrow(0, 0, 2), alone.v[l], 1e-6, 1e-7));
    }
}

// The whole greedy generate() of transformers, written out: delay pattern, CFG on the raw
// last-position logits, argmax, forced pads re-applied before every step.
TEST(MusicgenDecoderParity, GreedyGenerationMatchesTransformers) {
    MOODSTEER_REQUIRE_PARITY();
    torch::NoGradGuard noGrad;
    auto lm = loadTiny();
    const int64_t K = 4, P = 64, rows = 8, length = 26; // max_new_tokens 25 + start column
    for (double scale : {3.0, 1.0}) {
        const std::string tag = scale > 1 ? "gen_cfg3" : "gen_cfg1";
        SCOPED_TRACE(tag);
        const bool cfg = scale > 1;
        auto [memory, mask] = cfgMemory();
        if (!cfg) {
            memory = reference("encoder_hidden_states_for_decoder");
            mask = reference("text_attention_mask");
        }
        auto cross = lm->precomputeCross(memory, mask);
        auto pattern = delayPattern(rows, K, length, P);
        auto ids = torch::full({rows, 1}, P, torch::kLong);
        auto cache = lm->makeCache(cfg ? 4 : 2, length);
        auto refScores = reference(tag + "_scores");
        double worst = 0;
        for (int64_t step = 0; step + 1 < length; ++step) {
            auto column = applyPattern(ids, pattern).narrow(1, step, 1);
            auto input = cfg ? torch::cat({column, column}) : column;
            auto logits = lm->forward(input, cross, &cache).reshape({-1, 64});
            torch::Tensor scores = logits;
            if (cfg) {
                auto cond = logits.narrow(0, 0, rows);
                auto uncond = logits.narrow(0, rows, rows);
                scores = uncond + (cond - uncond) * scale;
            }
            worst = std::max(worst, maxDiff(scores, refScores[step]));
            ids = torch::cat({ids, scores.argmax(-1, /*keepdim=*/true)}, 1);
        }
        ids = applyPattern(ids, pattern);
        std::cout << "  [" << tag << "_scores] max abs diff over 25 steps " << worst << std::endl;
        EXPECT_LE(worst, kTol);
        const auto expected = reference(tag + "_delayed_ids");
        EXPECT_TRUE(torch::equal(ids, expected)) << "ids\n" << ids << "\nexpected\n" << expected;
        std::cout << "  [" << tag << "_delayed_ids] mismatches "
                  << (ids != expected).sum().item<int64_t>() << std::endl;
    }
}

TEST(MusicgenDecoder, HooksObserveAndSteerOnlyTheConditionalHalf) {
    MOODSTEER_REQUIRE_PARITY();
    torch::NoGradGuard noGrad;
    auto lm = loadTiny();
    auto [memory, mask] = cfgMemory();
    auto cross = lm->precomputeCross(memory, mask);
    auto ids = reference("tf_decoder_input_ids").repeat({2, 1}); // [cond; uncond], batch 4
    auto plain = lm->forward(ids, cross);

    DecoderHooks empty; // set but empty hooks change nothing
    EXPECT_TRUE(torch::equal(plain, lm->forward(ids, cross, nullptr, &empty)));

    std::vector<int> residualLayers, attentionLayers;
    DecoderHooks hooks;
    hooks.onResidual = [&](int layer, const torch::Tensor& r) {
        residualLayers.push_back(layer);
        EXPECT_EQ(4, r.size(0));
        EXPECT_EQ(32, r.size(2));
    };
    hooks.onAttention = [&](int layer, const torch::Tensor&) { attentionLayers.push_back(layer); };
    auto direction = torch::randn({32});
    hooks.intervene = [&](int layer, torch::Tensor& r) {
        if (layer == 0) r.narrow(0, 0, 2).add_(direction * 2.0); // conditional items only
    };
    auto steered = lm->forward(ids, cross, nullptr, &hooks);
    EXPECT_EQ((std::vector<int>{-1, 0, 1}), residualLayers); // num_layers + 1 calls
    EXPECT_EQ((std::vector<int>{0, 1}), attentionLayers);
    residualLayers.clear();
    EXPECT_GT((steered.narrow(0, 0, 2) - plain.narrow(0, 0, 2)).abs().max().item<double>(), 1e-2);
    EXPECT_TRUE(torch::equal(steered.narrow(0, 2, 2), plain.narrow(0, 2, 2)));

    // The same through the cache, step by step: identical to the steered full pass.
    auto cache = lm->makeCache(4, 12);
    std::vector<torch::Tensor> steps;
    for (int64_t t = 0; t < 12; ++t)
        steps.push_back(lm->forward(ids.narrow(1, t, 1), cross, &cache, &hooks));
    EXPECT_CLOSE("steered, cached vs full", torch::cat(steps, 2), steered);
}

TEST(MusicgenDecoder, LoadErrorsNameTheTensor) {
    MOODSTEER_REQUIRE_PARITY();
    auto file = openFile("model.safetensors");
    auto rewrite = [&](const std::string& victim, bool drop) {
        SafetensorsWriter w;
        for (const auto& info : file->tensors()) {
            if (info.name.rfind("decoder.", 0) != 0) continue;
            auto t = toTensor(*file, info);
            if (info.name == victim) {
                if (drop) continue;
                t = torch::zeros({t.size(0) + 1, t.size(1)});
            }
            addTensor(w, info.name, t);
        }
        return std::make_shared<SafetensorsReader>(
            SafetensorsReader::fromBytes(w.serialize(), "edited.safetensors"));
    };
    const std::string victim = "decoder.model.decoder.layers.1.encoder_attn.v_proj.weight";
    for (bool drop : {false, true}) {
        MusicgenForCausalLM lm(tinyConfig());
        StateDictLoader loader(rewrite(victim, drop));
        try {
            lm->loadFrom(loader, "decoder.");
            FAIL() << "a bad checkpoint was accepted";
        } catch (const SafetensorsError& e) {
            EXPECT_NE(std::string::npos, std::string(e.what()).find(victim)) << e.what();
            if (!drop) {
                EXPECT_NE(std::string::npos, std::string(e.what()).find("[33, 32]")) << e.what();
            }
        }
    }
}

TEST(MusicgenDecoder, BadInputsAreRejectedWithReasons) {
    MOODSTEER_REQUIRE_PARITY();
    torch::NoGradGuard noGrad;
    auto lm = loadTiny();
    auto cross = lm->precomputeCross(reference("encoder_hidden_states_for_decoder"),
                                     reference("text_attention_mask"));
    auto message = [&](auto&& f) -> std::string {
        try {
            f();
        } catch (const std::invalid_argument& e) {
            return e.what();
        }
        return "";
    };
    EXPECT_NE("", message([&] { lm->forward(torch::zeros({7, 1}, torch::kLong), cross); }));
    EXPECT_NE(std::string::npos, message([&] {
                                     lm->forward(torch::full({8, 1}, 65, torch::kLong), cross);
                                 }).find("vocab_size"));
    EXPECT_NE(std::string::npos, message([&] {
                                     lm->forward(torch::zeros({4, 1}, torch::kLong), cross);
                                 }).find("cross-attention"));
    EXPECT_NE(std::string::npos,
              message([&] {
                  lm->precomputeCross(torch::zeros({2, 7, 31}), torch::ones({2, 7}));
              }).find("encoderStates"));
    EXPECT_NE(std::string::npos,
              message([&] {
                  lm->precomputeCross(torch::zeros({2, 7, 32}), torch::ones({2, 6}));
              }).find("encoderMask"));
    auto cache = lm->makeCache(1, 4);
    EXPECT_NE(std::string::npos, message([&] {
                                     lm->forward(torch::zeros({8, 1}, torch::kLong), cross, &cache);
                                 }).find("self-attention cache"));
}

// The LARA-Gen AV token makes the memory S + 1 long; a padded conditional row must equal the
// same row computed alone with its padding cut off.
TEST(MusicgenDecoderParity, LongerMemoryAndPaddingAreHandled) {
    MOODSTEER_REQUIRE_PARITY();
    torch::NoGradGuard noGrad;
    auto lm = loadTiny();
    auto memory = reference("encoder_hidden_states_for_decoder");
    auto mask = reference("text_attention_mask");
    auto av = torch::randn({2, 1, 32});
    auto cross = lm->precomputeCross(torch::cat({memory, av}, 1),
                                     torch::cat({mask, torch::ones({2, 1}, mask.options())}, 1));
    auto ids = reference("tf_decoder_input_ids");
    auto both = lm->forward(ids, cross);
    // Item 1 has 4 real tokens: its memory without padding is tokens 0..3 + the AV token.
    auto alone = lm->precomputeCross(
        torch::cat({memory.narrow(0, 1, 1).narrow(1, 0, 4), av.narrow(0, 1, 1)}, 1),
        torch::ones({1, 5}, torch::kLong));
    EXPECT_CLOSE("padded row vs unpadded alone", both.narrow(0, 1, 1),
                 lm->forward(ids.narrow(0, 4, 4), alone));
}

// The f32 inference projections (q/k/v and the heads stacked) read the checkpoint-named
// parameters themselves: autograd reaches every parameter, and an optimiser-style in-place
// update is seen by the inference path at once.
TEST(MusicgenDecoder, PackedWeightsStayTrainableAndInSync) {
    MOODSTEER_REQUIRE_PARITY();
    auto lm = loadTiny(/*packed=*/true);
    auto cross = lm->precomputeCross(reference("encoder_hidden_states_for_decoder"),
                                     reference("text_attention_mask"));
    auto ids = reference("tf_decoder_input_ids");
    lm->forward(ids, cross).pow(2).mean().backward();
    for (const auto& item : lm->named_parameters()) {
        ASSERT_TRUE(item.value().grad().defined()) << item.key();
        EXPECT_GT(item.value().grad().abs().max().item<double>(), 0.0) << item.key();
    }
    auto params = lm->named_parameters();
    torch::Tensor before;
    {
        torch::NoGradGuard noGrad;
        before = lm->forward(ids, cross);
        for (const char* key :
             {"model.decoder.layers.0.self_attn.k_proj.weight",
              "model.decoder.layers.1.self_attn.v_proj.weight", "lm_heads.2.weight"})
            params[key].add_(params[key].grad(), -10.0); // a plain SGD step
    }
    auto unpacked = lm->forward(ids, cross).detach(); // autograd on: separate projections
    torch::NoGradGuard noGrad;
    auto packed = lm->forward(ids, cross);
    EXPECT_GT((unpacked - before).abs().max().item<double>(), 1e-3);
    EXPECT_CLOSE("packed vs separate after an update", packed, unpacked);
}

// The module converts like any other (e.g. to bfloat16 for speed); the packed path is
// dropped by to() and comes back with finalizeWeights().
TEST(MusicgenDecoder, RunsInBfloat16) {
    MOODSTEER_REQUIRE_PARITY();
    torch::NoGradGuard noGrad;
    auto lm = loadTiny();
    auto [memory, mask] = cfgMemory();
    auto ids = reference("tf_decoder_input_ids").repeat({2, 1});
    auto full = lm->forward(ids, lm->precomputeCross(memory, mask));
    lm->to(torch::kBFloat16);
    auto cross = lm->precomputeCross(memory, mask);
    auto separate = lm->forward(ids, cross);
    EXPECT_EQ(torch::kBFloat16, separate.scalar_type());
    lm->finalizeWeights();
    auto cache = lm->makeCache(4, 12);
    std::vector<torch::Tensor> steps;
    for (int64_t t = 0; t < 12; ++t)
        steps.push_back(lm->forward(ids.narrow(1, t, 1), cross, &cache));
    auto cached = torch::cat(steps, 2);
    const double dSeparate = maxDiff(separate, full), dCached = maxDiff(cached, full);
    std::cout << "  [bfloat16 vs float32 logits] max abs diff " << dSeparate << " (separate), "
              << dCached << " (packed, cached); |logits| max " << full.abs().max().item<double>()
              << std::endl;
    EXPECT_LE(dSeparate, 0.15);
    EXPECT_LE(dCached, 0.15);
}

// Not an assertion: a speed print for the full musicgen-small decoder (random weights). On a
// shared 2-core machine the 2-thread figure collapses when other processes run; 1 thread is
// printed as well.
TEST(MusicgenDecoder, TimingFullSizeCachedStep) {
    MOODSTEER_REQUIRE_PARITY();
    torch::NoGradGuard noGrad;
    const int threads = torch::get_num_threads();
    auto config =
        MusicgenDecoderConfig::fromJson(readJson(parityDir() + "/musicgen-small-config.json"));
    MusicgenForCausalLM lm(config);
    lm->eval();
    const int64_t batch = 2, text = 12; // CFG: [cond; uncond] for one prompt
    auto cross = lm->precomputeCross(
        torch::randn({batch, text, config.hidden_size}),
        torch::cat({torch::ones({1, text}), torch::zeros({1, text})}).to(torch::kLong));
    auto ids = torch::full({batch * config.num_codebooks, 1}, config.vocab_size, torch::kLong);
    auto unpacked = lm->forward(ids, cross);
    lm->finalizeWeights();
    EXPECT_LE(maxDiff(lm->forward(ids, cross), unpacked), 1e-4);
    auto time = [&](const char* label, int n, int64_t steps) {
        torch::set_num_threads(n);
        auto cache = lm->makeCache(batch, steps + 1);
        lm->forward(ids, cross, &cache); // warm-up
        const auto start = std::chrono::steady_clock::now();
        torch::Tensor logits;
        for (int64_t s = 0; s < steps; ++s)
            logits = lm->forward(ids, cross, &cache);
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count() /
            steps;
        std::cout << "  [timing] musicgen-small decoder (24 x 1024, " << label
                  << "), cached step, batch 2 (CFG), " << n << " thread(s): " << ms << " ms/step"
                  << std::endl;
        EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
    };
    time("float32", 2, 5);
    time("float32", 1, 3);
    lm->to(torch::kBFloat16);
    lm->finalizeWeights();
    cross = lm->precomputeCross(
        torch::randn({batch, text, config.hidden_size}),
        torch::cat({torch::ones({1, text}), torch::zeros({1, text})}).to(torch::kLong));
    time("bfloat16", 2, 3);
    time("bfloat16", 1, 5);
    torch::set_num_threads(threads);
}
