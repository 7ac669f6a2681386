// Steering inside generation on the tiny parity MusicGen: alpha 0 leaves the codes identical
// to an unsteered run, a real alpha changes them measurably, a transition (ramp-down A +
// ramp-up B) does too, vectors of another model are refused, and only the conditional rows of
// the CFG batch are touched (at the tensor level and inside a real generation).
#include "RandomSteeringVector.h"
#include "TestPaths.h"
#include "core/engine/MusicEngine.h"
#include "core/steering/SteeringMaker.h"
#include "core/steering/SteeringPlan.h"
#include "core/steering/SteeringVector.h"
#include "engine/MusicEngineImpl.h"
#include "steering/SteeringHook.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

using namespace moodsteer;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<MusicEngine>& engine() {
    static std::unique_ptr<MusicEngine> e = MusicEngine::load(test::parityDir(), {1, "f32"});
    return e;
}

SteeringVector randomVector(const std::string& modelId, int dim, int layer, std::uint64_t seed,
                            const std::string& label) {
    return test::randomSteeringVector(modelId, dim, layer, seed, label);
}

std::string saveVector(const SteeringVector& v, const std::string& name) {
    const auto path = (test::scratchDir("steer-" + name) / "v.safetensors").string();
    v.save(path);
    return path;
}

Recipe baseRecipe() {
    Recipe r;
    r.promptIds = {5, 9, 17, 1};
    r.steps = 24;
    r.seed = 3;
    r.topK = 16;
    r.guidance = 3.0;
    return r;
}

double changed(const GenerationResult& a, const GenerationResult& b) {
    EXPECT_EQ(a.codes.size(), b.codes.size());
    std::size_t n = 0;
    for (std::size_t i = 0; i < a.codes.size(); ++i)
        n += a.codes[i] != b.codes[i];
    return double(n) / a.codes.size();
}

} // namespace

TEST(SteeringEngine, AlphaZeroIsIdenticalAndAlphaChangesTheCodes) {
    MOODSTEER_REQUIRE_PARITY();
    auto& e = *engine();
    const auto path = saveVector(randomVector(e.info().id, e.info().hiddenSize, 1, 7, "a"), "a");
    const auto plain = e.generate(baseRecipe());
    Recipe zero = baseRecipe();
    zero.steering.push_back({path, "a", -1, 0.0, SteeringSchedule::Constant});
    EXPECT_EQ(e.generate(zero).codes, plain.codes);
    for (double alpha : {0.5, 1.0}) {
        Recipe steered = baseRecipe();
        steered.steering.push_back({path, "a", -1, alpha, SteeringSchedule::Constant});
        const auto s = e.generate(steered);
        const double frac = changed(s, plain);
        std::printf("alpha %.2f: %.1f %% of the codes changed\n", alpha, 100 * frac);
        EXPECT_GT(frac, 0.2) << alpha;
        EXPECT_EQ(s.recipe.steering.size(), 1u);       // recorded in the recipe
        EXPECT_EQ(e.generate(steered).codes, s.codes); // reproducible
    }
    // Layer override and guidance <= 1 (every row conditional) also steer.
    Recipe noCfg = baseRecipe();
    noCfg.guidance = 1.0;
    const auto plainNoCfg = e.generate(noCfg);
    noCfg.steering.push_back({path, "a", 0, 1.0, SteeringSchedule::Constant});
    EXPECT_GT(changed(e.generate(noCfg), plainNoCfg), 0.2);
}

TEST(SteeringEngine, TransitionChangesTheOutputAndFollowsTheSchedule) {
    MOODSTEER_REQUIRE_PARITY();
    auto& e = *engine();
    const int D = e.info().hiddenSize;
    const auto a = saveVector(randomVector(e.info().id, D, 1, 1, "a"), "ta");
    const auto b = saveVector(randomVector(e.info().id, D, 1, 2, "b"), "tb");
    const auto plain = e.generate(baseRecipe());
    Recipe t = baseRecipe();
    t.steering.push_back({a, "a", -1, 1.0, SteeringSchedule::RampDown});
    t.steering.push_back({b, "b", -1, 1.0, SteeringSchedule::RampUp});
    const auto fade = e.generate(t);
    EXPECT_GT(changed(fade, plain), 0.2);
    // Ramp-up only: alpha is 0 at the first step, so the first decode step (codebook 0 of
    // frame 0) matches the unsteered run; constant steering is applied from the start.
    Recipe up = baseRecipe();
    up.steering.push_back({b, "b", -1, 1.0, SteeringSchedule::RampUp});
    EXPECT_EQ(e.generate(up).codes[0], plain.codes[0]);
}

