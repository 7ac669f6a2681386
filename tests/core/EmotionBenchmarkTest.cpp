// bench-emotion's core: grid, prompts, bar repetition, planning errors, the metric/scatter
// plumbing on the parity MusicGen with a scripted predictor, the genre classifier on held-out
// Composer pieces, and the embedded emotion head.
#include "core/emotion/EmotionBenchmark.h"
#include "core/corpus/Composer.h"
#include "core/emotion/DefaultEmotionHead.h"
#include "core/emotion/EmotionPredictor.h"
#include "core/emotion/GenreClassifier.h"
#include "core/engine/MusicEngine.h"
#include "core/synth/SynthCodec.h"

#include "../common/TestPaths.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

using namespace moodsteer;

TEST(EmotionBenchGrid, ValuesPromptsAndParsing) {
    EXPECT_EQ((std::vector<double>{1, 3, 5, 7, 9}), emotionGridValues(5));
    EXPECT_EQ((std::vector<double>{1, 9}), emotionGridValues(2));
    EXPECT_EQ((std::vector<double>{5}), emotionGridValues(1));
    EXPECT_THROW(emotionGridValues(0), std::invalid_argument);
    EXPECT_EQ((std::pair<int, int>{5, 3}), parseEmotionGrid("5x3"));
    for (const char* bad : {"5", "5x", "0x5", "5x5x", "axb", "5x5 "})
        EXPECT_THROW(parseEmotionGrid(bad), std::invalid_argument) << bad;
    EXPECT_EQ("Generate a happy music.", textBaselinePrompt("happy"));
    EXPECT_EQ("Generate an angry rock music.", textBaselinePrompt("angry", "rock"));
}

TEST(EmotionBenchRepetition, HandComputedValues) {
    // 1 codebook, 100 frames at 25 Hz: bar lags are 96, 80, 64, 48, 32 frames.
    std::vector<std::int64_t> loop(100);
    for (int t = 0; t < 100; ++t)
        loop[t] = t % 32; // a one-bar loop at 187.5 BPM
    EXPECT_DOUBLE_EQ(1.0, barRepetition(loop, 1, 100, 25.0));
    std::vector<std::int64_t> ramp(100);
    for (int t = 0; t < 100; ++t)
        ramp[t] = t; // never repeats
    EXPECT_DOUBLE_EQ(0.0, barRepetition(ramp, 1, 100, 25.0));
    // Half of the frames after lag 48 repeat: frames 48..99 (52), 26 equal.
    std::vector<std::int64_t> half(100);
    for (int t = 0; t < 100; ++t)
        half[t] = t < 48 ? t : (t < 74 ? half[t - 48] : 1000 + t);
    EXPECT_DOUBLE_EQ(26.0 / 52.0, barRepetition(half, 1, 100, 25.0));
    // Two codebooks: a repeat needs every codebook to repeat.
    std::vector<std::int64_t> two(loop);
    two.insert(two.end(), ramp.begin(), ramp.end());
    EXPECT_DOUBLE_EQ(0.0, barRepetition(two, 2, 100, 25.0));
    EXPECT_DOUBLE_EQ(-1.0, barRepetition(std::vector<std::int64_t>(20, 1), 1, 20, 25.0));
    EXPECT_THROW(barRepetition(loop, 2, 100, 25.0), std::invalid_argument);
    const double corpus = corpusBarRepetition({}, 8.0, 8, 3);
    EXPECT_GT(corpus, 0.0);
    EXPECT_LT(corpus, 1.0);
    std::cout << "  corpus bar repetition (8 pieces of 8 s): " << corpus << "\n";
}

namespace {

EmotionBenchmarkOptions tinyOptions() {
    EmotionBenchmarkOptions o;
    o.gridValence = 2;
    o.gridArousal = 2;
    o.genres = {"jazz", "rock"};
    o.seconds = 0.2; // 10 frames at 50 Hz
    o.textBaseline = true;
    o.seed = 40;
    return o;
}

} // namespace

