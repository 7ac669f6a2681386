// The variation generator's networks: shapes of the VAE and the U-Net, the cosine schedule and
// one DDIM step against values computed by hand from the formulas in LatentDiffusion.h.
#include "models/LatentDiffusion.h"
#include "models/VariationVae.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

using namespace moodsteer::models;

TEST(LatentDiffusion, CosineScheduleMatchesHandComputedValues) {
    // T = 4: f(t) = cos^2((t/4 + 0.008) / 1.008 * pi/2); beta_t = min(1 - f(t+1)/f(t), 0.999);
    // alphaBar_t = prod (1 - beta). The last beta is clipped (f(4) = 0).
    const auto a = cosineAlphaBars(4);
    ASSERT_EQ(a.size(), 4u);
    EXPECT_NEAR(a[0], 0.847012161327, 1e-10);
    EXPECT_NEAR(a[1], 0.493843590441, 1e-10);
    EXPECT_NEAR(a[2], 0.144272102386, 1e-10);
    EXPECT_NEAR(a[3], 0.000144272102, 1e-10);
    const auto long_ = cosineAlphaBars(1000);
    for (std::size_t t = 1; t < long_.size(); ++t)
        ASSERT_LT(long_[t], long_[t - 1]); // strictly more noise at every step
}

TEST(LatentDiffusion, DdimStepMatchesHandComputedValues) {
    // x0 = (xt - sqrt(1 - 0.5) eps) / sqrt(0.5); x_prev = sqrt(0.8) x0 + sqrt(0.2) eps.
    auto xt = torch::tensor({1.0f, -0.5f});
    auto eps = torch::tensor({0.2f, 0.1f});
    auto prev = ddimStep(xt, eps, 0.5, 0.8);
    EXPECT_NEAR(prev[0].item<double>(), 1.1754683450, 1e-6);
    EXPECT_NEAR(prev[1].item<double>(), -0.6771768916, 1e-6);
    // The last step (alphaBarPrev = 1) returns the predicted clean latent itself.
    auto x0 = ddimStep(xt, eps, 0.5, 1.0);
    EXPECT_NEAR(x0[0].item<double>(), (1.0 - std::sqrt(0.5) * 0.2) / std::sqrt(0.5), 1e-6);
}

namespace {

/// A small U-Net for shape and plumbing tests.
LatentDiffusionConfig tinyConfig() {
    LatentDiffusionConfig c;
    c.width = 32;
    c.conditionWidth = 16;
    c.timesteps = 50;
    return c;
}

} // namespace

TEST(LatentDiffusion, ShapesAndNullCondition) {
    torch::manual_seed(3);
    const LatentDiffusionConfig c = tinyConfig();
    LatentDiffusion net(c);
    const int B = 2, L = 10;
    auto curve = torch::randn({B, c.curveChannels, L});
    auto latent = torch::randn({B, c.latentChannels, L});
    auto globals = torch::tensor({0, 1, 2, 3, 0, 4}).view({2, 3});
    auto cond = net->condition(curve, latent, globals, torch::tensor({0.f, 1.f}));
    EXPECT_EQ(cond.sizes(), (std::vector<int64_t>{B, L + c.subspaces + 1, c.conditionWidth}));
    // The dropped row is the null token everywhere; the kept row is not.
    EXPECT_TRUE(
        torch::allclose(cond[1], cond[1][0].expand({L + c.subspaces + 1, c.conditionWidth})));
    EXPECT_FALSE(
        torch::allclose(cond[0], cond[0][0].expand({L + c.subspaces + 1, c.conditionWidth})));
    const auto dropped = torch::tensor({0.f, 1.f});
    auto eps = net->forward(latent, torch::tensor({3, 40}), cond, curve, dropped);
    EXPECT_EQ(eps.sizes(), latent.sizes());
    EXPECT_THROW(net->forward(torch::randn({1, c.latentChannels, 7}), torch::tensor({1}),
                              cond.narrow(0, 0, 1), curve.narrow(0, 0, 1), dropped.narrow(0, 0, 1)),
                 std::invalid_argument);
    // The model reads the curve frame by frame: a model with curve input refuses to run
    // without it or with a curve of another length.
    EXPECT_THROW(net->forward(latent, torch::tensor({3, 40}), cond), std::invalid_argument);
    EXPECT_THROW(
        net->forward(latent, torch::tensor({3, 40}), cond, curve.narrow(2, 0, L - 2), dropped),
        std::invalid_argument);
    // The config survives its JSON form.
    const auto back = LatentDiffusionConfig::fromJson(c.toJson());
    EXPECT_EQ(back.width, 32);
    EXPECT_EQ(back.timesteps, 50);
    EXPECT_TRUE(back.curveInput);
}

