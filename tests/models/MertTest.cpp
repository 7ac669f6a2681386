// MERT parity against ../shared/parity/mert (transformers 4.35.2 HubertModel reference).
#include "TestPaths.h"

#include "models/Mert.h"
#include "models/Safetensors.h"
#include "models/StateDict.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

using namespace moodsteer::models;

namespace {

std::string mertDir() {
    return moodsteer::test::parityDir() + "/mert";
}

#define MERT_REQUIRE_FIXTURES()                                                                    \
    do {                                                                                           \
        if (!std::filesystem::exists(mertDir() + "/reference.safetensors"))                        \
            GTEST_SKIP() << "\n*** MERT FIXTURES NOT FOUND at " << mertDir()                       \
                         << " — parity NOT checked ***";                                           \
    } while (0)

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) {
    EXPECT_EQ(a.sizes(), b.sizes());
    if (a.sizes() != b.sizes()) return 1e9;
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

void expectClose(const std::string& what, const torch::Tensor& got, const torch::Tensor& want,
                 double atol) {
    const double d = maxDiff(got, want);
    std::printf("  %-28s max |diff| = %.3g (atol %.0e)\n", what.c_str(), d, atol);
    EXPECT_LE(d, atol) << what;
}

class MertParity : public ::testing::TestWithParam<std::string> {};

} // namespace

TEST(MertConfigTest, FrameCountRule) {
    MertConfig c;
    c.conv_dim.assign(7, 512);
    c.conv_kernel = {10, 3, 3, 3, 3, 2, 2};
    c.conv_stride = {5, 2, 2, 2, 2, 2, 2};
    EXPECT_EQ(c.framesFor(48000), 149); // 2.0 s: 149, not 150
    EXPECT_EQ(c.framesFor(32690), 101);
    EXPECT_EQ(c.framesFor(400), 1);
    EXPECT_EQ(c.framesFor(399), 0);
    EXPECT_EQ(c.hop(), 320);
    for (int64_t n = 400; n < 5000; n += 37)
        EXPECT_EQ(c.framesFor(n), (n - 400) / 320 + 1) << n;
}

TEST_P(MertParity, MatchesReference) {
    MERT_REQUIRE_FIXTURES();
    torch::NoGradGuard noGrad;
    const std::string clip = GetParam();
    auto ref = SafetensorsReader::open(mertDir() + "/reference.safetensors");
    auto model = loadMert(mertDir());
    auto t = [&](const std::string& n) { return toTensor(ref, clip + "_" + n); };

    std::printf("clip %s:\n", clip.c_str());
    auto input = MertModelImpl::normalize(t("waveform"));
    expectClose("input_values", input, t("input_values"), 1e-5);

    auto out = model->forward(t("input_values"));
    if (clip == "a") expectClose("conv0_output", out.conv0Output, t("conv0_output"), 1e-4);
    expectClose("extract_features", out.extractFeatures, t("extract_features"), 1e-4);
    expectClose("feature_projection", out.featureProjection, t("feature_projection"), 1e-4);
    expectClose("pos_conv_embed", out.posConvEmbed, t("pos_conv_embed"), 1e-4);
    auto hs = torch::stack(out.hiddenStates);
    expectClose("hidden_states", hs, t("hidden_states"), 1e-4);
    expectClose("last_hidden_state", out.hiddenStates.back(), t("last_hidden_state"), 1e-4);

    // Our own normalisation feeding the model end to end.
    auto own = model->forward(input, /*keepIntermediates=*/false);
    expectClose("last_hidden_state (own norm)", own.hiddenStates.back(), t("last_hidden_state"),
                1e-4);

    // AudioCraft's raw path, and proof the fixtures tell the two paths apart.
    auto raw = model->forward(t("waveform"), false);
    expectClose("raw_hidden_states", torch::stack(raw.hiddenStates), t("raw_hidden_states"), 1e-4);
    expectClose("raw_last_hidden_state", raw.hiddenStates.back(), t("raw_last_hidden_state"), 1e-4);
    EXPECT_GT(maxDiff(raw.hiddenStates.back(), t("last_hidden_state")), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(MertClips, MertParity, ::testing::Values("a", "b"));

TEST(MertLoadTest, AcceptsParametrizationsNamingAndRejectsUnusedTensors) {
    MERT_REQUIRE_FIXTURES();
    torch::NoGradGuard noGrad;
    auto src = SafetensorsReader::open(mertDir() + "/model.safetensors");
    const auto dir = moodsteer::test::scratchDir("mert-param");
    std::filesystem::copy_file(mertDir() + "/config.json", dir / "config.json");
    SafetensorsWriter w;
    for (const auto& info : src.tensors()) {
        std::string name = info.name;
        const std::string base = "encoder.pos_conv_embed.conv.";
        if (name == base + "weight_g")
            name = base + "parametrizations.weight.original0";
        else if (name == base + "weight_v")
            name = base + "parametrizations.weight.original1";
        addTensor(w, name, toTensor(src, info));
    }
    w.write((dir / "model.safetensors").string());
    auto ref = SafetensorsReader::open(mertDir() + "/reference.safetensors");
    auto model = loadMert(dir.string());
    auto out = model->forward(toTensor(ref, "b_input_values"), false);
    EXPECT_LE(maxDiff(out.hiddenStates.back(), toTensor(ref, "b_last_hidden_state")), 1e-4);

    // An extra tensor the model does not use must be named in the error.
    addTensor(w, "encoder.extra_tensor", torch::zeros({2}));
    w.write((dir / "model.safetensors").string());
    try {
        loadMert(dir.string());
        FAIL() << "unused tensor accepted";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("encoder.extra_tensor"), std::string::npos)
            << e.what();
    }
}

TEST(MertLoadTest, ShortInputIsAClearError) {
    MERT_REQUIRE_FIXTURES();
    auto model = loadMert(mertDir());
    EXPECT_THROW(model->forward(torch::zeros({1, 399})), std::invalid_argument);
}