TEST(EmotionBenchPlan, ParityModelRefusesClearly) {
    MOODSTEER_REQUIRE_PARITY();
    auto engine = MusicEngine::load(test::parityDir());
    auto o = tinyOptions();
    o.textBaseline = false;
    try {
        planEmotionBenchmark(o, engine->info());
        FAIL() << "AV conditioning on a model without an AV encoder must be refused";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("AV) encoder"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("--text-baseline"), std::string::npos) << e.what();
    }
    o.textBaseline = true;
    if (!engine->info().hasTokenizer) {
        try {
            planEmotionBenchmark(o, engine->info());
            FAIL() << "the text baseline needs a tokenizer";
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("tokenizer"), std::string::npos) << e.what();
        }
    }
    o.clipsPerPoint = 0;
    EXPECT_THROW(planEmotionBenchmark(o, engine->info()), std::invalid_argument);
}

TEST(EmotionBenchRun, MetricsScatterAndSanityOnParityMusicgen) {
    MOODSTEER_REQUIRE_PARITY();
    auto engine = MusicEngine::load(test::parityDir());
    auto info = engine->info();
    info.hasTokenizer = true; // prompts become token ids in the generate hook below
    const auto o = tinyOptions();
    const auto jobs = planEmotionBenchmark(o, info);
    ASSERT_EQ(8u, jobs.size()); // 2 x 2 points x 2 genres x 1 clip
    EXPECT_EQ(1.0, jobs[0].clip.target.valence);
    EXPECT_EQ(9.0, jobs[7].clip.target.arousal);
    EXPECT_EQ("rock", jobs[7].clip.genre);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        EXPECT_EQ(40u + i, jobs[i].recipe.seed);
        EXPECT_FALSE(jobs[i].recipe.valence.has_value()); // text baseline: no AV
        const auto word =
            EmotionLexicon::builtin()
                .nearestMood(jobs[i].clip.target.valence, jobs[i].clip.target.arousal, 1)
                .at(0)
                .word;
        EXPECT_EQ(textBaselinePrompt(word, jobs[i].clip.genre), jobs[i].recipe.prompt);
    }

    // Scripted predictions: target + a known error per clip; clip 3's prediction fails.
    const std::vector<VaPoint> offsets{{0.5, -1}, {1, 0.5}, {-0.5, 0},  {0, 0},
                                       {2, 1},    {-1, 1},  {0.25, -2}, {1, 1}};
    std::size_t call = 0;
    std::vector<double> rmsSeen;
    EmotionBenchmarkHooks hooks;
    hooks.generate = [&](const Recipe& r, const std::atomic<bool>* cancel) {
        Recipe ids = r;
        ids.prompt.clear();
        ids.promptIds = {static_cast<std::int64_t>(r.prompt.size() % 50 + 3), 9, 1};
        ids.steps = 12;
        GenerationCallbacks cb;
        cb.cancel = cancel;
        auto g = engine->generate(ids, cb);
        double sq = 0;
        for (float s : g.audio.samples)
            sq += double(s) * s;
        rmsSeen.push_back(std::sqrt(sq / g.audio.samples.size()));
        return g;
    };
    hooks.predict = [&](const AudioBuffer& audio) -> VaPoint {
        EXPECT_FALSE(audio.empty());
        const std::size_t i = call++;
        if (i == 3) throw std::runtime_error("scripted failure");
        return {jobs[i].clip.target.valence + offsets[i].valence,
                jobs[i].clip.target.arousal + offsets[i].arousal};
    };
    hooks.classifyGenre = [](const AudioBuffer&) { return std::string("jazz"); };
    int progressCalls = 0;
    hooks.progress = [&](int done, int total, const EmotionBenchmarkClip&) {
        EXPECT_EQ(++progressCalls, done);
        EXPECT_EQ(8, total);
    };
    const auto rep = runEmotionBenchmark(jobs, info, o, hooks);
    ASSERT_EQ(8u, rep.clips.size());
    EXPECT_FALSE(rep.cancelled);
    EXPECT_EQ(7, rep.predictedClips);
    EXPECT_FALSE(rep.clips[3].predicted);
    EXPECT_NE(rep.clips[3].error.find("scripted failure"), std::string::npos);
    std::vector<VaPoint> t, p;
    for (std::size_t i = 0; i < 8; ++i)
        if (i != 3) {
            t.push_back(jobs[i].clip.target);
            p.push_back(
                {t.back().valence + offsets[i].valence, t.back().arousal + offsets[i].arousal});
        }
    const auto expected = computeEmotionMetrics(t, p);
    ASSERT_TRUE(rep.hasMetrics);
    EXPECT_DOUBLE_EQ(expected.arousal.ccc, rep.metrics.arousal.ccc);
    EXPECT_DOUBLE_EQ(expected.valence.pcc, rep.metrics.valence.pcc);
    EXPECT_DOUBLE_EQ(expected.valence.rmse, rep.metrics.valence.rmse);
    // RMSE by hand: valence errors 0.5, 1, -0.5, 2, -1, 0.25, 1 -> sum of squares 7.5625.
    EXPECT_NEAR(std::sqrt(7.5625 / 7), rep.metrics.valence.rmse, 1e-12);
    // "jazz" every time: half the clips were prompted with jazz.
    ASSERT_TRUE(rep.hasGenreAccuracy);
    EXPECT_DOUBLE_EQ(0.5, rep.genreAccuracy);
    EXPECT_DOUBLE_EQ(1.0, rep.genreAccuracyBy.at("jazz"));
    EXPECT_DOUBLE_EQ(0.0, rep.genreAccuracyBy.at("rock"));
    // Sanity measures from the real audio; 12 decode steps are shorter than any bar.
    ASSERT_EQ(8u, rmsSeen.size());
    double meanRms = 0;
    for (double r : rmsSeen)
        meanRms += r / 8;
    EXPECT_NEAR(meanRms, rep.meanRms, 1e-12);
    EXPECT_GT(rep.meanRms, 0.0);
    EXPECT_EQ(-1.0, rep.meanBarRepetition);
    EXPECT_EQ(-1.0, rep.corpusBarRepetition); // EnCodec model: no corpus reference

    const auto dir = test::scratchDir("emotion-bench");
    const auto points = rep.scatter();
    ASSERT_EQ(7u, points.size());
    writeEmotionScatterCsv((dir / "s.csv").string(), points);
    writeEmotionScatterSvg((dir / "s.svg").string(), points, "bench");
    std::ifstream csv(dir / "s.csv");
    std::string line;
    int lines = 0;
    while (std::getline(csv, line))
        ++lines;
    EXPECT_EQ(8, lines); // header + 7 clips
    EXPECT_GT(std::filesystem::file_size(dir / "s.svg"), 1000u);

    // Cancellation between clips ends the run early.
    std::atomic<bool> cancel{false};
    call = 0;
    hooks.progress = [&](int done, int, const EmotionBenchmarkClip&) {
        if (done == 2) cancel = true;
    };
    hooks.cancel = &cancel;
    const auto cut = runEmotionBenchmark(jobs, info, o, hooks);
    EXPECT_TRUE(cut.cancelled);
    EXPECT_EQ(2u, cut.clips.size());
}