TEST(LatentDiffusion, CurveInputReachesEachFrameAndIsDroppedWithTheCondition) {
    torch::manual_seed(5);
    const LatentDiffusionConfig c = tinyConfig();
    LatentDiffusion net(c);
    net->eval();
    torch::NoGradGuard noGrad;
    const int L = 16;
    auto curve = torch::randn({1, c.curveChannels, L});
    auto latent = torch::randn({1, c.latentChannels, L});
    auto globals = torch::tensor({0, 1, 2}).view({1, 3});
    auto other = curve.clone();
    other[0][0][L - 1] += 3.0; // the arousal of the last frame only
    for (float d : {0.f, 1.f}) {
        const auto dropped = torch::tensor({d});
        auto cond = net->condition(curve, latent, globals, dropped);
        auto a = net->forward(latent, torch::tensor({10}), cond, curve, dropped);
        auto b = net->forward(latent, torch::tensor({10}), cond, other, dropped);
        const double diff = (a - b).abs().max().item<double>();
        std::printf("curve input, dropped %.0f: max difference %.3g\n", d, diff);
        if (d == 0.f)
            EXPECT_GT(diff, 1e-4); // a kept row sees the changed frame directly
        else
            EXPECT_EQ(diff, 0.0); // a dropped row sees no curve at all
    }
}

TEST(LatentDiffusion, SummaryTokensDropByRowOrBySubspace) {
    torch::manual_seed(7);
    const LatentDiffusionConfig c = tinyConfig();
    LatentDiffusion net(c);
    const int B = 2, L = 6, S = c.subspaces;
    auto curve = torch::randn({B, c.curveChannels, L});
    auto latent = torch::randn({B, c.latentChannels, L});
    auto globals = torch::tensor({0, 1, 2, 3, 0, 4}).view({2, 3});
    const auto kept = net->condition(curve, latent, globals, torch::zeros({B}));
    const auto null = net->condition(curve, latent, globals, torch::ones({B}))[0][0];
    // Tokens: L curve tokens, then one summary token per subspace, then the globals.
    auto isNull = [&](const torch::Tensor& cond, int row, int token) {
        return torch::equal(cond[row][token], null);
    };
    // By row: row 1 loses all its summary tokens, nothing else changes.
    const auto byRow =
        net->condition(curve, latent, globals, torch::zeros({B}), torch::tensor({0.f, 1.f}));
    for (int k = 0; k < S; ++k) {
        EXPECT_FALSE(isNull(byRow, 0, L + k));
        EXPECT_TRUE(isNull(byRow, 1, L + k));
    }
    EXPECT_TRUE(torch::equal(byRow[1].narrow(0, 0, L), kept[1].narrow(0, 0, L)));
    EXPECT_TRUE(torch::equal(byRow[1][L + S], kept[1][L + S]));
    // By subspace: row 0 loses the second subspace's token only, row 1 the first and third.
    auto mask = torch::zeros({B, S});
    mask[0][1] = 1.f;
    mask[1][0] = 1.f;
    mask[1][S - 1] = 1.f;
    const auto bySubspace = net->condition(curve, latent, globals, torch::zeros({B}), mask);
    for (int row = 0; row < B; ++row)
        for (int k = 0; k < S; ++k) {
            const bool dropped = mask[row][k].item<float>() > 0;
            EXPECT_EQ(isNull(bySubspace, row, L + k), dropped)
                << "row " << row << " subspace " << k;
            if (!dropped) {
                EXPECT_TRUE(torch::equal(bySubspace[row][L + k], kept[row][L + k]));
            }
        }
    EXPECT_THROW(
        net->condition(curve, latent, globals, torch::zeros({B}), torch::zeros({B, S + 1})),
        std::invalid_argument);
}

