// End-to-end parity of generation with transformers 4.35 on the tiny random MusicGen in
// ../shared/parity: T5 -> projection -> CFG decode loop (delay pattern, greedy) -> EnCodec.
#include "TestPaths.h"
#include "core/engine/MusicEngine.h"
#include "engine/Generator.h"
#include "engine/MusicEngineImpl.h"
#include "models/StateDict.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

using namespace moodsteer;

namespace {

struct Reference {
    std::shared_ptr<models::SafetensorsReader> file;
    torch::Tensor get(const std::string& name) const { return models::toTensor(*file, name); }
};

const Reference& reference() {
    static Reference r{std::make_shared<models::SafetensorsReader>(
        models::SafetensorsReader::open(test::parityDir() + "/reference.safetensors"))};
    return r;
}

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

} // namespace

class EngineParity : public ::testing::TestWithParam<double> {};

TEST_P(EngineParity, GreedyBatchOfTwoMatchesTheReference) {
    MOODSTEER_REQUIRE_PARITY();
    const double guidance = GetParam();
    const std::string tag = guidance > 1 ? "gen_cfg3_" : "gen_cfg1_";
    auto model = models::MusicgenModelImpl::load(test::parityDir());
    const auto& ref = reference();
    auto [memory, mask] =
        model->encodeConditions(ref.get("text_input_ids"), ref.get("text_attention_mask"));
    EXPECT_LT(maxDiff(memory, ref.get("encoder_hidden_states_for_decoder")), 1e-5);

    Generator gen(model->decoder);
    GeneratorOptions o;
    o.frames = 22; // max_new_tokens 25 - K + 1
    o.guidance = guidance;
    o.sampling.greedy = true;
    std::vector<torch::Tensor> scores;
    o.scores = &scores;
    auto out = gen.run(memory, mask, o);

    auto expectedIds = ref.get(tag + "delayed_ids"); // (8, 26)
    ASSERT_EQ(2u, out.delayed.size());
    for (int b = 0; b < 2; ++b) {
        auto got = torch::tensor(out.delayed[b], torch::kInt64).view({4, 26});
        EXPECT_TRUE(torch::equal(got, expectedIds.narrow(0, 4 * b, 4))) << "batch item " << b;
    }
    auto expectedCodes = ref.get(tag + "codes"); // (1, 2, 4, 22)
    for (int b = 0; b < 2; ++b) {
        auto got = torch::tensor(out.codes[b].data, torch::kInt64).view({4, 22});
        EXPECT_TRUE(torch::equal(got, expectedCodes[0][b])) << "batch item " << b;
    }
    auto expectedScores = ref.get(tag + "scores"); // (25, 8, 64)
    ASSERT_EQ(25u, scores.size());
    const double d = maxDiff(torch::stack(scores), expectedScores);
    std::cout << "  max |scores - reference| = " << d << "\n";
    EXPECT_LT(d, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Guidance, EngineParity, ::testing::Values(3.0, 1.0));

TEST(EngineParityFacade, GenerateThroughTheFacadeMatchesCodesAndAudio) {
    MOODSTEER_REQUIRE_PARITY();
    auto engine = MusicEngine::load(test::parityDir());
    const auto& ref = reference();
    auto ids = ref.get("text_input_ids");
    auto mask = ref.get("text_attention_mask");
    auto audioRef = ref.get("gen_cfg3_audio"); // (2, 1, 14080)
    auto codesRef = ref.get("gen_cfg3_codes"); // (1, 2, 4, 22)
    for (int b = 0; b < 2; ++b) {
        Recipe r;
        const int len = mask[b].sum().item<int>();
        for (int i = 0; i < len; ++i)
            r.promptIds.push_back(ids[b][i].item<std::int64_t>());
        r.greedy = true;
        r.guidance = 3.0;
        r.steps = 22;
        std::vector<float> streamed;
        GenerationCallbacks cb;
        int lastStep = 0;
        cb.onProgress = [&](const GenerationProgress& p) { lastStep = p.step; };
        cb.onAudio = [&](const float* s, std::size_t n) {
            streamed.insert(streamed.end(), s, s + n);
        };
        auto res = engine->generate(r, cb);
        EXPECT_EQ(25, lastStep);
        auto codes = torch::tensor(res.codes, torch::kInt64).view({4, 22});
        EXPECT_TRUE(torch::equal(codes, codesRef[0][b])) << "batch item " << b;
        auto audio = torch::tensor(res.audio.samples);
        ASSERT_EQ(14080, audio.numel());
        const double d = maxDiff(audio, audioRef[b][0]);
        std::cout << "  item " << b << ": max |audio - reference| = " << d << "\n";
        EXPECT_LT(d, 5e-5);
        // Streaming delivered the whole clip, close to the one-shot decode.
        ASSERT_EQ(res.audio.samples.size(), streamed.size());
        const double ds = maxDiff(torch::tensor(streamed), audio);
        std::cout << "  item " << b << ": max |streamed - one-shot| = " << ds << "\n";
        EXPECT_LT(ds, 1e-4); // the EnCodec stream decoder is exact up to float rounding
    }
}

TEST(EngineParityFacade, SeedsReproduceAndCancellationStops) {
    MOODSTEER_REQUIRE_PARITY();
    auto engine = MusicEngine::load(test::parityDir());
    Recipe r;
    r.promptIds = {5, 9, 1};
    r.steps = 30;
    r.seed = 11;
    auto a = engine->generate(r);
    auto b = engine->generate(r);
    EXPECT_EQ(a.codes, b.codes);
    r.seed = 12;
    auto c = engine->generate(r);
    EXPECT_NE(a.codes, c.codes);

    std::atomic<bool> cancel{false};
    GenerationCallbacks cb;
    cb.cancel = &cancel;
    cb.onProgress = [&](const GenerationProgress& p) {
        if (p.step == 10) cancel = true;
    };
    auto d = engine->generate(r, cb);
    EXPECT_TRUE(d.cancelled);
    EXPECT_EQ(10 - 4 + 1, d.frames); // frames complete in all codebooks after 10 positions
}

TEST(EngineParityFacade, BadRecipesGiveOneLineReasons) {
    MOODSTEER_REQUIRE_PARITY();
    auto engine = MusicEngine::load(test::parityDir());
    Recipe r;
    r.prompt = "no tokenizer here";
    EXPECT_THROW(engine->generate(r), EngineError);
    r = {};
    r.seconds = 0;
    EXPECT_THROW(engine->generate(r), EngineError);
    r.seconds = 100000;
    EXPECT_THROW(engine->generate(r), EngineError);
    r = {};
    r.steps = 3;
    r.valence = 5;
    r.arousal = 5;
    EXPECT_THROW(engine->generate(r), EngineError); // no AV encoder in this checkpoint
    r = {};
    r.promptIds = {100000};
    EXPECT_THROW(engine->generate(r), EngineError);
    EXPECT_THROW(MusicEngine::load("/nonexistent"), EngineError);
}

// generation_config.json (optional, as in the Hugging Face layout) sets the default guidance.
TEST(EngineParityFacade, GenerationConfigSetsTheDefaultGuidance) {
    MOODSTEER_REQUIRE_PARITY();
    namespace fs = std::filesystem;
    EXPECT_EQ(3.0, MusicEngine::load(test::parityDir())->info().defaultGuidance);

    const auto dir = test::scratchDir("generation-config");
    for (const char* f : {"config.json", "model.safetensors"})
        fs::create_symlink(fs::path(test::parityDir()) / f, dir / f);
    EXPECT_EQ(3.0, MusicEngine::load(dir.string())->info().defaultGuidance); // none: MusicGen's
    auto write = [&](const std::string& text) {
        std::ofstream(dir / "generation_config.json") << text;
    };
    write(R"({"do_sample": true, "guidance_scale": 1.5})");
    EXPECT_EQ(1.5, MusicEngine::load(dir.string())->info().defaultGuidance);
    EXPECT_FALSE(MusicEngine::load(dir.string())->info().defaultEmotionGuidance);
    write(R"({"guidance_scale": 2, "emotion_guidance_scale": 4.5})");
    EXPECT_EQ(4.5, MusicEngine::load(dir.string())->info().defaultEmotionGuidance.value_or(0));
    write(R"({"do_sample": true})");
    EXPECT_EQ(3.0, MusicEngine::load(dir.string())->info().defaultGuidance);
    for (const char* bad :
         {R"({"guidance_scale": -1})", R"({"guidance_scale": "high"})", R"({"guidance_scale": )",
          R"({"emotion_guidance_scale": 1e9})", R"({"emotion_guidance_scale": null})"}) {
        write(bad);
        try {
            MusicEngine::load(dir.string());
            ADD_FAILURE() << "loaded with " << bad;
        } catch (const EngineError& e) {
            EXPECT_NE(std::string(e.what()).find("generation_config.json"), std::string::npos)
                << e.what();
        }
    }
}
