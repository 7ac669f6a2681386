// Emotion Predictor: windowing, training on a synthetic labelled set whose tempo, loudness,
// brightness, mode and roughness follow known (v, a), save/load round trip, encoder checks.
#include "core/emotion/EmotionPredictor.h"

#include "core/audio/AudioFile.h"
#include "core/emotion/EmotionFeatureCache.h"
#include "emotion/DspFeatureEncoder.h"
#include "emotion/RidgeEmotionTrainer.h"

#include "TestPaths.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numeric>
#include <random>

using namespace moodsteer;

namespace {

constexpr double kPi = 3.14159265358979323846;

// A cheap fake encoder: 10 frames/s, features = (window mean, 1).
class MeanEncoder : public AudioFeatureEncoder {
  public:
    explicit MeanEncoder(std::string n = "fake", int size = 2) : name_(std::move(n)), size_(size) {}
    std::string name() const override { return name_; }
    int sampleRate() const override { return 1000; }
    double frameRate() const override { return 10; }
    int featureSize() const override { return size_; }
    double minimumSeconds() const override { return 0.1; }
    FrameFeatures encode(const AudioBuffer& a) const override {
        FrameFeatures m;
        m.dims = size_;
        m.frames = static_cast<int>(a.samples.size() / 100);
        for (int t = 0; t < m.frames; ++t) {
            double s = 0;
            for (int i = 0; i < 100; ++i)
                s += a.samples[t * 100 + i];
            m.data.push_back(static_cast<float>(s / 100));
            for (int d = 1; d < size_; ++d)
                m.data.push_back(1.0f);
        }
        return m;
    }

  private:
    std::string name_;
    int size_;
};

// value = time in s, plus a 1 kHz square of +-0.5 that averages out over a frame but makes the
// clip audible to the loudness meter (a bare ramp is almost all below its 38 Hz high-pass).
AudioBuffer ramp(double seconds) {
    AudioBuffer a;
    a.sampleRate = 8000;
    for (int i = 0; i < static_cast<int>(seconds * 8000); ++i)
        a.samples.push_back(static_cast<float>(i / 8000.0 + (i % 8 < 4 ? 0.5 : -0.5)));
    return a;
}

// Synthetic music with known emotion: arousal sets tempo, loudness and brightness; valence
// sets the share of major (vs minor) chords and how consonant (vs detuned) the voicing is.
AudioBuffer synthClip(double v, double a, double seconds, std::mt19937& rng) {
    AudioBuffer out;
    const int sr = 32000;
    out.samples.assign(static_cast<std::size_t>(seconds * sr), 0.0f);
    const double an = (a - 1) / 8, vn = (v - 1) / 8;
    const double beat = 60.0 / (60 + 100 * an);
    const double amp = 0.03 + 0.12 * an;
    const int harmonics = 1 + static_cast<int>(std::lround(5 * an));
    const double detune = (1 - vn) * 12.0; // Hz: beating, rough voicing
    std::uniform_real_distribution<double> u(0, 1);
    const double roots[] = {220.0, 246.94, 261.63, 293.66};
    for (double t0 = 0; t0 < seconds; t0 += beat) {
        const bool major = u(rng) < vn;
        const double root = roots[static_cast<int>(u(rng) * 4) % 4];
        const double third = root * std::pow(2.0, (major ? 4 : 3) / 12.0);
        const double notes[] = {root, third, root * 1.4983, root + detune};
        const std::size_t b = static_cast<std::size_t>(t0 * sr);
        const std::size_t len =
            std::min(out.samples.size() - b, static_cast<std::size_t>(beat * sr));
        for (std::size_t i = 0; i < len; ++i) {
            const double t = static_cast<double>(i) / sr;
            const double env = std::exp(-t * (2 + 6 * an));
            double s = 0;
            for (double f : notes)
                for (int h = 1; h <= harmonics; ++h)
                    s += std::sin(2 * kPi * f * h * t) / h;
            out.samples[b + i] += static_cast<float>(amp * env * s / 4);
        }
    }
    return out;
}

} // namespace

