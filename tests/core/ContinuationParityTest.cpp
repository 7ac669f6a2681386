// Audio-prompt and code-prompt continuation against transformers 4.35 (generate with
// input_values / decoder_input_ids): ../shared/parity/continuation. Every length is read from
// the fixture's tensors, so another fixture of the same kind (another tiny model) runs
// unchanged: point MOODSTEER_CONTINUATION at its folder (its model and text inputs one
// folder up, as in the shipped one).
#include "TestPaths.h"
#include "core/engine/MusicEngine.h"
#include "core/io/CodesFile.h"
#include "engine/Generator.h"
#include "engine/MusicEngineImpl.h"
#include "models/StateDict.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>

using namespace moodsteer;
namespace fs = std::filesystem;

namespace {

std::string fixtureDir() {
    if (const char* env = std::getenv("MOODSTEER_CONTINUATION")) return env;
    return test::parityDir() + "/continuation";
}
std::string modelDir() {
    return (fs::path(fixtureDir()) / "..").lexically_normal().string();
}

struct Fixture {
    std::shared_ptr<models::SafetensorsReader> file, text;
    torch::Tensor get(const std::string& name) const { return models::toTensor(*file, name); }
    torch::Tensor textIds() const { return models::toTensor(*text, "text_input_ids"); }
    torch::Tensor textMask() const { return models::toTensor(*text, "text_attention_mask"); }
};

const Fixture& fixture() {
    static Fixture f{std::make_shared<models::SafetensorsReader>(
                         models::SafetensorsReader::open(fixtureDir() + "/reference.safetensors")),
                     std::make_shared<models::SafetensorsReader>(
                         models::SafetensorsReader::open(modelDir() + "/reference.safetensors"))};
    return f;
}

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

CodeGrid grid(const torch::Tensor& kt) { // [K, T] int64
    auto c = kt.contiguous();
    CodeGrid g(static_cast<int>(c.size(0)), static_cast<int>(c.size(1)));
    std::copy_n(c.data_ptr<std::int64_t>(), c.numel(), g.data.begin());
    return g;
}

bool haveFixture() {
    return fs::exists(fixtureDir() + "/reference.safetensors");
}

#define REQUIRE_CONTINUATION()                                                                     \
    do {                                                                                           \
        if (!haveFixture())                                                                        \
            GTEST_SKIP() << "\n*** CONTINUATION FIXTURE NOT FOUND at " << fixtureDir()             \
                         << " — continuation parity NOT checked ***";                              \
    } while (0)

/// The prompts of a case, one [K, T] grid per item.
std::vector<CodeGrid> promptsOf(const std::string& tag, int K) {
    const auto& f = fixture();
    torch::Tensor codes;
    if (tag == "codes_prompt_cfg3") {
        auto ids = f.get("codes_prompt_decoder_input_ids"); // [B*K, T]
        codes = ids.view({-1, K, ids.size(1)});
    } else {
        codes = f.get("aprompt_codes")[0]; // [B, K, T]
    }
    std::vector<CodeGrid> out;
    for (int b = 0; b < codes.size(0); ++b)
        out.push_back(grid(codes[b]));
    return out;
}

} // namespace

TEST(ContinuationParity, EncodingTheAudioPromptGivesTheReferenceCodes) {
    REQUIRE_CONTINUATION();
    auto engine = MusicEngine::load(modelDir());
    auto& d = engine->impl();
    const auto& f = fixture();
    auto wave = f.get("aprompt_input_values"); // [B, 1, S]
    auto expected = f.get("aprompt_codes")[0]; // [B, K, T]
    for (int b = 0; b < wave.size(0); ++b) {
        AudioBuffer audio;
        audio.sampleRate = d.codec->sampleRate();
        auto w = wave[b][0].contiguous();
        audio.samples.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
        const CodeGrid codes = d.codec->encode(audio);
        EXPECT_EQ(codes.data, grid(expected[b]).data) << "item " << b;
    }
}

class ContinuationParity : public ::testing::TestWithParam<std::string> {};

