// The variation generator around its networks: SynthCodec frames <-> fields, and generation
// (deterministic by seed, restoration keeps everything outside the range, one-line errors) on
// a small model with random weights written to a scratch folder.
#include "TestPaths.h"

#include "core/corpus/Composer.h"
#include "core/variations/VariationGenerator.h"
#include "synth/SynthTokens.h"
#include "variations/VariationFields.h"
#include "variations/VariationModel.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

using namespace moodsteer;

namespace {

CodeGrid composed(const std::string& genre, double seconds, std::uint64_t seed) {
    ComposerRequest r;
    r.genre = genre;
    r.valence = 3 + static_cast<double>(seed % 5);
    r.arousal = 7 - static_cast<double>(seed % 5);
    r.seconds = seconds;
    r.seed = seed;
    return Composer().compose(r).codes;
}

/// A generator folder with random weights (tiny widths): enough to test the plumbing.
/// `curveChannels` 3: the first shipped model's curve (no valence), 4: today's.
std::string randomModelFolder(int curveChannels = 3) {
    const auto dir = test::scratchDir("variation-model-" + std::to_string(curveChannels));
    torch::manual_seed(11);
    variations::VariationModel m;
    models::VariationVaeConfig vc;
    vc.encoderWidth = 16;
    vc.decoderWidth = 16;
    vc.blocksPerStage = 1;
    m.vae = models::VariationVae(vc);
    models::LatentDiffusionConfig dc;
    dc.latentChannels = vc.latentChannels();
    dc.width = 16;
    dc.conditionWidth = 16;
    dc.timesteps = 100;
    dc.curveChannels = curveChannels;
    m.diffusion = models::LatentDiffusion(dc);
    m.latentMean.assign(static_cast<std::size_t>(vc.latentChannels()), 0.1f);
    m.latentStd.assign(static_cast<std::size_t>(vc.latentChannels()), 0.5f);
    m.save(dir.string());
    return dir.string();
}

/// A request for `count` variations of `codes` in 4 DDIM steps.
VariationRequest quickRequest(CodeGrid codes, int count, double similarity, std::uint64_t seed) {
    VariationRequest r;
    r.source = std::move(codes);
    r.count = count;
    r.similarity = similarity;
    r.steps = 4;
    r.seed = seed;
    return r;
}

} // namespace

TEST(VariationFields, RoundTripIsExactForEveryGenre) {
    for (const auto& genre : Composer::genres()) {
        const auto codes = composed(genre, 6.0, 5);
        const auto f = variations::toFields(codes, 0, codes.frames);
        std::vector<std::int64_t> drums(f.drums.begin(), f.drums.end());
        const auto back =
            variations::fromFields(f.categorical.data(), drums.data(), codes.frames, codes, 0);
        ASSERT_EQ(back.data, codes.data) << genre;
    }
}

TEST(VariationFields, PaddingHoldsChordAndTextureWithoutEvents) {
    const auto codes = composed("jazz", 2.0, 3);
    const auto f = variations::toFields(codes, 0, codes.frames + 8);
    const auto last = static_cast<std::size_t>(codes.frames - 1) * variations::kNumFields;
    const auto pad = static_cast<std::size_t>(codes.frames + 3) * variations::kNumFields;
    EXPECT_EQ(f.categorical[pad + variations::kChordRoot],
              f.categorical[last + variations::kChordRoot]);
    EXPECT_EQ(f.categorical[pad + variations::kLoudness],
              f.categorical[last + variations::kLoudness]);
    EXPECT_EQ(f.categorical[pad + variations::kMelody], 0);
    EXPECT_EQ(f.categorical[pad + variations::kComp], 0);
}