TEST(EmotionPredictorTest, WindowingRule) {
    MeanEncoder enc;
    auto w = poolWindows(enc, ramp(11.0), 5.0); // remainder 1 s < 2.5 s: dropped
    ASSERT_EQ(w.features.size(), 2u);
    EXPECT_DOUBLE_EQ(w.startSeconds[1], 5.0);
    EXPECT_DOUBLE_EQ(w.endSeconds[1], 10.0);
    // Means of the windows' ramps, times the loudness normalisation's gain (one per clip).
    EXPECT_NEAR(w.features[1][0] / w.features[0][0], 7.5 / 2.5, 2e-3);
    EXPECT_GT(w.features[0][0], 0.0f);
    const auto louder = poolWindows(
        enc,
        [] {
            auto a = ramp(11.0);
            for (float& s : a.samples)
                s *= 10;
            return a;
        }(),
        5.0);
    EXPECT_NEAR(louder.features[1][0], w.features[1][0], 1e-3 * w.features[1][0]); // level-free
    EXPECT_NEAR(louder.integratedLufs, w.integratedLufs + 20.0, 0.01);
    // Overlapping windows: starts every 2 s while a full 5 s window fits (0, 2, 4, 6), then
    // a full window ending at the clip's end when >= hop / 2 is left (12 - 11 = 1 s).
    w = poolWindows(enc, ramp(12.0), 5.0, 2.0);
    ASSERT_EQ(w.features.size(), 5u);
    EXPECT_DOUBLE_EQ(w.startSeconds[3], 6.0);
    EXPECT_DOUBLE_EQ(w.startSeconds[4], 7.0);
    EXPECT_DOUBLE_EQ(w.endSeconds[4], 12.0);
    EXPECT_EQ(poolWindows(enc, ramp(11.9), 5.0, 2.0).features.size(), 4u);       // 0.9 s < 1 s
    EXPECT_THROW(poolWindows(enc, ramp(11.0), 5.0, 6.0), std::invalid_argument); // hop > window
    w = poolWindows(enc, ramp(13.0), 5.0); // remainder 3 s >= 2.5 s: kept
    ASSERT_EQ(w.features.size(), 3u);
    EXPECT_DOUBLE_EQ(w.endSeconds[2], 13.0);
    w = poolWindows(enc, ramp(3.0), 5.0); // shorter than W: one window
    ASSERT_EQ(w.features.size(), 1u);
    EXPECT_DOUBLE_EQ(w.endSeconds[0], 3.0);

    AudioBuffer silent;
    silent.sampleRate = 1000;
    silent.samples.assign(3000, 0.0f);
    EXPECT_THROW(poolWindows(enc, silent, 5.0), std::invalid_argument);
    auto bad = ramp(3.0);
    bad.samples[5] = INFINITY;
    EXPECT_THROW(poolWindows(enc, bad, 5.0), std::invalid_argument);
    EXPECT_THROW(poolWindows(enc, ramp(0.05), 5.0), std::invalid_argument);
    EXPECT_THROW(poolWindows(enc, ramp(3.0), 0.0), std::invalid_argument);
}

