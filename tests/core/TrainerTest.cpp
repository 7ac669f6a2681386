// runTraining end to end on a tiny corpus and a tiny model: the loss falls, the folder it
// writes loads through MusicEngine and generates, a second call resumes from the checkpoint,
// the ablation switches reach the saved config, and bad options fail with a clear message.
#include "TestPaths.h"
#include "TinyCorpus.h"

#include "core/engine/MusicEngine.h"
#include "core/training/Training.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace moodsteer;
using moodsteer::test::tinyCorpus;
namespace fs = std::filesystem;

namespace {

TrainOptions tinyOptions(const std::string& out) {
    TrainOptions o;
    o.corpusDir = tinyCorpus();
    o.outDir = out;
    o.steps = 12;
    o.batchSize = 4;
    o.cropFrames = 50; // one 2 s LARA window
    o.learningRate = 3e-3;
    o.warmupSteps = 2;
    o.laraAlpha = 1.0;
    o.threads = 1;
    o.checkpointEvery = 6;
    o.vocabSize = 120;
    o.textWidth = 32;
    o.textLayers = 1;
    o.textHeads = 2;
    o.textFfn = 64;
    o.lmWidth = 48;
    o.lmLayers = 2;
    o.lmHeads = 2;
    o.lmFfn = 96;
    o.maxPositions = 256;
    return o;
}

std::vector<std::vector<double>> readLog(const fs::path& csv) {
    std::ifstream in(csv);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "step,loss,ce,lara,lr,seconds,rr");
    std::vector<std::vector<double>> rows;
    while (std::getline(in, line)) {
        std::stringstream ss(line);
        std::vector<double> row;
        for (std::string f; std::getline(ss, f, ',');)
            row.push_back(std::stod(f));
        rows.push_back(row);
    }
    return rows;
}

nlohmann::json config(const fs::path& dir) {
    std::ifstream in(dir / "config.json");
    return nlohmann::json::parse(in);
}

} // namespace

TEST(Trainer, TrainsResumesAndWritesALoadableModel) {
    const auto out = test::scratchDir("trainer-run") / "model";
    fs::remove_all(out);
    TrainOptions o = tinyOptions(out.string());
    o.steps = 6;
    o.guidanceScale = 2.5;
    int calls = 0;
    runTraining(o, [&](const TrainProgress& p) {
        ++calls;
        EXPECT_EQ(p.totalSteps, 6);
        EXPECT_GT(p.lara, 0.0);
    });
    EXPECT_EQ(calls, 6);
    ASSERT_TRUE(fs::exists(out / "checkpoint" / "state.pt"));
    for (const char* f : {"config.json", "generation_config.json", "model.safetensors",
                          "spiece.model", "training_log.csv"})
        EXPECT_TRUE(fs::exists(out / f)) << f;

    // A second call with more steps resumes at step 7 and appends to the same log.
    o.steps = 12;
    int first = -1;
    runTraining(o, [&](const TrainProgress& p) {
        if (first < 0) first = p.step;
    });
    EXPECT_EQ(first, 7);
    const auto log = readLog(out / "training_log.csv");
    ASSERT_EQ(log.size(), 12u);
    for (std::size_t i = 0; i < log.size(); ++i)
        EXPECT_EQ(log[i][0], double(i + 1));
    // Cross-entropy falls from ~log(2049) as the LM learns the token statistics.
    EXPECT_GT(log.front()[2], 6.0);
    EXPECT_LT(log.back()[2], log.front()[2] - 1.0);

    const auto c = config(out);
    EXPECT_EQ(c["moodsteer"]["codec"]["name"], "synthcodec");
    EXPECT_TRUE(c["moodsteer"].contains("av_encoder"));
    EXPECT_EQ(c["moodsteer"]["training"]["steps"], 12);
    EXPECT_EQ(c["moodsteer"]["training"]["opening_weight"], 5.0);
    EXPECT_EQ(c["decoder"]["num_hidden_layers"], 2);

    // The folder is a model: it loads and generates with and without an emotion target.
    auto engine = MusicEngine::load(out.string());
    EXPECT_TRUE(engine->info().hasAvEncoder);
    EXPECT_EQ(2.5, engine->info().defaultGuidance); // generation_config.json
    Recipe r;
    r.prompt = "calm jazz";
    r.seconds = 1.0;
    r.valence = 7;
    r.arousal = 3;
    const auto result = engine->generate(r);
    EXPECT_EQ(result.numCodebooks, 4);
    EXPECT_EQ(result.frames, 25);
    EXPECT_FALSE(result.audio.samples.empty());
    EXPECT_GT(engine->tokenize("rock music").size(), 1u);
}

TEST(Trainer, AblationsReachTheSavedModel) {
    const auto out = test::scratchDir("trainer-ablation") / "model";
    fs::remove_all(out);
    TrainOptions o = tinyOptions(out.string());
    o.steps = 2;
    o.laraAlpha = 0;        // CE only
    o.useAvEncoder = false; // text-only emotion prompting
    runTraining(o, [](const TrainProgress& p) { EXPECT_EQ(p.lara, 0.0); });
    const auto c = config(out);
    EXPECT_FALSE(c["moodsteer"].contains("av_encoder"));
    EXPECT_EQ(c["moodsteer"]["training"]["lara_alpha"], 0.0);
    auto engine = MusicEngine::load(out.string());
    EXPECT_FALSE(engine->info().hasAvEncoder);
}