TEST(EmotionBenchRun, SilentAndFailedClipsAreCountedNotFatal) {
    ModelInfo info;
    info.id = "fake";
    info.codecName = "synthcodec";
    info.frameRate = 25;
    info.hasTokenizer = true;
    info.hasAvEncoder = true;
    info.genres = {"classical"};
    EmotionBenchmarkOptions o;
    o.gridValence = 1;
    o.gridArousal = 3;
    o.seconds = 4;
    o.corpusReferencePieces = 4;
    const auto jobs = planEmotionBenchmark(o, info);
    ASSERT_EQ(3u, jobs.size());
    EXPECT_EQ("classical music", jobs[0].recipe.prompt);
    EXPECT_EQ(5.0, *jobs[1].recipe.valence);
    EXPECT_EQ(5.0, *jobs[1].recipe.arousal);
    int n = 0;
    EmotionBenchmarkHooks hooks;
    hooks.generate = [&](const Recipe&, const std::atomic<bool>*) {
        if (n++ == 2) throw EngineError("scripted engine failure");
        GenerationResult g;
        g.audio.samples.assign(32000, n == 1 ? 0.0f : 0.5f); // clip 0 silent, clip 1 loud
        g.numCodebooks = 1;
        g.frames = 100;
        for (int t = 0; t < 100; ++t)
            g.codes.push_back(t % 32);
        return g;
    };
    hooks.predict = [](const AudioBuffer& a) -> VaPoint {
        if (a.samples[0] == 0.0f) throw std::invalid_argument("silent clip");
        return {5, 5};
    };
    int aligned = 0;
    hooks.align = [&](const AudioBuffer&, const EmotionBenchmarkClip& c) {
        ++aligned;
        EXPECT_EQ("classical music", c.prompt);
        return EmotionBenchmarkAlignment{0.42, "jazz"};
    };
    const auto rep = runEmotionBenchmark(jobs, info, o, hooks);
    ASSERT_EQ(3u, rep.clips.size());
    // Alignment: only the loud clip is scored; the silent one misses its genre.
    EXPECT_EQ(1, aligned);
    ASSERT_TRUE(rep.hasAlignment);
    EXPECT_EQ(1, rep.alignedClips);
    EXPECT_DOUBLE_EQ(0.42, rep.meanAlignment);
    EXPECT_DOUBLE_EQ(0.42, rep.clips[1].alignment);
    EXPECT_EQ("jazz", rep.clips[1].alignedGenre);
    EXPECT_TRUE(std::isnan(rep.clips[0].alignment));
    ASSERT_TRUE(rep.hasAlignmentGenreAccuracy);
    EXPECT_DOUBLE_EQ(0.0, rep.alignmentGenreAccuracy); // "jazz" for a classical prompt
    EXPECT_TRUE(rep.clips[0].silent);
    EXPECT_FALSE(rep.clips[1].silent);
    EXPECT_NE(rep.clips[2].error.find("scripted engine failure"), std::string::npos);
    EXPECT_EQ(1, rep.predictedClips);
    EXPECT_FALSE(rep.hasMetrics);
    EXPECT_DOUBLE_EQ(0.5, rep.silentFraction); // of the 2 generated clips
    EXPECT_DOUBLE_EQ(0.25, rep.meanRms);       // (0 + 0.5) / 2 generated clips
    EXPECT_DOUBLE_EQ(1.0, rep.meanBarRepetition);
    EXPECT_GT(rep.corpusBarRepetition, 0.0);
}