TEST(EmotionPredictorTest, LearnsSyntheticEmotionAndRoundTrips) {
    auto enc = std::make_shared<DspFeatureEncoder>();
    EmotionTrainingOptions o;
    o.head = "mlp"; // LARA-Gen's head, non-overlapping windows
    o.windowSeconds = 2.0;
    o.learningRate = 3e-3; // the synthetic set is small; the default 1e-4 is for real corpora
    o.epochs = 150;
    o.patience = 30;
    o.hiddenSize = 64;
    o.folds = 4;
    o.seed = 7;
    EmotionTrainer trainer(enc, o);
    std::mt19937 rng(42);
    std::uniform_real_distribution<double> u(1.0, 9.0);
    std::vector<EmotionExample> ex;
    for (int i = 0; i < 48; ++i) {
        const double v = u(rng), a = u(rng);
        ex.push_back(
            trainer.prepare("clip" + std::to_string(i), synthClip(v, a, 4.0, rng), {v, a}));
    }
    EmotionTrainingReport rep;
    auto predictor = trainer.train(ex, &rep);
    const auto& cv = rep.crossValidated;
    std::printf("  %d-fold CV on %zu synthetic clips: CCC v %.3f a %.3f, PCC v %.3f a %.3f, "
                "RMSE v %.3f a %.3f\n  final: %d epochs, train loss %.3f -> %.3f, best val %.3f\n",
                o.folds, ex.size(), cv.valence.ccc, cv.arousal.ccc, cv.valence.pcc, cv.arousal.pcc,
                cv.valence.rmse, cv.arousal.rmse, rep.epochs, rep.trainLoss.front(),
                rep.trainLoss.back(), rep.bestValidationLoss);
    ASSERT_EQ(rep.folds.size(), 4u);
    EXPECT_EQ(rep.cvTargets.size(), ex.size());
    EXPECT_LT(rep.trainLoss.back(), rep.trainLoss.front() - 0.3);
    // Held-out clips, well above chance (CCC 0).
    EXPECT_GT(cv.arousal.ccc, 0.6);
    EXPECT_GT(cv.valence.ccc, 0.4);

    // Predictions on a fresh clip: clip value = mean of windows, within the scale.
    const auto clip = synthClip(8.0, 8.0, 5.0, rng);
    const auto p = predictor.predict(clip);
    ASSERT_EQ(p.windows.size(), 3u); // 2 + 2 + remainder 1 s >= 1 s
    EXPECT_NEAR(p.arousal, (p.windows[0].arousal + p.windows[1].arousal + p.windows[2].arousal) / 3,
                1e-9);
    for (const auto& w : p.windows)
        EXPECT_TRUE(w.valence > 1 && w.valence < 9 && w.arousal > 1 && w.arousal < 9);
    const auto low = predictor.predict(synthClip(2.0, 2.0, 5.0, rng));
    EXPECT_GT(p.arousal, low.arousal + 2);
    EXPECT_GT(p.valence, low.valence);

    // Save / load: same predictions, metadata recorded.
    const auto path = (moodsteer::test::scratchDir("emotion-head") / "head.safetensors").string();
    predictor.save(path, {{"note", "test"}});
    auto loaded = EmotionPredictor::load(path);
    EXPECT_EQ(loaded.info().encoder, "dsp");
    EXPECT_DOUBLE_EQ(loaded.info().windowSeconds, 2.0);
    EXPECT_EQ(loaded.info().featureSize, DspFeatureEncoder::kFeatureSize);
    EXPECT_EQ(loaded.info().metadata.at("note"), "test");
    EXPECT_EQ(loaded.info().metadata.count("cv_ccc_arousal"), 1u);
    const auto q = loaded.predict(clip);
    EXPECT_NEAR(q.valence, p.valence, 1e-5);
    EXPECT_NEAR(q.arousal, p.arousal, 1e-5);

    // The wrong encoder fails clearly.
    try {
        EmotionPredictor::load(path, std::make_shared<MeanEncoder>("mert", 768));
        FAIL() << "a dsp head accepted a mert encoder";
    } catch (const std::invalid_argument& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("trained on dsp"), std::string::npos) << msg;
        EXPECT_NE(msg.find("mert"), std::string::npos) << msg;
    }
    EXPECT_THROW(EmotionPredictor::load(path, std::make_shared<MeanEncoder>("dsp", 3)),
                 std::invalid_argument);
}

