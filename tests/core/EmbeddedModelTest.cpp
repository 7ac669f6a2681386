// The model shipped in resources/model: it loads through the same engine as MusicGen
// checkpoints, generates with and without valence/arousal, and decodes to sane audio.
#include "core/engine/MusicEngine.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace moodsteer;

namespace {

struct AudioStats {
    double peak = 0, rms = 0, mean = 0;
    bool finite = true;
};

AudioStats stats(const AudioBuffer& a) {
    AudioStats s;
    for (float x : a.samples) {
        s.finite &= std::isfinite(x);
        s.peak = std::max(s.peak, double(std::fabs(x)));
        s.rms += double(x) * x;
        s.mean += x;
    }
    s.rms = std::sqrt(s.rms / std::max<std::size_t>(1, a.samples.size()));
    s.mean /= std::max<std::size_t>(1, a.samples.size());
    return s;
}

std::unique_ptr<MusicEngine>& engine() {
    static std::unique_ptr<MusicEngine> e = [] {
        const auto folder = MusicEngine::embeddedModelFolder();
        return folder.empty() ? nullptr : MusicEngine::load(folder);
    }();
    return e;
}

} // namespace

TEST(EmbeddedModel, IsShippedAndDescribesItself) {
    ASSERT_NE(nullptr, engine()) << "resources/model is missing: the studio would have no model";
    const auto& info = engine()->info();
    EXPECT_EQ("synthcodec", info.codecName);
    EXPECT_TRUE(info.hasTokenizer);
    EXPECT_TRUE(info.hasAvEncoder);
    EXPECT_FALSE(info.canEncodeAudio);
    EXPECT_EQ(4, info.numCodebooks);
    EXPECT_GE(info.genres.size(), 4u);
    // generation_config.json: guidance 2, where genre and emotion both meet their gates
    // (the bench-emotion sweep in resources/model/MODEL_CARD.md).
    EXPECT_EQ(2.0, info.defaultGuidance);
}

TEST(EmbeddedModel, GeneratesSaneAudioWithAndWithoutEmotion) {
    ASSERT_NE(nullptr, engine());
    Recipe r;
    r.prompt = "a calm jazz piece with piano and upright bass";
    r.seconds = 3;
    r.seed = 5;
    for (bool withEmotion : {true, false}) {
        if (withEmotion) {
            r.valence = 7.0;
            r.arousal = 3.0;
        } else {
            r.valence.reset();
            r.arousal.reset();
        }
        std::size_t streamed = 0;
        GenerationCallbacks cb;
        cb.onAudio = [&](const float*, std::size_t n) { streamed += n; };
        auto res = engine()->generate(r, cb);
        EXPECT_EQ(75, res.frames);
        EXPECT_EQ(res.audio.samples.size(), streamed); // SynthCodec streams exactly
        for (auto c : res.codes)
            ASSERT_TRUE(c >= 0 && c < engine()->info().cardinality);
        const auto s = stats(res.audio);
        EXPECT_TRUE(s.finite);
        EXPECT_LE(s.peak, 1.0);
        EXPECT_GT(s.rms, 1e-3) << "silent clip";
        EXPECT_LT(std::fabs(s.mean), 0.02) << "DC offset";
    }
}

TEST(EmbeddedModel, SameSeedSameClip) {
    ASSERT_NE(nullptr, engine());
    Recipe r;
    r.prompt = "energetic rock with distorted guitars";
    r.valence = 6;
    r.arousal = 8;
    r.seconds = 2;
    r.seed = 42;
    EXPECT_EQ(engine()->generate(r).codes, engine()->generate(r).codes);
}