TEST(VariationGenerator, DeterministicBySeedAndRestorationKeepsTheRest) {
    const auto folder = randomModelFolder();
    auto g = VariationGenerator::load(folder, 1);
    auto r = quickRequest(composed("rock", 4.0, 9), 2, 0.7, 7);
    const auto a = g->generate(r);
    const auto b = g->generate(r);
    ASSERT_EQ(a.variations.size(), 2u);
    EXPECT_EQ(a.variations[0].seed, 7u);
    EXPECT_EQ(a.variations[1].seed, 8u);
    for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(a.variations[i].codes.data, b.variations[i].codes.data);
        EXPECT_EQ(a.variations[i].codes.frames, r.source.frames);
        EXPECT_EQ(a.variations[i].codes.numCodebooks, 4);
    }
    // Variation 2 (seed 8) is what a request for seed 8 alone makes.
    auto alone = r;
    alone.count = 1;
    alone.seed = 8;
    EXPECT_EQ(g->generate(alone).variations[0].codes.data, a.variations[1].codes.data);
    // Genre, variant and tempo are the source's on every frame.
    for (int t = 0; t < r.source.frames; t += 10) {
        synth::TextureToken x, y;
        ASSERT_TRUE(synth::decodeTexture(a.variations[0].codes.at(3, t), x));
        ASSERT_TRUE(synth::decodeTexture(r.source.at(3, t), y));
        EXPECT_EQ(x.genre, y.genre);
        EXPECT_EQ(x.variant, y.variant);
        EXPECT_EQ(x.tempo, y.tempo);
    }

    auto restore = r;
    restore.count = 1;
    restore.similarity = 1.0;
    restore.restoreBeginSeconds = 1.0;
    restore.restoreEndSeconds = 2.0;
    const auto v = g->generate(restore).variations[0].codes;
    for (int k = 0; k < 4; ++k)
        for (int t = 0; t < r.source.frames; ++t)
            if (t < 25 || t >= 50) {
                ASSERT_EQ(v.at(k, t), r.source.at(k, t)) << k << " " << t;
            }
}

TEST(VariationGenerator, RefusesBadRequestsWithOneLine) {
    auto g = VariationGenerator::load(randomModelFolder(), 1);
    VariationRequest ok;
    ok.source = composed("classical", 3.0, 2);
    EXPECT_NO_THROW(g->validate(ok));
    auto expectRefused = [&](VariationRequest r, const std::string& word) {
        try {
            g->validate(r);
            ADD_FAILURE() << "accepted a request with a bad " << word;
        } catch (const VariationError& e) {
            EXPECT_NE(std::string(e.what()).find(word), std::string::npos) << e.what();
            EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
        }
    };
    auto r = ok;
    r.similarity = 0;
    expectRefused(r, "similarity");
    r = ok;
    r.count = 0;
    expectRefused(r, "count");
    r = ok;
    r.steps = 0;
    expectRefused(r, "steps");
    r = ok;
    r.restoreBeginSeconds = 2.5;
    r.restoreEndSeconds = 3.5;
    expectRefused(r, "restore");
    r = ok;
    r.shiftValence = 1; // this model's curve has no valence channel
    EXPECT_FALSE(g->canShiftValence());
    expectRefused(r, "valence");
    r = ok;
    r.shiftArousal = 9;
    expectRefused(r, "arousal shift");
    r = ok;
    r.source = ok.source.slice(0, 20);
    expectRefused(r, "frames");
    EXPECT_THROW(VariationGenerator::load("/nonexistent/variations"), VariationError);
}

TEST(VariationGenerator, AValenceChannelModelShiftsValence) {
    auto g = VariationGenerator::load(randomModelFolder(4), 1);
    EXPECT_TRUE(g->canShiftValence());
    auto r = quickRequest(composed("jazz", 3.0, 4), 1, 0.6, 5);
    const auto kept = g->generate(r);
    r.shiftValence = 3;
    EXPECT_NO_THROW(g->validate(r));
    const auto brighter = g->generate(r);
    const auto again = g->generate(r);
    ASSERT_EQ(kept.variations.size(), 1u);
    ASSERT_EQ(brighter.variations.size(), 1u);
    // The shifted curve reaches the model (another variation from the same seed), and the
    // same request still gives the same codes.
    EXPECT_NE(kept.variations[0].codes.data, brighter.variations[0].codes.data);
    EXPECT_EQ(brighter.variations[0].codes.data, again.variations[0].codes.data);
    r.shiftValence = -8.5;
    EXPECT_THROW(g->validate(r), VariationError);
}