TEST(EmotionPredictorTest, TrainingRejectsTooFewClipsAndBadFiles) {
    auto enc = std::make_shared<MeanEncoder>();
    EmotionTrainingOptions o;
    o.folds = 5;
    EmotionTrainer trainer(enc, o);
    std::vector<EmotionExample> ex;
    for (int i = 0; i < 6; ++i)
        ex.push_back(trainer.prepare("c" + std::to_string(i), ramp(1.0 + i), {5, 5}));
    EXPECT_THROW(trainer.train(ex), std::invalid_argument); // 6 < 2 * 5
    EXPECT_THROW(trainer.train({ex.begin(), ex.begin() + 3}), std::invalid_argument);
    o.learningRate = 0;
    EXPECT_THROW(EmotionTrainer(enc, o), std::invalid_argument);
    EXPECT_THROW(EmotionPredictor::load("/nonexistent/head.safetensors"), std::exception);
}

TEST(EmotionRidgeTest, GroupedFoldsNeverSplitAnArtist) {
    std::vector<EmotionExample> ex(60);
    for (int i = 0; i < 60; ++i) {
        ex[i].name = "c" + std::to_string(i);
        ex[i].group = i < 50 ? "artist" + std::to_string(i % 13) : ""; // 10 clips: no artist
        ex[i].features.features = {{static_cast<float>(i)}};
    }
    EmotionTrainingOptions o;
    RidgeEmotionTrainer t(ex, o, 1);
    std::vector<int> all(60);
    std::iota(all.begin(), all.end(), 0);
    const auto folds = t.groupFolds(all, 5, 1234);
    ASSERT_EQ(folds.size(), 5u);
    std::map<std::string, int> foldOf;
    std::size_t total = 0;
    for (std::size_t k = 0; k < folds.size(); ++k) {
        total += folds[k].size();
        EXPECT_GE(folds[k].size(), 10u); // balanced: 60 clips over 5 folds
        for (int c : folds[k]) {
            if (ex[c].group.empty()) continue;
            auto [it, fresh] = foldOf.emplace(ex[c].group, static_cast<int>(k));
            EXPECT_EQ(it->second, static_cast<int>(k)) << ex[c].group << " in two folds";
        }
    }
    EXPECT_EQ(total, 60u);
}

