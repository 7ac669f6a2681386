// Emotion guidance (GeneratorOptions::emotionGuidance, Recipe::emotionGuidance): a third
// branch reads the memory without its AV token, and the guided logits are
// u + g (t - u) + e (c - t). Checked against three separate one-branch runs on the embedded
// model, against plain CFG when e == g, take by take, and through the engine's recipes.
#include "core/engine/MusicEngine.h"
#include "engine/Generator.h"
#include "engine/MusicEngineImpl.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

using namespace moodsteer;

namespace {

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

struct Embedded {
    std::unique_ptr<MusicEngine> engine;
    Recipe recipe;
    Conditioning c;
    torch::Tensor avFreeMask;
};

Embedded embedded() {
    Embedded e;
    const auto folder = MusicEngine::embeddedModelFolder();
    if (folder.empty()) throw std::runtime_error("the embedded model is not installed");
    e.engine = MusicEngine::load(folder);
    e.recipe.prompt = "ambient piece with piano";
    e.recipe.valence = 6;
    e.recipe.arousal = 2;
    e.c = e.engine->impl().condition(e.recipe, std::pair{6.0, 2.0});
    e.avFreeMask = e.c.mask.clone();
    e.avFreeMask.narrow(1, e.c.mask.size(1) - 1, 1).zero_(); // the AV token comes last
    return e;
}

GeneratorOptions greedy(int frames, double guidance) {
    GeneratorOptions o;
    o.frames = frames;
    o.guidance = guidance;
    o.sampling.greedy = true;
    return o;
}

} // namespace

TEST(EmotionGuidance, CombinesTheConditionalAvFreeAndUnconditionalBranches) {
    auto e = embedded();
    Generator gen(e.engine->impl().model->decoder);
    const double g = 2, eg = 5;
    auto o = greedy(40, g);
    o.emotionGuidance = eg;
    o.avFreeMask = e.avFreeMask;
    std::vector<torch::Tensor> guided;
    o.scores = &guided;
    const auto out = gen.run(e.c.memory, e.c.mask, o);
    ASSERT_EQ(out.codes.size(), 1u);

    // Each branch alone (guidance 1: one row), continuing the guided run's frames, so that its
    // prefill gives the logits that step `context` of the guided run combined.
    const auto avFreeMemory = e.c.memory * e.avFreeMask.to(torch::kFloat32).unsqueeze(-1);
    const auto branch = [&](const torch::Tensor& memory, const torch::Tensor& mask, int context) {
        auto p = greedy(1, 1.0);
        if (context > 0) p.prompt = {out.codes[0].slice(0, context)};
        std::vector<torch::Tensor> scores;
        p.scores = &scores;
        gen.run(memory, mask, p);
        return scores.front();
    };
    double worst = 0, effect = 0;
    for (int context : {0, 9, 30}) {
        const auto c = branch(e.c.memory, e.c.mask, context);
        const auto t = branch(avFreeMemory, e.avFreeMask, context);
        const auto u = branch(torch::zeros_like(e.c.memory), torch::zeros_like(e.c.mask), context);
        const auto expected = u + (t - u) * g + (c - t) * eg;
        worst = std::max(worst, maxDiff(guided[context], expected));
        effect = std::max(effect, maxDiff(c, t));
    }
    std::cout << "  max |guided - (u + g (t - u) + e (c - t))| = " << worst
              << "; the AV token moves the conditional logits by up to " << effect << "\n";
    EXPECT_LT(worst, 2e-3);
    EXPECT_GT(effect, 0.05); // the AV-free branch really lacks the token
}

