// The text-audio alignment model: the InfoNCE loss against hand-computed values, shapes, the
// save/load round trip, a tiny training run that must beat chance on held-out pieces (and
// resume to the same weights after a cancel), and bad files -> one clear line.
#include "TestPaths.h"
#include "alignment/AlignmentData.h"
#include "alignment/AlignmentVocabulary.h"
#include "core/alignment/AlignmentEvaluation.h"
#include "core/alignment/AlignmentFeatures.h"
#include "core/alignment/AlignmentModel.h"
#include "core/alignment/AlignmentTrainer.h"
#include "core/corpus/CorpusWriter.h"
#include "models/AlignmentNet.h"
#include "models/Safetensors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>

namespace moodsteer {
namespace {

namespace fs = std::filesystem;

double ce(double target, double other) { // -log softmax of `target` over two logits
    return -std::log(std::exp(target) / (std::exp(target) + std::exp(other)));
}

TEST(AlignmentLoss, IdenticalSamplesGiveLogTwo) {
    // B = 2, both pairs identical: every logit is the same, each CE is log 2.
    const auto a = torch::tensor({{1.0f, 0.0f}, {1.0f, 0.0f}});
    for (double s : {1.0, 14.3, 100.0}) {
        const double loss = models::symmetricInfoNce(a, a.clone(), torch::tensor(s)).item<double>();
        EXPECT_NEAR(loss, std::log(2.0), 1e-6) << "scale " << s;
    }
}

TEST(AlignmentLoss, MatchesHandComputedValues) {
    const double s = 2.0;
    // Orthogonal matched pairs: logits s*I, each CE = log(1 + e^-s).
    const auto eye = torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}});
    EXPECT_NEAR(models::symmetricInfoNce(eye, eye.clone(), torch::tensor(s)).item<double>(),
                std::log(1 + std::exp(-s)), 1e-6);
    // Audio I, text rows (1, 0) and (0.6, 0.8): logits s * [[1, 0.6], [0, 0.8]].
    const auto text = torch::tensor({{1.0f, 0.0f}, {0.6f, 0.8f}});
    const double rows = (ce(s * 1, s * 0.6) + ce(s * 0.8, 0)) / 2;
    const double cols = (ce(s * 1, 0) + ce(s * 0.8, s * 0.6)) / 2;
    EXPECT_NEAR(models::symmetricInfoNce(eye, text, torch::tensor(s)).item<double>(),
                (rows + cols) / 2, 1e-6);
    EXPECT_THROW(models::symmetricInfoNce(eye, torch::ones({3, 2}), torch::tensor(s)),
                 std::invalid_argument);
}

models::AlignmentNetConfig smallConfig() {
    models::AlignmentNetConfig c;
    c.vocabSize = 10;
    c.audioFeatures = alignmentFeatureSize();
    c.hidden = 16;
    c.embedDim = 8;
    return c;
}

TEST(AlignmentNet, ShapesAndUnitLength) {
    torch::manual_seed(1);
    models::AlignmentNet net(smallConfig());
    net->eval();
    const auto ids = torch::tensor({{2, 3, 0, 0}, {4, 5, 6, 7}, {1, 0, 0, 0}}, torch::kLong);
    const auto t = net->encodeText(ids);
    const auto a = net->encodeAudio(torch::randn({3, alignmentFeatureSize()}));
    EXPECT_EQ(t.sizes(), (std::vector<int64_t>{3, 8}));
    EXPECT_EQ(a.sizes(), (std::vector<int64_t>{3, 8}));
    EXPECT_TRUE(torch::allclose(t.norm(2, 1), torch::ones({3}), 1e-5, 1e-5));
    EXPECT_TRUE(torch::allclose(a.norm(2, 1), torch::ones({3}), 1e-5, 1e-5));
    // Padding does not change a prompt's embedding.
    const auto one = net->encodeText(torch::tensor({{2, 3}}, torch::kLong));
    EXPECT_TRUE(torch::allclose(one[0], t[0], 1e-5, 1e-6));
    EXPECT_NEAR(net->scale().item<double>(), 1 / 0.07, 1e-3);
}

