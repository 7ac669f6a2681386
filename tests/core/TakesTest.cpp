// Takes: N clips of one recipe decoded in one batch (MusicEngine::generateTakes). Each take has
// its own random stream, and every row of a batched decode step is computed as it would be
// alone, so take k equals the clip its recipe (seed + k - 1) makes alone: the same codes and the
// same audio, bit for bit. Proved on the embedded model and on the tiny parity MusicGen, at each
// weight precision and KV cache precision.
#include "TestPaths.h"
#include "core/engine/MusicEngine.h"

#include <gtest/gtest.h>

#include <atomic>

using namespace moodsteer;

namespace {

void expectTakesRegenerateAlone(MusicEngine& engine, Recipe recipe, int takes,
                                const std::string& what) {
    std::size_t streamed = 0;
    GenerationCallbacks cb;
    cb.onAudio = [&](const float*, std::size_t n) { streamed += n; };
    const auto results = engine.generateTakes(recipe, takes, cb);
    ASSERT_EQ(static_cast<std::size_t>(takes), results.size()) << what;
    bool anyDifferent = false;
    for (int k = 0; k < takes; ++k) {
        const auto& take = results[k];
        EXPECT_FALSE(take.cancelled);
        EXPECT_EQ(recipe.seed + static_cast<std::uint64_t>(k), take.recipe.seed) << what;
        EXPECT_EQ(k + 1, take.recipe.take) << what;
        EXPECT_EQ(takes, take.recipe.takes) << what;
        EXPECT_FALSE(take.recipe.kvCache.empty()) << what;
        // The take's own recipe, alone (as "regenerate exactly" and `generate --recipe` run it).
        const Recipe alone = Recipe::fromJson(take.recipe.toJson());
        const auto single = engine.generate(alone);
        EXPECT_EQ(single.codes, take.codes) << what << ": take " << k + 1;
        EXPECT_EQ(single.audio.samples, take.audio.samples) << what << ": take " << k + 1;
        if (k > 0) anyDifferent = anyDifferent || take.codes != results[0].codes;
    }
    EXPECT_TRUE(anyDifferent) << what << ": the takes are all the same clip";
    EXPECT_GT(streamed, 0u) << what << ": take 1 streams";
}

} // namespace

TEST(Takes, EmbeddedModelTakesEqualEachTakeAlone) {
    const auto folder = MusicEngine::embeddedModelFolder();
    if (folder.empty()) GTEST_SKIP() << "the embedded model is not installed";
    for (const std::string precision : {"f32", "int8"}) {
        auto engine = MusicEngine::load(folder, LoadOptions{1, precision});
        // The default cache follows the weights (docs/performance.md, "Long context").
        EXPECT_EQ(precision == "int8" ? "int8" : "f32", engine->defaultKvCache());
        Recipe r;
        r.prompt = "a calm jazz piece with piano";
        r.valence = 6.5;
        r.arousal = 3.0;
        r.seconds = 1.5;
        r.seed = 41;
        expectTakesRegenerateAlone(*engine, r, 4, "embedded " + precision);
        r.kvCache = "int8";
        expectTakesRegenerateAlone(*engine, r, 3, "embedded " + precision + ", int8 cache");
    }
}

TEST(Takes, TinyMusicgenTakesEqualEachTakeAlone) {
    MOODSTEER_REQUIRE_PARITY();
    for (const std::string precision : {"f32", "bf16", "int8", "int4"}) {
        auto engine = MusicEngine::load(test::parityDir(), LoadOptions{1, precision});
        Recipe r;
        r.promptIds = {5, 9, 1};
        r.steps = 10;
        r.seed = 3;
        r.topK = 20;
        expectTakesRegenerateAlone(*engine, r, 8, "parity " + precision);
        for (const std::string kv : {"f32", "bf16", "int8"}) {
            r.kvCache = kv;
            expectTakesRegenerateAlone(*engine, r, 2, "parity " + precision + ", " + kv + " cache");
        }
    }
}

TEST(Takes, BadRequestsAreOneLineErrors) {
    MOODSTEER_REQUIRE_PARITY();
    auto engine = MusicEngine::load(test::parityDir());
    Recipe r;
    r.promptIds = {5, 9, 1};
    r.steps = 6;
    EXPECT_THROW(engine->generateTakes(r, 0), EngineError);
    EXPECT_THROW(engine->generateTakes(r, 9), EngineError);
    Recipe session = r;
    session.windowSeconds = 0.1;
    EXPECT_THROW(engine->generateTakes(session, 2), EngineError);
    r.kvCache = "fp8";
    EXPECT_THROW(engine->generateTakes(r, 2), EngineError);
    // One take is a plain generation with the take fields unset.
    r.kvCache.clear();
    const auto one = engine->generateTakes(r, 1);
    ASSERT_EQ(1u, one.size());
    EXPECT_EQ(0, one.front().recipe.take);
    EXPECT_EQ(engine->generate(r).codes, one.front().codes);
    // A cancelled batch returns every take with the frames made so far.
    std::atomic<bool> cancel{false};
    GenerationCallbacks cb;
    cb.cancel = &cancel;
    cb.onProgress = [&](const GenerationProgress& p) {
        if (p.step >= 5) cancel = true;
    };
    r.steps = 20;
    const auto partial = engine->generateTakes(r, 3, cb);
    ASSERT_EQ(3u, partial.size());
    for (const auto& t : partial) {
        EXPECT_TRUE(t.cancelled);
        EXPECT_LT(t.frames, 20);
    }
}

TEST(Takes, RecipeKeepsTheTakeAndTheCache) {
    Recipe r;
    r.seed = 9;
    r.take = 2;
    r.takes = 4;
    r.kvCache = "int8";
    r.precision = "bf16";
    const Recipe back = Recipe::fromJson(r.toJson());
    EXPECT_EQ(2, back.take);
    EXPECT_EQ(4, back.takes);
    EXPECT_EQ("int8", back.kvCache);
    // Recipes from before the cache was recorded: the cache their weights then used.
    Recipe old;
    old.precision = "int8";
    auto text = old.toJson();
    EXPECT_EQ(std::string::npos, text.find("kv_cache"));
    EXPECT_EQ("bf16", Recipe::fromJson(text).kvCache);
    old.precision = "f32";
    EXPECT_EQ("f32", Recipe::fromJson(old.toJson()).kvCache);
    EXPECT_EQ("", Recipe::fromJson(Recipe{}.toJson()).kvCache);
    EXPECT_THROW(Recipe::fromJson(R"({"kv_cache": "fp8"})"), std::runtime_error);
    EXPECT_THROW(Recipe::fromJson(R"({"take": 5, "takes": 4})"), std::runtime_error);
    EXPECT_THROW(Recipe::fromJson(R"({"take": 0, "takes": 4})"), std::runtime_error);
    EXPECT_THROW(Recipe::fromJson(R"({"take": 1, "takes": 9})"), std::runtime_error);
}