TEST(SteeringEngine, VectorRoundTripAndWrongModelError) {
    MOODSTEER_REQUIRE_PARITY();
    auto& e = *engine();
    auto v = randomVector(e.info().id, e.info().hiddenSize, 1, 5, "a");
    const auto path = saveVector(v, "rt");
    const auto back = SteeringVector::load(path, e.info().id);
    EXPECT_EQ(back.direction, v.direction);
    EXPECT_EQ(back.layer, 1);
    EXPECT_EQ(back.modelId, e.info().id);
    EXPECT_EQ(back.label, "a");

    const auto other =
        saveVector(randomVector("someone-elses-model", e.info().hiddenSize, 1, 5, "a"), "other");
    Recipe r = baseRecipe();
    r.steering.push_back({other, "a", -1, 0.5, SteeringSchedule::Constant});
    try {
        e.generate(r);
        FAIL() << "expected EngineError";
    } catch (const EngineError& err) {
        EXPECT_NE(std::string(err.what()).find("someone-elses-model"), std::string::npos)
            << err.what();
    }
    const auto wide =
        saveVector(randomVector(e.info().id, e.info().hiddenSize + 1, 1, 5, "a"), "wide");
    r.steering = {{wide, "a", -1, 0.5, SteeringSchedule::Constant}};
    EXPECT_THROW(e.generate(r), EngineError);
    r.steering = {{path, "a", e.info().numLayers, 0.5, SteeringSchedule::Constant}};
    EXPECT_THROW(e.generate(r), EngineError);
    r.steering = {{path + ".missing", "a", -1, 0.5, SteeringSchedule::Constant}};
    EXPECT_THROW(e.generate(r), EngineError);
}

TEST(SteeringEngine, OnlyConditionalRowsAreTouched) {
    MOODSTEER_REQUIRE_PARITY();
    // Tensor level: rows [0, 2) of a [4, T, D] batch steered with norms kept, rows 2..3 bit-exact.
    const int D = 32;
    SteeringPlan plan;
    plan.add(randomVector("m", D, 0, 9, "a"), 0.8);
    auto x = torch::randn({4, 3, D});
    auto before = x.clone();
    SteeringHook::steerRows(plan, 0, 0.5, x, 2);
    EXPECT_TRUE(torch::equal(x.narrow(0, 2, 2), before.narrow(0, 2, 2)));
    EXPECT_GT((x.narrow(0, 0, 2) - before.narrow(0, 0, 2)).abs().max().item<double>(), 1e-2);
    EXPECT_LT((x.norm(2, -1) - before.norm(2, -1)).abs().max().item<double>(), 1e-5);
    // bfloat16 residuals take the round trip through f32 and are steered too.
    auto xb = before.to(torch::kBFloat16);
    auto xbBefore = xb.clone();
    SteeringHook::steerRows(plan, 0, 0.5, xb, 2);
    EXPECT_TRUE(torch::equal(xb.narrow(0, 2, 2), xbBefore.narrow(0, 2, 2)));
    EXPECT_FALSE(torch::equal(xb.narrow(0, 0, 2), xbBefore.narrow(0, 0, 2)));

    // Inside a generation: at the first decode step both runs see the same ids, so the
    // unconditional row's residuals must be identical at every layer, and the conditional
    // row must differ from the steered layer on.
    auto& e = *engine();
    auto& d = e.impl();
    const auto path = saveVector(randomVector(e.info().id, e.info().hiddenSize, 0, 4, "a"), "rows");
    auto capture = [&](bool steer) {
        std::vector<torch::Tensor> first(d.info.numLayers);
        int step = 0;
        models::DecoderHooks obs;
        obs.onResidual = [&](int layer, const torch::Tensor& r) {
            if (layer >= 0 && step == 0) first[layer] = r.clone();
        };
        Recipe r = baseRecipe();
        if (steer) r.steering.push_back({path, "a", -1, 1.0, SteeringSchedule::Constant});
        d.generate(r, {}, &obs, [&](int s) { step = s; });
        return first;
    };
    const auto plain = capture(false), steered = capture(true);
    for (int l = 0; l < d.info.numLayers; ++l) {
        ASSERT_EQ(plain[l].size(0), 2); // [cond; uncond]
        EXPECT_TRUE(torch::equal(plain[l][1], steered[l][1])) << "layer " << l;
        EXPECT_FALSE(torch::equal(plain[l][0], steered[l][0])) << "layer " << l;
    }
}

TEST(SteeringEngine, PlainGenerationIsUnchangedByTheHookMachinery) {
    MOODSTEER_REQUIRE_PARITY();
    // No steering: no hooks are installed (zero cost) — the hook object reports none.
    SteeringHook none(nullptr, 1, 10);
    EXPECT_EQ(none.hooks(), nullptr);
    auto empty = std::make_shared<const SteeringPlan>();
    SteeringHook alsoNone(empty, 1, 10);
    EXPECT_EQ(alsoNone.hooks(), nullptr);
}