TEST(LatentDiffusion, ConfigWithoutCurveInputIsTheFirstArchitecture) {
    const LatentDiffusionConfig c = tinyConfig();
    auto j = c.toJson();
    j.erase("curve_input");
    const auto old = LatentDiffusionConfig::fromJson(j);
    EXPECT_FALSE(old.curveInput);
    LatentDiffusion net(old);
    const int L = 8;
    auto latent = torch::randn({1, c.latentChannels, L});
    auto cond = net->condition(torch::randn({1, c.curveChannels, L}), latent,
                               torch::tensor({0, 1, 2}).view({1, 3}), torch::zeros({1}));
    // Its first convolution reads x_t alone, and it runs without the curve.
    EXPECT_EQ(net->named_parameters()["in.weight"].size(1), c.latentChannels);
    EXPECT_EQ(net->forward(latent, torch::tensor({3}), cond).sizes(), latent.sizes());
}

TEST(VariationVae, Shapes) {
    torch::manual_seed(4);
    VariationVaeConfig c;
    c.encoderWidth = 16;
    c.decoderWidth = 16;
    c.blocksPerStage = 1;
    VariationVae vae(c);
    const int B = 3, T = 24;
    std::vector<torch::Tensor> fields;
    for (int n : c.categoricalSizes)
        fields.push_back(torch::randint(n, {B, T}, torch::kLong));
    auto cat = torch::stack(fields, 2);
    auto bern = torch::randint(2, {B, T, c.bernoulliFields}).to(torch::kFloat);
    auto globals = torch::tensor({0, 1, 2, 1, 0, 4, 3, 1, 0}).view({3, 3});
    auto post = vae->encode(cat, bern, globals);
    EXPECT_EQ(post.mu.sizes(), (std::vector<int64_t>{B, c.latentChannels(), T / 4}));
    EXPECT_EQ(post.logvar.sizes(), post.mu.sizes());
    auto logits = vae->decode(post.mu, globals);
    EXPECT_EQ(logits.sizes(),
              (std::vector<int64_t>{B, T, c.categoricalTotal() + c.bernoulliFields}));
    auto losses = vae->losses(logits, cat, bern);
    EXPECT_EQ(losses.fieldNll.size(), c.categoricalSizes.size() + 1);
    EXPECT_TRUE(std::isfinite(losses.reconstruction.item<double>()));
    auto [f, d] = vae->argmax(logits);
    EXPECT_EQ(f.sizes(), cat.sizes());
    EXPECT_EQ(d.sizes(), bern.sizes());
    for (std::size_t i = 0; i < c.categoricalSizes.size(); ++i)
        EXPECT_LT(f.select(2, static_cast<long>(i)).max().item<int64_t>(), c.categoricalSizes[i]);
    // The melody branch reads only melody fields: changing the drums leaves its latent alone.
    auto post2 = vae->encode(cat, 1 - bern, globals);
    EXPECT_TRUE(torch::allclose(post.mu.narrow(1, 0, c.latentPerSubspace),
                                post2.mu.narrow(1, 0, c.latentPerSubspace)));
    EXPECT_FALSE(torch::allclose(post.mu.narrow(1, c.latentPerSubspace, c.latentPerSubspace),
                                 post2.mu.narrow(1, c.latentPerSubspace, c.latentPerSubspace)));
    EXPECT_THROW(vae->encode(cat.narrow(1, 0, 22), bern.narrow(1, 0, 22), globals),
                 std::invalid_argument);
}