TEST_P(ContinuationParity, GreedyContinuationMatchesIdsScoresAndAudio) {
    REQUIRE_CONTINUATION();
    const std::string tag = GetParam();
    const double guidance = tag == "aprompt_cfg1" ? 1.0 : 3.0;
    auto engine = MusicEngine::load(modelDir());
    auto& d = engine->impl();
    const auto& f = fixture();
    const int K = engine->info().numCodebooks;
    auto [memory, mask] = d.model->encodeConditions(f.textIds(), f.textMask());
    const auto prompts = promptsOf(tag, K);
    const int T = prompts.front().frames;
    auto expectedScores = f.get(tag + "_scores"); // [N, B*K, V]
    const int N = static_cast<int>(expectedScores.size(0));

    Generator gen(d.model->decoder);
    GeneratorOptions o;
    o.frames = N - K + 1;
    o.guidance = guidance;
    o.sampling.greedy = true;
    o.prompt = prompts;
    std::vector<torch::Tensor> scores;
    o.scores = &scores;
    auto out = gen.run(memory, mask, o);

    auto expectedDelayed = f.get(tag + "_delayed_ids"); // [B*K, M]
    const int M = static_cast<int>(expectedDelayed.size(1));
    ASSERT_EQ(T + 1 + N, M);
    auto expectedCodes = f.get(tag + "_codes")[0]; // [B, K, T + N - K + 1]
    auto expectedAudio = f.get(tag + "_audio");    // [B, 1, samples]
    for (int b = 0; b < static_cast<int>(prompts.size()); ++b) {
        auto delayed = torch::tensor(out.delayed[b], torch::kInt64).view({K, M});
        EXPECT_TRUE(torch::equal(delayed, expectedDelayed.narrow(0, K * b, K))) << "item " << b;
        EXPECT_EQ(out.codes[b].data, grid(expectedCodes[b]).data) << "item " << b;
        // The returned audio: the prompt's re-synthesis then the continuation, one decode.
        auto audio = torch::tensor(engine->decode(out.codes[b].data, out.codes[b].frames).samples);
        const double da = maxDiff(audio, expectedAudio[b][0]);
        std::cout << "  " << tag << " item " << b << ": max |audio - reference| = " << da << "\n";
        EXPECT_LT(da, 5e-5);
    }
    ASSERT_EQ(static_cast<std::size_t>(N), scores.size());
    const double ds = maxDiff(torch::stack(scores), expectedScores);
    std::cout << "  " << tag << ": max |scores - reference| = " << ds << "\n";
    EXPECT_LT(ds, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Cases, ContinuationParity,
                         ::testing::Values("aprompt_cfg3", "aprompt_cfg1", "codes_prompt_cfg3"));

// The product path: `generate --continue codes.safetensors` through the engine facade
// (batch 1, windowed generation, streaming decoder) returns the same codes and audio.
TEST(ContinuationParityFacade, ContinuingACodesFileMatchesTheReference) {
    REQUIRE_CONTINUATION();
    auto engine = MusicEngine::load(modelDir());
    const auto& f = fixture();
    const int K = engine->info().numCodebooks;
    const auto prompts = promptsOf("aprompt_cfg3", K);
    const int N = static_cast<int>(f.get("aprompt_cfg3_scores").size(0));
    auto expectedCodes = f.get("aprompt_cfg3_codes")[0];
    auto expectedAudio = f.get("aprompt_cfg3_audio");
    auto ids = f.textIds();
    auto mask = f.textMask();
    const auto dir = test::scratchDir("continuation-facade");
    for (int b = 0; b < static_cast<int>(prompts.size()); ++b) {
        const auto codesPath = (dir / ("prompt" + std::to_string(b) + ".safetensors")).string();
        writeCodesFile(codesPath, prompts[b]);
        Recipe r;
        for (int i = 0; i < mask[b].sum().item<int>(); ++i)
            r.promptIds.push_back(ids[b][i].item<std::int64_t>());
        r.greedy = true;
        r.guidance = 3.0;
        r.steps = N - K + 1; // new frames
        r.continueFrom = codesPath;
        std::vector<float> streamed;
        GenerationCallbacks cb;
        cb.onAudio = [&](const float* s, std::size_t n) {
            streamed.insert(streamed.end(), s, s + n);
        };
        auto res = engine->generate(r, cb);
        EXPECT_EQ(prompts[b].frames, res.promptFrames);
        EXPECT_EQ(res.codes, grid(expectedCodes[b]).data) << "item " << b;
        auto oneShot = torch::tensor(engine->decode(res.codes, res.frames).samples);
        EXPECT_LT(maxDiff(oneShot, expectedAudio[b][0]), 5e-5);
        // Streamed through the session's decoder: the whole clip, close to the one-shot decode.
        ASSERT_EQ(static_cast<std::size_t>(expectedAudio.size(2)), streamed.size());
        ASSERT_EQ(streamed, res.audio.samples);
        const double ds = maxDiff(torch::tensor(streamed), expectedAudio[b][0]);
        std::cout << "  facade item " << b << ": max |streamed - reference| = " << ds << "\n";
        EXPECT_LT(ds, 1e-4);
        // The recipe regenerates the continuation exactly.
        auto again = engine->generate(res.recipe);
        EXPECT_EQ(res.codes, again.codes);
    }
}
