// The "mert" feature encoder (core) on the parity model: layer selection, the mean of
// layers, resampling of other rates, and a MERT-based head that refuses the dsp encoder.
#include "core/emotion/AudioFeatureEncoder.h"
#include "core/emotion/EmotionPredictor.h"

#include "models/Safetensors.h"
#include "models/StateDict.h"

#include "TestPaths.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

using namespace moodsteer;

namespace {

std::string mertDir() {
    return moodsteer::test::parityDir() + "/mert";
}

torch::Tensor refTensor(const std::string& name) {
    static const auto file = models::SafetensorsReader::open(mertDir() + "/reference.safetensors");
    return models::toTensor(file, name);
}

AudioBuffer waveform(const std::string& clip) {
    auto t = refTensor(clip + "_waveform").contiguous();
    AudioBuffer a;
    a.sampleRate = 24000;
    a.samples.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    return a;
}

torch::Tensor asTensor(const FrameFeatures& m) {
    return torch::from_blob(const_cast<float*>(m.data.data()), {m.frames, m.dims}).clone();
}

} // namespace

TEST(EmotionMertEncoderTest, LayersMatchReference) {
    if (!std::filesystem::exists(mertDir() + "/reference.safetensors"))
        GTEST_SKIP() << "*** MERT FIXTURES NOT FOUND: parity NOT checked ***";
    auto last = makeFeatureEncoder("mert", mertDir(), 2);
    EXPECT_EQ(last->name(), "mert");
    EXPECT_EQ(last->sampleRate(), 24000);
    EXPECT_DOUBLE_EQ(last->frameRate(), 75.0);
    EXPECT_EQ(last->featureSize(), 32);
    EXPECT_NEAR(last->minimumSeconds(), 400.0 / 24000, 1e-12);
    for (const char* clip : {"a", "b"}) {
        const auto m = last->encode(waveform(clip));
        const auto hs = refTensor(std::string(clip) + "_hidden_states").squeeze(1); // (3, T, 32)
        const double d = (asTensor(m) - hs[2]).abs().max().item<double>();
        std::printf("  clip %s, layer 2: max |diff| %.3g\n", clip, d);
        EXPECT_LE(d, 1e-4);
        const auto mean = makeFeatureEncoder("mert", mertDir(), -1)->encode(waveform(clip));
        const double dm = (asTensor(mean) - (hs[1] + hs[2]) / 2).abs().max().item<double>();
        std::printf("  clip %s, mean of layers 1..2: max |diff| %.3g\n", clip, dm);
        EXPECT_LE(dm, 1e-4);
    }
    // 48 kHz input is resampled to 24 kHz first: same frame count.
    AudioBuffer a48;
    a48.sampleRate = 48000;
    a48.samples.assign(96000, 0.0f);
    for (int i = 0; i < 96000; ++i)
        a48.samples[i] = static_cast<float>(0.3 * std::sin(2 * M_PI * 220 * i / 48000.0));
    EXPECT_EQ(last->encode(a48).frames, 149);
    EXPECT_THROW(makeFeatureEncoder("mert", mertDir(), 3), std::invalid_argument);
    EXPECT_THROW(makeFeatureEncoder("mert", "", -1), std::invalid_argument);
    EXPECT_THROW(makeFeatureEncoder("wav2vec"), std::invalid_argument);
    AudioBuffer tiny;
    tiny.sampleRate = 24000;
    tiny.samples.assign(399, 0.1f);
    EXPECT_THROW(last->encode(tiny), std::invalid_argument);
}

TEST(EmotionMertEncoderTest, MertHeadRoundTripAndEncoderCheck) {
    if (!std::filesystem::exists(mertDir() + "/reference.safetensors"))
        GTEST_SKIP() << "*** MERT FIXTURES NOT FOUND: parity NOT checked ***";
    std::shared_ptr<const AudioFeatureEncoder> enc = makeFeatureEncoder("mert", mertDir(), 1);
    EmotionTrainingOptions o;
    o.windowSeconds = 1.0;
    o.epochs = 5;
    o.folds = 0;
    o.hiddenSize = 16;
    EmotionTrainer trainer(enc, o);
    std::vector<EmotionExample> ex;
    for (int i = 0; i < 6; ++i) {
        AudioBuffer a;
        a.sampleRate = 24000;
        for (int s = 0; s < 24000; ++s)
            a.samples.push_back(static_cast<float>(0.2 * std::sin(0.05 * (i + 1) * s)));
        ex.push_back(trainer.prepare("c" + std::to_string(i), a, {1.0 + i, 9.0 - i}));
    }
    auto p = trainer.train(ex);
    const auto path = (moodsteer::test::scratchDir("emotion-mert-head") / "h.safetensors").string();
    p.save(path);
    const auto info = EmotionPredictor::readInfo(path);
    EXPECT_EQ(info.encoder, "mert");
    EXPECT_EQ(info.layer, 1);
    EXPECT_EQ(info.featureSize, 32);
    EXPECT_EQ(info.kind, "ridge"); // the default head: the same trainer as for dsp
    auto loaded = EmotionPredictor::load(path, mertDir());
    AudioBuffer a;
    a.sampleRate = 24000;
    for (int s = 0; s < 24000; ++s)
        a.samples.push_back(static_cast<float>(0.2 * std::sin(0.1 * s)));
    EXPECT_NEAR(loaded.predict(a).valence, p.predict(a).valence, 1e-5);
    // No --model-dir and the head records no MERT model: one line naming the head.
    try {
        EmotionPredictor::load(path);
        ADD_FAILURE() << "a MERT head without a model folder loaded";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("--model-dir"), std::string::npos) << e.what();
    }
    EXPECT_THROW(EmotionPredictor::load(path, makeFeatureEncoder("dsp")), std::invalid_argument);
    EXPECT_THROW(EmotionPredictor::load(path, makeFeatureEncoder("mert", mertDir(), 2)),
                 std::invalid_argument); // another layer
}