TEST(AlignmentNet, SaveLoadRoundTrip) {
    const auto dir = test::scratchDir("alignment-roundtrip");
    torch::manual_seed(2);
    models::AlignmentNet net(smallConfig());
    net->setStandardisation(torch::rand({alignmentFeatureSize()}),
                            torch::rand({alignmentFeatureSize()}) + 0.5);
    net->eval();
    const auto path = (dir / "m.safetensors").string();
    models::saveAlignmentNet(*net, path, {{"k", "v"}}, false);
    std::map<std::string, std::string> meta;
    auto back = models::loadAlignmentNet(path, &meta);
    EXPECT_EQ(meta.at("k"), "v");
    const auto ids = torch::tensor({{2, 3, 4}}, torch::kLong);
    const auto x = torch::randn({2, alignmentFeatureSize()});
    EXPECT_TRUE(torch::equal(net->encodeText(ids), back->encodeText(ids)));
    EXPECT_TRUE(torch::equal(net->encodeAudio(x), back->encodeAudio(x)));
    // fp16 weights: close, not equal.
    models::saveAlignmentNet(*net, path, {}, true);
    back = models::loadAlignmentNet(path);
    EXPECT_TRUE(torch::allclose(net->encodeAudio(x), back->encodeAudio(x), 1e-2, 1e-2));
    fs::remove_all(dir);
}

TEST(AlignmentVocabulary, SplitsAndMapsUnknownWords) {
    EXPECT_EQ(AlignmentVocabulary::split("Sad, slow R&B -- 120 bpm!"),
              (std::vector<std::string>{"sad", "slow", "r&b", "120", "bpm"}));
    const auto v = AlignmentVocabulary::build({"rock music", "jazz music"});
    EXPECT_EQ(v.size(), 5); // <pad>, <unk>, jazz, music, rock
    EXPECT_EQ(v.ids("Rock polka"), (std::vector<std::int64_t>{4, 1}));
    EXPECT_EQ(v.ids(""), (std::vector<std::int64_t>{1}));
    EXPECT_EQ(alignmentGenreWord("Hiphop"), "hip hop");
    EXPECT_EQ(AlignmentModel::genrePrompt("VG"), "video game music");
}

void writeCorpus(const fs::path& dir, int count, std::uint64_t seed) {
    CorpusOptions o;
    o.outDir = dir.string();
    o.count = count;
    o.seconds = 4;
    o.seed = seed;
    o.tokensOnly = true;
    CorpusWriter(o).run();
}

TEST(AlignmentTraining, TinyRunBeatsChanceOnHeldOutPiecesAndResumes) {
    const auto dir = test::scratchDir("alignment-train");
    writeCorpus(dir / "train", 64, 31);
    writeCorpus(dir / "heldout", 32, 32);
    AlignmentTrainingOptions o;
    o.corpusDirs = {(dir / "train").string()};
    o.evalCorpusDir = (dir / "heldout").string();
    o.outPath = (dir / "a.safetensors").string();
    o.steps = 200;
    o.batch = 16;
    o.hidden = 32;
    o.embedDim = 16;
    o.checkpointEvery = 50;
    o.half = false;
    o.cacheDir = (dir / "cache").string();
    const auto s = trainAlignmentModel(o);
    EXPECT_EQ(s.trainClips, 64);
    ASSERT_EQ(s.zeroShot.size(), 1u);
    const auto& r = s.zeroShot[0];
    EXPECT_EQ(r.clips, 32);
    EXPECT_EQ(r.genres.size(), 4u);
    EXPECT_DOUBLE_EQ(r.chance, 0.25);
    // Held-out pieces of another seed: genre from text alone, and the piece's own prompt
    // ranked among the 32 prompts, both well above chance.
    EXPECT_GE(r.accuracy, 0.6) << "zero-shot accuracy " << r.accuracy;
    EXPECT_GT(r.retrievalTop5, 2 * r.retrievalChance5) << "top-5 " << r.retrievalTop5;
    EXPECT_GT(r.ownGenreCosine, r.otherGenreCosine + 0.1);

    // The file as shipped: the torch-free API gives the same zero-shot result.
    const auto model = AlignmentModel::load(o.outPath);
    AlignmentEvalOptions e;
    e.corpusDir = o.evalCorpusDir;
    e.cacheDir = o.cacheDir;
    EXPECT_DOUBLE_EQ(evaluateZeroShot(model, e).at(0).accuracy, r.accuracy);

    // Cancelled at step 100, then rerun: the same weights as the uninterrupted run.
    auto o2 = o;
    o2.outPath = (dir / "b.safetensors").string();
    std::atomic<bool> cancel{false};
    EXPECT_THROW(trainAlignmentModel(
                     o2,
                     [&](const AlignmentTrainingProgress& p) {
                         if (p.stage == "training" && p.done == 100) cancel = true;
                     },
                     &cancel),
                 std::runtime_error);
    EXPECT_FALSE(fs::exists(o2.outPath));
    const auto resumed = trainAlignmentModel(o2);
    EXPECT_EQ(resumed.startStep, 100);
    const auto a = models::loadAlignmentNet(o.outPath), b = models::loadAlignmentNet(o2.outPath);
    for (const auto& p : a->named_parameters())
        EXPECT_TRUE(torch::equal(p.value(), b->named_parameters()[p.key()])) << p.key();
    fs::remove_all(dir);
}

