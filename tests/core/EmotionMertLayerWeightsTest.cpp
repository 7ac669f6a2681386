// The MERT head's learned layer-weighted mean (train-emotion --weighted-layers): the weighted
// encoder equals the weights applied to every layer side by side, the learner finds the layer
// that carries the targets, heads keep their weights and MERT model, and the head chosen when
// none is named is an installed MERT head only when its model is present.
#include "core/emotion/AudioFeatureEncoder.h"
#include "core/emotion/DefaultEmotionHead.h"
#include "core/emotion/EmotionPredictor.h"
#include "core/emotion/MertLayerWeights.h"

#include "TestPaths.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>

using namespace moodsteer;

namespace {

std::string mertDir() {
    return moodsteer::test::parityDir() + "/mert";
}

bool haveMert() {
    return std::filesystem::exists(mertDir() + "/model.safetensors");
}

AudioBuffer tone(double freq, double seconds = 1.0) {
    AudioBuffer a;
    a.sampleRate = 24000;
    for (int s = 0; s < static_cast<int>(seconds * 24000); ++s)
        a.samples.push_back(
            static_cast<float>(0.2 * std::sin(2 * M_PI * freq * s / 24000.0) +
                               0.05 * std::sin(2 * M_PI * 3.1 * freq * s / 24000.0)));
    return a;
}

// 12 clips whose layer 1 (of 3, 8 features each) carries valence and arousal linearly; the
// other layers are noise of the same scale.
std::vector<EmotionExample> syntheticLayers(int layers, int dims, int informative) {
    std::mt19937 rng(7);
    std::normal_distribution<float> noise(0, 1);
    std::vector<EmotionExample> ex;
    for (int i = 0; i < 12; ++i) {
        EmotionExample e;
        e.name = "c" + std::to_string(i);
        e.target = {1.0 + (i % 9), 9.0 - (i * 5 % 9)};
        for (int w = 0; w < 3; ++w) {
            std::vector<float> f(static_cast<std::size_t>(layers * dims));
            for (auto& v : f)
                v = noise(rng);
            f[informative * dims + 0] = static_cast<float>(e.target.valence) + 0.1f * noise(rng);
            f[informative * dims + 1] = static_cast<float>(e.target.arousal) + 0.1f * noise(rng);
            e.features.features.push_back(f);
        }
        ex.push_back(e);
    }
    return ex;
}

struct DataDir {
    explicit DataDir(const std::string& name) : dir(moodsteer::test::scratchDir(name)) {
        const char* old = std::getenv("MOODSTEER_DATA");
        if (old) saved = old, hadOld = true;
        ::setenv("MOODSTEER_DATA", dir.c_str(), 1);
    }
    ~DataDir() {
        if (hadOld)
            ::setenv("MOODSTEER_DATA", saved.c_str(), 1);
        else
            ::unsetenv("MOODSTEER_DATA");
    }
    std::filesystem::path dir;
    std::string saved;
    bool hadOld = false;
};

} // namespace

TEST(EmotionMertLayerWeights, WeightedEncoderIsTheWeightedSumOfAllLayers) {
    if (!haveMert()) GTEST_SKIP() << "*** MERT FIXTURES NOT FOUND: weighted layers NOT checked ***";
    auto all = makeFeatureEncoder("mert", mertDir(), kMertAllLayers);
    ASSERT_EQ(all->layerCount(), 3); // the parity model: hidden states 0..2, 32 features each
    ASSERT_EQ(all->featureSize(), 96);
    const std::vector<float> w{0.2f, 0.5f, 0.3f};
    auto weighted = makeFeatureEncoder("mert", mertDir(), kMertWeightedLayers, w);
    EXPECT_EQ(weighted->layer(), kMertWeightedLayers);
    EXPECT_EQ(weighted->featureSize(), 32);
    EXPECT_NE(weighted->signature(),
              makeFeatureEncoder("mert", mertDir(), kMertWeightedLayers, {0.3f, 0.5f, 0.2f})
                  ->signature());
    const AudioBuffer clip = tone(330, 2.0);
    EmotionExample e;
    e.name = "tone";
    e.features = poolWindows(*all, clip, 1.0, 0.5);
    const auto mixed = weightLayers({e}, w, 32).at(0).features.features;
    const auto direct = poolWindows(*weighted, clip, 1.0, 0.5).features;
    ASSERT_EQ(mixed.size(), direct.size());
    double d = 0;
    for (std::size_t i = 0; i < direct.size(); ++i)
        for (std::size_t j = 0; j < direct[i].size(); ++j)
            d = std::max(d, static_cast<double>(std::abs(mixed[i][j] - direct[i][j])));
    std::printf("  weighted encoder vs weighted windows of all layers: max |diff| %.3g\n", d);
    EXPECT_LE(d, 1e-4);
    // Weights that do not fit the model are refused, never renormalised.
    EXPECT_THROW(makeFeatureEncoder("mert", mertDir(), kMertWeightedLayers, {0.5f, 0.5f}),
                 std::invalid_argument);
    EXPECT_THROW(makeFeatureEncoder("mert", mertDir(), kMertWeightedLayers, {1.2f, -0.1f, -0.1f}),
                 std::invalid_argument);
    EXPECT_THROW(makeFeatureEncoder("mert", mertDir(), kMertWeightedLayers, {0.2f, 0.2f, 0.2f}),
                 std::invalid_argument);
    EXPECT_THROW(makeFeatureEncoder("mert", mertDir(), kMertWeightedLayers), std::invalid_argument);
}