TEST(EmotionBenchGenre, ClassifierRecognisesHeldOutComposerPieces) {
    GenreTrainingOptions train;
    train.piecesPerGenre = 8;
    train.seconds = 4;
    train.seed = 11;
    const auto classifier = GenreClassifier::trainOnComposer(train);
    ASSERT_EQ(Composer::genres(), classifier.genres());
    // Held out: other seeds, other emotions.
    const Composer composer;
    const SynthCodec codec;
    std::mt19937 rng(99);
    std::uniform_real_distribution<double> va(1.0, 9.0);
    int correct = 0, total = 0;
    for (int i = 0; i < 4; ++i)
        for (const auto& genre : Composer::genres()) {
            ComposerRequest r;
            r.genre = genre;
            r.valence = va(rng);
            r.arousal = va(rng);
            r.seconds = 4;
            r.seed = 5000 + total;
            correct += classifier.classify(codec.decode(composer.compose(r).codes)) == genre;
            ++total;
        }
    const double accuracy = double(correct) / total;
    std::cout << "  held-out genre accuracy: " << accuracy << " (" << correct << "/" << total
              << ", chance 0.25), training accuracy " << classifier.trainingAccuracy() << "\n";
    EXPECT_GE(accuracy, 0.75);

    // The JSON cache round-trips exactly and is reused for the same options only.
    const auto dir = test::scratchDir("genre-classifier");
    const auto path = (dir / "genre.json").string();
    classifier.save(path);
    const auto loaded = GenreClassifier::load(path);
    std::vector<float> x(110);
    for (std::size_t j = 0; j < x.size(); ++j)
        x[j] = static_cast<float>(std::sin(j * 1.7));
    EXPECT_EQ(classifier.scores(x), loaded.scores(x));
    const auto cached = GenreClassifier::loadOrTrain(path, train);
    EXPECT_EQ(classifier.scores(x), cached.scores(x));
    EXPECT_THROW(classifier.scores(std::vector<float>(3)), std::invalid_argument);
    std::ofstream(dir / "bad.json") << "{\"format\": \"something else\"}";
    EXPECT_THROW(GenreClassifier::load((dir / "bad.json").string()), std::runtime_error);
}