TEST(AlignmentTraining, BadOptionsAndFoldersGiveOneLine) {
    const auto dir = test::scratchDir("alignment-bad");
    AlignmentTrainingOptions o;
    o.outPath = (dir / "m.safetensors").string();
    EXPECT_THROW(trainAlignmentModel(o), std::invalid_argument); // no data
    o.corpusDirs = {(dir / "missing").string()};
    o.batch = 1;
    EXPECT_THROW(trainAlignmentModel(o), std::invalid_argument);
    o.batch = 8;
    try {
        trainAlignmentModel(o);
        FAIL() << "a missing corpus folder was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
    }
    // A labels.csv naming an unreadable audio file: the file is named.
    fs::create_directories(dir / "rec");
    std::ofstream(dir / "rec" / "labels.csv") << "file,genre\nbroken.wav,rock\n";
    std::ofstream(dir / "rec" / "broken.wav") << "not audio";
    AlignmentLoadContext ctx;
    ctx.useCache = false;
    try {
        loadAlignmentRecordings((dir / "rec").string(), "genre", ctx);
        FAIL() << "a broken audio file was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("broken.wav"), std::string::npos) << e.what();
    }
    fs::remove_all(dir);
}

TEST(AlignmentModel, BadFilesGiveOneLineNamingTheFile) {
    const auto dir = test::scratchDir("alignment-badfile");
    const auto expectError = [](const std::string& path, const std::string& fragment) {
        try {
            AlignmentModel::load(path);
            ADD_FAILURE() << path << " loaded";
        } catch (const std::runtime_error& e) {
            const std::string m = e.what();
            EXPECT_NE(m.find(path), std::string::npos) << m;
            EXPECT_NE(m.find(fragment), std::string::npos) << m;
            EXPECT_EQ(m.find('\n'), std::string::npos) << m;
        }
    };
    expectError((dir / "absent.safetensors").string(), "absent");
    const auto garbage = (dir / "garbage.safetensors").string();
    std::ofstream(garbage) << "this is not a safetensors file";
    expectError(garbage, "garbage");
    // A valid network without the alignment metadata.
    models::AlignmentNet net(smallConfig());
    const auto bare = (dir / "bare.safetensors").string();
    models::saveAlignmentNet(*net, bare, {}, true);
    expectError(bare, "not an alignment model");
    fs::remove_all(dir);
}

TEST(AlignmentFeatures, WindowsAndBadAudio) {
    AudioBuffer a;
    a.sampleRate = 32000;
    a.samples.resize(32000 * 25);
    for (std::size_t i = 0; i < a.samples.size(); ++i)
        a.samples[i] = 0.3f * static_cast<float>(std::sin(0.05 * static_cast<double>(i)));
    const auto w = alignmentWindowFeatures(a);
    ASSERT_EQ(w.size(), 3u); // 10 + 10 + 5 s
    EXPECT_EQ(static_cast<int>(w[0].size()), alignmentFeatureSize());
    a.samples.resize(32000 * 24); // the 4 s tail joins the second window
    EXPECT_EQ(alignmentWindowFeatures(a).size(), 2u);
    AudioBuffer silent;
    silent.samples.assign(32000, 0.0f);
    EXPECT_THROW(alignmentWindowFeatures(silent), std::invalid_argument);
    EXPECT_THROW(alignmentWindowFeatures(AudioBuffer{}), std::invalid_argument);
}

} // namespace
} // namespace moodsteer