TEST(AttentionCurve, AnArousalShiftMovesTheCoupledChannelsToo) {
    AttentionCurve c;
    c.arousal = {5, 6, 7};
    c.valence = {4, 4, 4};
    c.onsetDensity = {2, 2, 2};
    c.loudnessDb = {-20, -20, -20};
    const variations::CurveCoupling k{0.7, 0.4};
    const auto n = variations::AttentionCurveMaker::normalised(c, -2, 4, 1, k);
    ASSERT_EQ(n.size(), 12u);
    EXPECT_FLOAT_EQ(n[0], (5 - 2 - 5) / 2.0f);                 // arousal, shifted
    EXPECT_FLOAT_EQ(n[3], float(std::log1p(2.0) - 1.5 - 0.7)); // density: 0.7 x (-2 / 2)
    EXPECT_FLOAT_EQ(n[6], float((-20 + 30) / 10.0 - 0.4));     // loudness: 0.4 x (-1)
    EXPECT_FLOAT_EQ(n[9], (4 + 1 - 5) / 2.0f);                 // valence, shifted alone
    // Without a shift the coupling changes nothing; a 3-channel curve takes no valence shift.
    EXPECT_EQ(variations::AttentionCurveMaker::normalised(c, 0, 4, 0, k),
              variations::AttentionCurveMaker::normalised(c, 0, 4, 0, {}));
    EXPECT_THROW(variations::AttentionCurveMaker::normalised(c, 0, 3, 1), std::invalid_argument);
    EXPECT_THROW(variations::AttentionCurveMaker::normalised(c, 0, 5), std::invalid_argument);
    // Laid over 5 latent frames: the 3 frames, then the last one held, channel by channel.
    const auto f = variations::AttentionCurveMaker::normalisedFrames(c, 5, -2, 4, 1, k);
    ASSERT_EQ(f.size(), 20u);
    for (int ch = 0; ch < 4; ++ch)
        for (int l = 0; l < 5; ++l)
            EXPECT_EQ(f[std::size_t(ch * 5 + l)], n[std::size_t(ch * 3 + std::min(l, 2))]);
}

TEST(AttentionCurve, CouplingIsTheLeastSquaresSlopeOnArousal) {
    // Two curves of 3 frames, 4 channels: density = 0.5 a + 1, loudness = -0.25 a.
    const int n = 2, ch = 4, l = 3;
    std::vector<float> curves(std::size_t(n) * ch * l, 0.f);
    const float a[n][l] = {{-1, 0, 1}, {0.5f, 2, -2}};
    for (int i = 0; i < n; ++i)
        for (int t = 0; t < l; ++t) {
            const std::size_t row = std::size_t(i) * ch * l;
            curves[row + t] = a[i][t];
            curves[row + l + t] = 0.5f * a[i][t] + 1;
            curves[row + 2 * l + t] = -0.25f * a[i][t];
        }
    const auto k = variations::AttentionCurveMaker::fitCoupling(curves, n, ch, l);
    EXPECT_NEAR(k.onsetDensity, 0.5, 1e-6);
    EXPECT_NEAR(k.loudness, -0.25, 1e-6);
    EXPECT_THROW(variations::AttentionCurveMaker::fitCoupling(curves, n, ch, l + 1),
                 std::invalid_argument);
}

TEST(VariationModel, CurveCouplingRoundTrips) {
    const auto folder = randomModelFolder(4);
    auto m = variations::VariationModel::load(folder, true);
    EXPECT_EQ(m.curveCoupling.onsetDensity, 0.0);
    m.curveCoupling = {0.7, 0.35};
    const auto again = test::scratchDir("variation-model-coupled").string();
    m.save(again);
    const auto back = variations::VariationModel::load(again, true);
    EXPECT_DOUBLE_EQ(back.curveCoupling.onsetDensity, 0.7);
    EXPECT_DOUBLE_EQ(back.curveCoupling.loudness, 0.35);
}
