// Prefilling a window with T frames of context in one batched forward pass gives the same
// next-step logits (and the same greedy continuation) as having generated those frames step
// by step — for the tiny MusicGen of ../shared/parity and for the embedded model.
#include "TestPaths.h"
#include "core/engine/MusicEngine.h"
#include "engine/Generator.h"
#include "engine/MusicEngineImpl.h"
#include "engine/MusicgenFamily.h"
#include "engine/MusicgenWindow.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

using namespace moodsteer;

namespace {

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

void checkPrefillEquivalence(MusicEngine& engine, const Recipe& recipe, int frames, int context) {
    auto& d = engine.impl();
    const int K = engine.info().numCodebooks;
    Conditioning c = d.condition(recipe);
    Generator gen(d.model->decoder);
    GeneratorOptions o;
    o.frames = frames;
    o.guidance = recipe.guidance;
    o.sampling.greedy = true;
    std::vector<torch::Tensor> stepwise;
    o.scores = &stepwise;
    auto full = gen.run(c.memory, c.mask, o);

    GeneratorOptions p = o;
    p.frames = frames - context;
    p.prompt = {full.codes[0].slice(0, context)};
    std::vector<torch::Tensor> prefilled;
    p.scores = &prefilled;
    auto cont = gen.run(c.memory, c.mask, p);

    // Step s of the prefilled run writes the column that step T+s of the full run wrote.
    ASSERT_EQ(stepwise.size(), prefilled.size() + context);
    const double d0 = maxDiff(prefilled[0], stepwise[context]);
    double worst = 0;
    for (std::size_t s = 0; s < prefilled.size(); ++s)
        worst = std::max(worst, maxDiff(prefilled[s], stepwise[context + s]));
    std::cout << "  context " << context << ": max |next-step logits, prefill - stepwise| = " << d0
              << " (all steps " << worst << ")\n";
    EXPECT_LT(d0, 1e-4);
    EXPECT_LT(worst, 1e-4);
    EXPECT_EQ(full.codes[0].data, cont.codes[0].data); // the same greedy clip
    EXPECT_EQ(full.delayed[0], cont.delayed[0]);
    (void)K;
}

} // namespace

TEST(PrefillEquivalence, TinyMusicgenWithAndWithoutGuidance) {
    MOODSTEER_REQUIRE_PARITY();
    auto engine = MusicEngine::load(test::parityDir());
    Recipe r;
    r.promptIds = {5, 9, 1};
    for (double g : {3.0, 1.0}) {
        r.guidance = g;
        for (int context : {1, 3, 17})
            checkPrefillEquivalence(*engine, r, 30, context);
    }
}

TEST(PrefillEquivalence, EmbeddedModelWithEmotion) {
    const auto folder = MusicEngine::embeddedModelFolder();
    ASSERT_FALSE(folder.empty());
    auto engine = MusicEngine::load(folder);
    Recipe r;
    r.prompt = "calm jazz with piano";
    r.valence = 7;
    r.arousal = 3;
    r.guidance = 2;
    checkPrefillEquivalence(*engine, r, 120, 80);
}

// The seam's prefill is ONE forward pass over the start column and the whole context.
TEST(PrefillEquivalence, TheFamilyPrefillsInOneBatchedPass) {
    const auto folder = MusicEngine::embeddedModelFolder();
    ASSERT_FALSE(folder.empty());
    auto engine = MusicEngine::load(folder);
    auto& d = engine->impl();
    Recipe r;
    r.prompt = "rock";
    r.steps = 40;
    r.seed = 3;
    const auto clip = engine->generate(r);
    CodeGrid context(clip.numCodebooks, clip.frames);
    context.data = clip.codes;
    std::vector<std::int64_t> positions;
    models::DecoderHooks observer;
    observer.onResidual = [&](int layer, const torch::Tensor& x) {
        if (layer == -1) positions.push_back(x.size(1));
    };
    WindowRequest req;
    req.recipe = &r;
    req.context = context;
    req.newFrames = 10;
    req.seed = 4;
    auto window = static_cast<MusicgenFamily&>(*d.family).beginWindow(req, &observer);
    window->prefill();
    ASSERT_EQ(1u, positions.size());
    EXPECT_EQ(41, positions[0]); // start column + 40 context frames
    while (!window->done())
        window->step();
    EXPECT_EQ(10, window->newCodes().frames);
    EXPECT_EQ(1u + 10 + 4 - 1 - 1, positions.size()); // then one position per step
}