TEST(Trainer, BadOptionsFailWithAClearMessage) {
    const auto out = test::scratchDir("trainer-bad") / "model";
    TrainOptions o = tinyOptions(out.string());
    o.cropFrames = 60; // not a multiple of the 50-frame LARA window
    try {
        runTraining(o);
        FAIL() << "a crop that is not a whole number of LARA windows must fail";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("LARA window"), std::string::npos) << e.what();
    }
    o = tinyOptions(out.string());
    o.cropFrames = 150; // longer than the 4 s (100-frame) pieces
    EXPECT_THROW(runTraining(o), std::runtime_error);
    o = tinyOptions(out.string());
    o.corpusDir = (test::scratchDir("trainer-bad") / "no-such-corpus").string();
    EXPECT_THROW(runTraining(o), std::runtime_error);
}

TEST(Trainer, OpeningWeightChangesTheLossNotTheLoggedCrossEntropy) {
    std::vector<std::pair<double, double>> lossCe;
    for (double weight : {1.0, 10.0}) {
        const auto out = test::scratchDir("trainer-opening") / ("w" + std::to_string(int(weight)));
        fs::remove_all(out);
        TrainOptions o = tinyOptions(out.string());
        o.steps = 1;
        o.laraAlpha = 0;
        o.startCropShare = 1.0; // every crop starts at its piece's first frame
        o.openingWeight = weight;
        o.openingFrames = 10;
        runTraining(o, [&](const TrainProgress& p) { lossCe.emplace_back(p.loss, p.ce); });
    }
    ASSERT_EQ(lossCe.size(), 2u);
    EXPECT_NEAR(lossCe[0].first, lossCe[0].second, 1e-5);          // weight 1: the plain mean
    EXPECT_NEAR(lossCe[0].second, lossCe[1].second, 1e-5);         // same batch, same model
    EXPECT_GT(std::abs(lossCe[1].first - lossCe[1].second), 1e-4); // the opening counts 10x
}

TEST(Trainer, RepresentationRegularisationAddsLambdaTimesItsLossOnDroppedText) {
    // The same first batch and initial model with lambda 0 and 2: every prompt is dropped
    // (text dropout 1), so the loss grows by exactly 2 * L_rr; LARA and AV dropout stay on.
    std::vector<TrainProgress> first;
    for (double lambda : {0.0, 2.0}) {
        const auto out = test::scratchDir("trainer-rr") / ("l" + std::to_string(int(lambda)));
        fs::remove_all(out);
        TrainOptions o = tinyOptions(out.string());
        o.steps = 1;
        o.textDropout = 1.0;
        o.avDropout = 0.5;
        o.rrLambda = lambda;
        o.rrPool = RepresentationPool::Mean;
        runTraining(o, [&](const TrainProgress& p) { first.push_back(p); });
        const auto c = config(out);
        EXPECT_EQ(c["moodsteer"]["training"]["rr_lambda"], lambda);
        EXPECT_EQ(c["moodsteer"]["training"]["rr_pool"], "mean");
    }
    ASSERT_EQ(first.size(), 2u);
    EXPECT_EQ(first[0].rr, 0.0); // off: not computed
    EXPECT_GT(first[1].rr, 0.0);
    EXPECT_LE(first[1].rr, 4.0); // squared differences of cosines, averaged
    EXPECT_GT(first[1].lara, 0.0);
    EXPECT_NEAR(first[1].ce, first[0].ce, 1e-5);
    EXPECT_NEAR(first[1].loss - first[0].loss, 2.0 * first[1].rr, 1e-5);
}

TEST(Trainer, RepresentationRegularisationNeedsDroppedText) {
    // With no text dropped there is no pair to regularise: L_rr stays 0 and so does its term.
    const auto out = test::scratchDir("trainer-rr-none") / "model";
    fs::remove_all(out);
    TrainOptions o = tinyOptions(out.string());
    o.steps = 3;
    o.textDropout = 0.0;
    o.rrLambda = 5.0;
    runTraining(o, [&](const TrainProgress& p) { EXPECT_EQ(p.rr, 0.0); });
    const auto log = readLog(out / "training_log.csv");
    ASSERT_EQ(log.size(), 3u);
    EXPECT_EQ(log[0].size(), 7u);
}

TEST(Trainer, HeldOutLossFallsWithTrainingAndRefusesWhatIsNotAModel) {
    const auto dir = test::scratchDir("trainer-heldout");
    const auto out = dir / "model";
    fs::remove_all(out);
    // Held-out pieces: another seed than the training corpus.
    CorpusOptions c;
    c.outDir = (dir / "heldout").string();
    c.count = 8;
    c.seconds = 4.0;
    c.seed = 6;
    c.tokensOnly = true;
    fs::remove_all(c.outDir);
    CorpusWriter(c).run();

    TrainOptions o = tinyOptions(out.string());
    o.laraAlpha = 0;
    o.steps = 1;
    runTraining(o);
    const auto early = evaluateHeldOut(out.string(), c.outDir);
    o.steps = 12;
    runTraining(o);
    const auto late = evaluateHeldOut(out.string(), c.outDir);
    std::printf("held-out CE after 1 step %.4f, after 12 steps %.4f\n", early.ce, late.ce);
    EXPECT_EQ(early.pieces, 8);
    EXPECT_EQ(early.frames, 100);
    ASSERT_EQ(late.perCodebook.size(), 4u);
    // Close to log(2049) = 7.6 untrained; the tiny model learns the token statistics.
    EXPECT_GT(early.ce, 6.0);
    EXPECT_LT(late.ce, early.ce - 1.0);
    double mean = 0;
    for (double v : late.perCodebook)
        mean += v / 4;
    EXPECT_NEAR(mean, late.ce, 0.5); // equal counts per stream up to the delay's forced tokens

    try {
        evaluateHeldOut((dir / "no-model").string(), c.outDir);
        FAIL() << "a folder without a model must be refused";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("no-model"), std::string::npos) << e.what();
    }
    EXPECT_THROW(evaluateHeldOut(out.string(), (dir / "no-corpus").string()), std::runtime_error);
}