TEST(EmotionRidgeTest, TrainsReportsBaselinesAndRoundTrips) {
    auto enc = std::make_shared<DspFeatureEncoder>();
    EmotionTrainingOptions o; // ridge, 5 s windows every 2.5 s
    o.windowSeconds = 3.0;
    o.folds = 4;
    EmotionTrainer trainer(enc, o);
    EXPECT_DOUBLE_EQ(trainer.options().hopSeconds, 1.5);
    std::mt19937 rng(42);
    std::uniform_real_distribution<double> u(1.0, 9.0);
    std::vector<EmotionExample> ex;
    for (int i = 0; i < 48; ++i) {
        const double v = u(rng), a = u(rng);
        auto e = trainer.prepare("clip" + std::to_string(i), synthClip(v, a, 6.0, rng), {v, a});
        e.group = "artist" + std::to_string(i / 3); // three clips per "artist"
        e.genre = i % 2 ? "odd" : "even";
        ex.push_back(std::move(e));
    }
    EXPECT_GT(ex[0].features.tempoBpm, 30.0);
    EXPECT_LT(ex[0].features.integratedLufs, -5.0);
    EmotionTrainingReport rep;
    const auto predictor = trainer.train(ex, &rep);
    ASSERT_EQ(rep.protocols.size(), 2u); // grouped 4-fold and leave-one-genre-out
    EXPECT_EQ(rep.protocols[0].name, "grouped-4-fold");
    EXPECT_EQ(rep.protocols[1].name, "leave-one-genre-out");
    ASSERT_EQ(rep.protocols[0].datasets.size(), 1u);
    const auto& sc = rep.protocols[0].datasets[0];
    EXPECT_EQ(sc.clips, 48);
    std::printf("  grouped CV: head CCC a %.3f v %.3f RMSE a %.3f v %.3f | mean baseline RMSE a "
                "%.3f v %.3f | loudness+tempo CCC a %.3f v %.3f\n",
                sc.model.arousal.ccc, sc.model.valence.ccc, sc.model.arousal.rmse,
                sc.model.valence.rmse, sc.meanBaseline.arousal.rmse, sc.meanBaseline.valence.rmse,
                sc.loudnessTempoBaseline.arousal.ccc, sc.loudnessTempoBaseline.valence.ccc);
    EXPECT_GT(sc.model.arousal.ccc, 0.6);
    EXPECT_GT(sc.model.valence.ccc, 0.3);
    EXPECT_LT(sc.model.arousal.rmse, sc.meanBaseline.arousal.rmse);
    EXPECT_NEAR(sc.meanBaseline.arousal.ccc, 0.0, 0.3); // a constant per fold: no agreement
    EXPECT_EQ(predictor.info().kind, "ridge");
    EXPECT_EQ(predictor.info().members, 5); // the final head + 4 fold heads

    const auto clip = synthClip(8.0, 8.0, 7.5, rng);
    const auto p = predictor.predict(clip);
    ASSERT_EQ(p.windows.size(), 4u); // 0, 1.5, 3, 4.5 s
    double mean = 0;
    for (const auto& w : p.windows) {
        mean += w.arousal / p.windows.size();
        EXPECT_GT(w.arousalSd, 0.0);
    }
    EXPECT_NEAR(p.arousal, mean, 1e-9);
    EXPECT_GT(p.arousalSd, 0.0);
    EXPECT_GT(p.arousal, predictor.predict(synthClip(2.0, 2.0, 7.5, rng)).arousal + 1.5);

    const auto path = (moodsteer::test::scratchDir("ridge-head") / "head.safetensors").string();
    predictor.save(path, {{"note", "ridge"}});
    const auto loaded = EmotionPredictor::load(path);
    EXPECT_EQ(loaded.info().kind, "ridge");
    EXPECT_EQ(loaded.info().members, 5);
    EXPECT_DOUBLE_EQ(loaded.info().hopSeconds, 1.5);
    EXPECT_EQ(loaded.info().metadata.at("note"), "ridge");
    const auto q = loaded.predict(clip);
    EXPECT_NEAR(q.valence, p.valence, 1e-9);
    EXPECT_NEAR(q.arousalSd, p.arousalSd, 1e-9);
    EXPECT_NEAR(q.oodScore, p.oodScore, 1e-9);
    EXPECT_THROW(EmotionPredictor::load(path, std::make_shared<MeanEncoder>("dsp", 3)),
                 std::invalid_argument);
}

TEST(EmotionFeatureCacheTest, RoundTripKeyedByContentAndSignature) {
    const auto dir = moodsteer::test::scratchDir("feature-cache");
    const auto audio = (dir / "a.wav").string();
    std::mt19937 rng(1);
    writeAudioFile(audio, synthClip(5, 5, 2.0, rng));
    EmotionFeatureCache cache((dir / "cache").string());
    EXPECT_FALSE(cache.load(audio, "sig").has_value());
    WindowedFeatures wf;
    wf.features = {{1.0f, 2.0f}, {3.0f, 4.5f}};
    wf.startSeconds = {0, 1};
    wf.endSeconds = {2, 3};
    wf.integratedLufs = -17.5;
    wf.tempoBpm = 101;
    cache.store(audio, "sig", wf);
    const auto back = cache.load(audio, "sig");
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->features, wf.features);
    EXPECT_EQ(back->endSeconds, wf.endSeconds);
    EXPECT_DOUBLE_EQ(back->integratedLufs, -17.5);
    EXPECT_DOUBLE_EQ(back->tempoBpm, 101);
    EXPECT_FALSE(cache.load(audio, "other encoder").has_value());
    writeAudioFile(audio, synthClip(5, 5, 2.5, rng)); // new content: a miss
    EXPECT_FALSE(cache.load(audio, "sig").has_value());
}