TEST(EmotionMertLayerWeights, LearnerFindsTheInformativeLayerDeterministically) {
    const auto ex = syntheticLayers(3, 8, 1);
    const auto w = learnLayerWeights(ex, 3, 8);
    ASSERT_EQ(w.size(), 3u);
    double sum = 0;
    for (float v : w)
        sum += v;
    std::printf("  learned weights %.3f %.3f %.3f\n", w[0], w[1], w[2]);
    EXPECT_NEAR(sum, 1.0, 1e-6);
    EXPECT_GT(w[1], 0.6f);
    EXPECT_GT(w[1], 2 * std::max(w[0], w[2]));
    EXPECT_EQ(w, learnLayerWeights(ex, 3, 8)); // deterministic
    // The same data with the signal in layer 2 moves the weight there.
    const auto w2 = learnLayerWeights(syntheticLayers(3, 8, 2), 3, 8);
    EXPECT_GT(w2[2], 0.6f);
    // Wrong sizes and too few clips: one clear error.
    EXPECT_THROW(learnLayerWeights(ex, 4, 8), std::invalid_argument);
    EXPECT_THROW(learnLayerWeights({ex.begin(), ex.begin() + 3}, 3, 8), std::invalid_argument);
    EXPECT_THROW(weightLayers(ex, {0.5f, 0.5f}, 8), std::invalid_argument);
}

TEST(EmotionMertLayerWeights, HeadKeepsItsWeightsAndFindsItsModel) {
    if (!haveMert()) GTEST_SKIP() << "*** MERT FIXTURES NOT FOUND: weighted head NOT checked ***";
    DataDir data("emotion-mert-weighted");
    // Train on all layers, learn the weights, train the head on the weighted features.
    std::shared_ptr<const AudioFeatureEncoder> all =
        makeFeatureEncoder("mert", mertDir(), kMertAllLayers);
    EmotionTrainingOptions o;
    o.windowSeconds = 1.0;
    o.folds = 0;
    std::vector<EmotionExample> ex;
    for (int i = 0; i < 8; ++i)
        ex.push_back(EmotionTrainer(all, o).prepare("c" + std::to_string(i), tone(110.0 * (i + 1)),
                                                    {1.0 + i, 9.0 - i}));
    const auto w = learnLayerWeights(ex, 3, 32);
    std::shared_ptr<const AudioFeatureEncoder> enc =
        makeFeatureEncoder("mert", mertDir(), kMertWeightedLayers, w);
    auto p = EmotionTrainer(enc, o).train(weightLayers(ex, w, 32));
    ASSERT_EQ(p.info().layerWeights.size(), 3u);

    const auto head = (data.dir / "h.safetensors").string();
    p.save(head, {{"mert_model", std::filesystem::absolute(mertDir()).string()}});
    const auto info = EmotionPredictor::readInfo(head);
    EXPECT_EQ(info.layer, kMertWeightedLayers);
    ASSERT_EQ(info.layerWeights.size(), 3u);
    for (int l = 0; l < 3; ++l)
        EXPECT_NEAR(info.layerWeights[l], w[l], 1e-7);
    EXPECT_NE(EmotionPredictor::describe(info).find("weighted layers"), std::string::npos);
    // No folder given: the head's recorded MERT model is used, and predicts as trained.
    const auto loaded = EmotionPredictor::load(head);
    const AudioBuffer clip = tone(260);
    EXPECT_NEAR(loaded.predict(clip).valence, p.predict(clip).valence, 1e-5);
    EXPECT_NEAR(loaded.predict(clip).arousal, p.predict(clip).arousal, 1e-5);
    // Another weighting is another encoder: refused.
    EXPECT_THROW(
        EmotionPredictor::load(head, makeFeatureEncoder("mert", mertDir(), kMertWeightedLayers,
                                                        {1.0f / 3, 1.0f / 3, 1.0f / 3})),
        std::invalid_argument);

    // The head used when none is named.
    std::string why;
    EXPECT_EQ(preferredEmotionHeadPath(&why), defaultEmotionHeadPath()) << why;
    EXPECT_NE(why.find("no MERT head installed"), std::string::npos) << why;
    std::filesystem::create_directories(data.dir / "emotion");
    ASSERT_EQ(userMertHeadPath(), (data.dir / "emotion/emotion_head_mert.safetensors").string());
    std::filesystem::copy_file(head, userMertHeadPath());
    EXPECT_EQ(preferredEmotionHeadPath(&why), userMertHeadPath()) << why;
    EXPECT_EQ(requireDefaultEmotionHead(), userMertHeadPath());
    // Its MERT model gone (a head naming a folder that does not exist): the embedded head, and
    // the reason names the installed head.
    p.save(userMertHeadPath(), {{"mert_model", (data.dir / "no-such-mert").string()}});
    EXPECT_EQ(preferredEmotionHeadPath(&why), defaultEmotionHeadPath());
    EXPECT_NE(why.find(userMertHeadPath()), std::string::npos) << why;
    EXPECT_THROW(EmotionPredictor::load(userMertHeadPath()), std::runtime_error);
}
