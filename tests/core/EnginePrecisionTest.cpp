// Greedy CFG generation on the parity model with reduced-precision LM weights (bf16, int8)
// against transformers' f32 reference: codes, and the error of the guided scores.
#include "TestPaths.h"
#include "core/engine/MusicEngine.h"
#include "engine/Generator.h"
#include "models/MusicgenModel.h"
#include "models/StateDict.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

using namespace moodsteer;

namespace {

torch::Tensor parityReference(const std::string& name) {
    static auto file = std::make_shared<models::SafetensorsReader>(
        models::SafetensorsReader::open(test::parityDir() + "/reference.safetensors"));
    return models::toTensor(*file, name);
}

} // namespace

class EnginePrecision : public ::testing::TestWithParam<std::string> {};

// The parity model's smallest greedy top-1/top-2 margin is 1.8e-3 while bf16 and int8 move
// its logits by ~1e-2: free-running greedy generation is expected to flip codes (measured:
// bf16 22, int8 21 of 208 delayed ids differ once the first flip changes the path). So the
// codes are reported, and what is asserted is the error of the guided scores along the
// reference path (teacher forcing the reference ids) and that most greedy choices agree.
TEST_P(EnginePrecision, GuidedScoresStayCloseAlongTheReferencePath) {
    MOODSTEER_REQUIRE_PARITY();
    torch::NoGradGuard noGrad;
    const std::string precision = GetParam();
    auto model = models::MusicgenModelImpl::load(test::parityDir());
    auto [memory, mask] = model->encodeConditions(parityReference("text_input_ids"),
                                                  parityReference("text_attention_mask"));
    auto cfgMemory = torch::cat({memory, torch::zeros_like(memory)});
    auto cfgMask = torch::cat({mask, torch::zeros_like(mask)});
    const auto ids = parityReference("gen_cfg3_delayed_ids"); // (8, 26)
    const auto expected = parityReference("gen_cfg3_scores"); // (25, 8, 64)
    auto guidedScores = [&] {
        auto cross = model->decoder->precomputeCross(cfgMemory, cfgMask);
        auto input = ids.narrow(1, 0, 25);
        auto logits =
            model->decoder->forward(torch::cat({input, input}), cross).reshape({16, 25, 64});
        auto cond = logits.narrow(0, 0, 8), uncond = logits.narrow(0, 8, 8);
        return (uncond + (cond - uncond) * 3.0).transpose(0, 1); // (25, 8, 64)
    };
    const auto f32 = guidedScores();
    ASSERT_LE((f32 - expected).abs().max().item<double>(), 1e-5);
    model->decoder->setPrecision(precision);
    const auto scores = guidedScores();
    const double maxAbs = (scores - expected).abs().max().item<double>();
    const double rel = maxAbs / expected.abs().max().item<double>();
    const double agree =
        (scores.argmax(-1) == expected.argmax(-1)).to(torch::kDouble).mean().item<double>();

    Generator gen(model->decoder);
    GeneratorOptions o;
    o.frames = 22;
    o.guidance = 3.0;
    o.sampling.greedy = true;
    auto out = gen.run(memory, mask, o);
    int64_t mismatches = 0;
    for (int b = 0; b < 2; ++b) {
        auto got = torch::tensor(out.delayed[b], torch::kInt64).view({4, 26});
        mismatches += (got != ids.narrow(0, 4 * b, 4)).sum().item<int64_t>();
    }
    std::cout << "  [" << precision << "] guided scores along the reference path: max abs "
              << "error " << maxAbs << ", relative " << rel << ", greedy agreement " << agree
              << "; free-running delayed-id mismatches " << mismatches << " of " << ids.numel()
              << std::endl;
    // Bounds: about twice the measured relative error (bf16 0.058 abs / 0.011 rel, 99.0 %
    // agreement; int8 0.149 / 0.027, 97.5 %); int4 (1.24 / 0.23, 80.5 %: this model's rows of
    // 32-64 weights share one scale each) under 0.4 and over 70 %.
    EXPECT_LE(rel, precision == "bf16" ? 0.02 : precision == "int8" ? 0.05 : 0.4);
    EXPECT_GE(agree, precision == "bf16" ? 0.95 : precision == "int8" ? 0.9 : 0.7);
    EXPECT_GT(maxAbs, 0.0);
}

INSTANTIATE_TEST_SUITE_P(Weights, EnginePrecision, ::testing::Values("bf16", "int8", "int4"),
                         [](const auto& info) { return info.param; });

TEST(EnginePrecisionFacade, LoadOptionsSelectThePrecision) {
    MOODSTEER_REQUIRE_PARITY();
    LoadOptions lo;
    lo.precision = "fp16";
    EXPECT_THROW(MusicEngine::load(test::parityDir(), lo), EngineError);
    lo.precision = "bf16";
    auto engine = MusicEngine::load(test::parityDir(), lo);
    Recipe r;
    r.promptIds = {5, 9, 1};
    r.steps = 6;
    r.greedy = true;
    auto result = engine->generate(r);
    EXPECT_EQ(6, result.frames);
    EXPECT_FALSE(result.audio.empty());
}