TEST(EmotionBenchHead, DefaultHeadLoadsAndOrdersArousal) {
    const auto path = defaultEmotionHeadPath();
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    EXPECT_EQ(path, requireDefaultEmotionHead());
    const auto predictor = EmotionPredictor::load(path);
    EXPECT_EQ("dsp", predictor.info().encoder);
    EXPECT_DOUBLE_EQ(5.0, predictor.info().windowSeconds);
    // A calm and an agitated piece of the same genre and seed: the head must tell them apart.
    const Composer composer;
    const SynthCodec codec;
    ComposerRequest calm{"classical", 5.0, 1.5, 5.0, 3};
    ComposerRequest wild{"classical", 5.0, 8.5, 5.0, 3};
    const auto pc = predictor.predict(codec.decode(composer.compose(calm).codes));
    const auto pw = predictor.predict(codec.decode(composer.compose(wild).codes));
    std::cout << "  arousal 1.5 -> " << pc.arousal << ", arousal 8.5 -> " << pw.arousal << "\n";
    EXPECT_GT(pw.arousal, pc.arousal + 2.0);
}

// Manual (slow, ~1 min): the classifier bench-emotion uses, with its default options, on 80
// held-out Composer pieces of 10 s. Writes the cache to $MOODSTEER_GENRE_CACHE when set.
// Run: core_tests --gtest_also_run_disabled_tests --gtest_filter='*DefaultClassifierAccuracy'
TEST(EmotionBenchGenre, DISABLED_DefaultClassifierAccuracy) {
    const char* cache = std::getenv("MOODSTEER_GENRE_CACHE");
    const auto classifier = GenreClassifier::loadOrTrain(cache ? cache : "", {});
    const Composer composer;
    const SynthCodec codec;
    std::mt19937 rng(2024);
    std::uniform_real_distribution<double> va(1.0, 9.0);
    const int k = static_cast<int>(Composer::genres().size());
    std::vector<int> confusion(static_cast<std::size_t>(k * k), 0);
    int correct = 0, total = 0;
    for (int i = 0; i < 20; ++i)
        for (int g = 0; g < k; ++g) {
            ComposerRequest r{Composer::genres()[g], va(rng), va(rng), 10.0,
                              static_cast<std::uint64_t>(900000 + total)};
            const int p =
                classifier.classify(genreFeatureVector(codec.decode(composer.compose(r).codes)));
            ++confusion[static_cast<std::size_t>(g * k + p)];
            correct += p == g;
            ++total;
        }
    std::cout << "  default genre classifier: " << correct << "/" << total << " held-out pieces\n";
    for (int g = 0; g < k; ++g) {
        std::cout << "  " << Composer::genres()[g] << ":";
        for (int p = 0; p < k; ++p)
            std::cout << " " << confusion[static_cast<std::size_t>(g * k + p)];
        std::cout << "\n";
    }
    EXPECT_GE(double(correct) / total, 0.9);
}