TEST(EmotionGuidance, EqualToTheGuidanceItIsPlainClassifierFreeGuidance) {
    auto e = embedded();
    Generator gen(e.engine->impl().model->decoder);
    auto plain = greedy(60, 2.0);
    std::vector<torch::Tensor> a, b;
    plain.scores = &a;
    const auto x = gen.run(e.c.memory, e.c.mask, plain);
    auto three = greedy(60, 2.0);
    three.emotionGuidance = 2.0;
    three.avFreeMask = e.avFreeMask;
    three.scores = &b;
    const auto y = gen.run(e.c.memory, e.c.mask, three);
    ASSERT_EQ(a.size(), b.size());
    double worst = 0;
    for (std::size_t s = 0; s < a.size(); ++s)
        worst = std::max(worst, maxDiff(a[s], b[s]));
    std::cout << "  max |three branches at e = g - plain CFG| = " << worst << "\n";
    EXPECT_LT(worst, 1e-4);
    EXPECT_EQ(x.codes[0].data, y.codes[0].data);

    three.avFreeMask = torch::Tensor();
    EXPECT_THROW(gen.run(e.c.memory, e.c.mask, three), std::runtime_error);
}

TEST(EmotionGuidance, EachTakeEqualsItsOwnGeneration) {
    auto e = embedded();
    Generator gen(e.engine->impl().model->decoder);
    GeneratorOptions o;
    o.frames = 50;
    o.guidance = 2;
    o.emotionGuidance = 4;
    o.avFreeMask = e.avFreeMask;
    o.takes = 3;
    o.seeds = {11, 12, 13};
    const auto batch = gen.run(e.c.memory, e.c.mask, o);
    ASSERT_EQ(batch.codes.size(), 3u);
    o.takes = 1;
    o.seeds.clear();
    o.seed = 13;
    const auto alone = gen.run(e.c.memory, e.c.mask, o);
    EXPECT_EQ(batch.codes[2].data, alone.codes[0].data);
    EXPECT_NE(batch.codes[0].data, batch.codes[2].data);
    o.takes = 6; // 6 x 3 rows > the fused step's 16
    o.seeds = {1, 2, 3, 4, 5, 6};
    EXPECT_THROW(gen.run(e.c.memory, e.c.mask, o), std::runtime_error);
}

TEST(EmotionGuidance, TheEngineRecordsItAndRefusesItWithoutATarget) {
    auto e = embedded();
    Recipe r = e.recipe;
    r.guidance = 2;
    r.emotionGuidance = 4;
    r.seconds = 1;
    r.seed = 3;
    const auto first = e.engine->generate(r);
    ASSERT_TRUE(first.recipe.emotionGuidance.has_value());
    EXPECT_EQ(4.0, *first.recipe.emotionGuidance);
    const auto again = e.engine->generate(Recipe::fromJson(first.recipe.toJson(), "test"));
    EXPECT_EQ(first.codes, again.codes); // the recipe regenerates the clip

    r.emotionGuidance = 2; // e == g: the clip plain CFG makes
    auto plain = r;
    plain.emotionGuidance.reset();
    EXPECT_EQ(e.engine->generate(r).codes, e.engine->generate(plain).codes);

    r.valence.reset();
    r.arousal.reset();
    try {
        e.engine->generate(r);
        ADD_FAILURE() << "emotion guidance without a target";
    } catch (const EngineError& err) {
        EXPECT_NE(std::string(err.what()).find("emotion guidance"), std::string::npos)
            << err.what();
    }
}

TEST(EmotionGuidance, RecipesKeepItAndOlderRecipesReadWithout) {
    Recipe r;
    r.emotionGuidance = 3.5;
    const auto back = Recipe::fromJson(r.toJson(), "test");
    ASSERT_TRUE(back.emotionGuidance.has_value());
    EXPECT_EQ(3.5, *back.emotionGuidance);
    EXPECT_EQ(std::string::npos, Recipe().toJson().find("emotion_guidance"));
    EXPECT_FALSE(Recipe::fromJson(Recipe().toJson(), "test").emotionGuidance);
    for (const char* bad : {R"({"emotion_guidance": -1})", R"({"emotion_guidance": 1000})",
                            R"({"emotion_guidance": "strong"})"})
        EXPECT_THROW(Recipe::fromJson(bad, "r.json"), std::runtime_error) << bad;
}
