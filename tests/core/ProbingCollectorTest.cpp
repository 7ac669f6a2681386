// Activation collection on the tiny parity MusicGen (EnCodec, so audio folders work):
// teacher-forced pooled activations equal a direct computation from the LM's hidden states;
// recording while generating equals teacher-forcing the generated codes with the same prompt;
// the layer analysis runs on the result; bad folders and settings fail with clear messages.
#include "TestPaths.h"
#include "core/audio/AudioFile.h"
#include "core/io/CodesFile.h"
#include "core/probing/ActivationCollector.h"
#include "core/probing/ActivationSet.h"
#include "core/probing/LayerAnalysis.h"
#include "core/steering/SteeringMaker.h"
#include "engine/DelayPattern.h"
#include "engine/MusicEngineImpl.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <fstream>

using namespace moodsteer;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<MusicEngine>& parityEngine() {
    static std::unique_ptr<MusicEngine> e = MusicEngine::load(test::parityDir(), {1, "f32"});
    return e;
}

/// Two labels: low sines and bright noise bursts, 0.3 s each (15 EnCodec frames).
fs::path writeAudioFolder(const std::string& name, bool withPromptIds) {
    const auto dir = test::scratchDir(name);
    std::ofstream csv(dir / "labels.csv");
    csv << "file,label,valence,arousal" << (withPromptIds ? ",prompt_ids" : "") << "\n";
    std::uint32_t state = 12345;
    for (int i = 0; i < 6; ++i) {
        AudioBuffer a;
        a.sampleRate = 32000;
        a.samples.resize(9600);
        const bool low = i % 2 == 0;
        for (std::size_t n = 0; n < a.samples.size(); ++n) {
            state = state * 1664525u + 1013904223u;
            const double noise = (state >> 8) / double(1 << 24) - 0.5;
            a.samples[n] = low ? float(0.5 * std::sin(2 * M_PI * (110.0 + 20 * i) * n / 32000.0))
                               : float(0.6 * noise * ((n / 1600) % 2));
        }
        const std::string file = "clip" + std::to_string(i) + ".wav";
        writeAudioFile((dir / file).string(), a);
        csv << file << "," << (low ? "low" : "high") << "," << (low ? 3 : 7) << ","
            << (low ? 2.5 + 0.1 * i : 6.5 + 0.1 * i)
            << (withPromptIds ? (low ? ",5 9 1" : ",7 1") : "") << "\n";
    }
    return dir;
}

} // namespace

TEST(ProbingCollector, TeacherForcedFolderMatchesDirectHiddenStates) {
    MOODSTEER_REQUIRE_PARITY();
    auto& engine = *parityEngine();
    const auto dir = writeAudioFolder("collector-folder", true);
    const auto out = (dir / "acts.safetensors").string();
    ActivationCollector collector(engine);
    int calls = 0;
    const auto summary =
        collector.collectFolder(dir.string(), out, {}, [&](const CollectionProgress& p) {
            ++calls;
            EXPECT_EQ(p.total, 6);
            EXPECT_GE(p.etaSeconds, 0);
        });
    EXPECT_EQ(calls, 6);
    EXPECT_EQ(summary.numClips, 6);
    const auto set = ActivationSet::load(out);
    ASSERT_EQ(set.size(), 6);
    EXPECT_EQ(set.settings.numLayers, engine.info().numLayers);
    EXPECT_EQ(set.settings.labelNames, (std::vector<std::string>{"high", "low"}));
    EXPECT_EQ(set.settings.pooling, "mean");
    EXPECT_EQ(set.settings.modelId, engine.info().id);
    EXPECT_TRUE(set.hasEmotion());

    // Reference for clip 0 ("low", prompt ids 5 9 1): encode, delay, one forward pass with
    // hidden states, mean over positions [K, T] (T+K-2 >= T here) of the residual after layer i.
    torch::NoGradGuard g;
    auto& d = engine.impl();
    const auto codes = d.codec->encode(readAudioFile((dir / "clip0.wav").string()));
    const int K = d.info.numCodebooks, T = codes.frames;
    const DelayPattern pattern(K, T, d.model->decoder->config().pad_token_id);
    auto delayed = pattern.build(codes);
    auto ids = torch::from_blob(delayed.data(), {K, pattern.length()}, torch::kInt64)
                   .narrow(1, 0, pattern.steps())
                   .clone();
    Recipe r;
    r.promptIds = {5, 9, 1};
    auto c = d.condition(r);
    auto cross = d.model->decoder->precomputeCross(c.memory, c.mask);
    std::vector<torch::Tensor> hidden;
    d.model->decoder->forward(ids, cross, nullptr, nullptr, &hidden);
    double worst = 0;
    for (int layer = 0; layer + 1 < d.info.numLayers; ++layer) { // the last one is post-norm
        auto ref = hidden[layer + 1][0].narrow(0, K, T - K + 1).mean(0);
        const float* got = set.layers[layer].row(0);
        for (int j = 0; j < d.info.hiddenSize; ++j)
            worst = std::max(worst, std::abs(double(got[j]) - ref[j].item<double>()));
    }
    std::printf("teacher-forced pooled vs direct hidden states: max diff %.3g\n", worst);
    EXPECT_LT(worst, 1e-5);

    // Vectors from this set: a class direction, a class-mean one and a valence direction,
    // all signed towards their target on the set, round-tripping through files.
    SteeringMakeOptions mo;
    mo.label = "high";
    mo.layer = 1;
    const auto v = makeSteeringVector(out, mo);
    EXPECT_EQ(v.modelId, engine.info().id);
    EXPECT_EQ(v.label, "high");
    EXPECT_EQ(v.method, "probe-softmax");
    EXPECT_GT(v.signProjection, 0);
    mo.method = "means";
    EXPECT_EQ(makeSteeringVector(out, mo).method, "mean-difference");
    mo.label = "valence";
    const auto va = makeSteeringVector(out, mo);
    EXPECT_EQ(va.method, "regression");
    EXPECT_GT(va.signProjection, 0);
    const auto vpath = (dir / "valence.safetensors").string();
    va.save(vpath);
    EXPECT_EQ(SteeringVector::load(vpath, engine.info().id).direction, va.direction);
    mo.label = "nope";
    EXPECT_THROW(makeSteeringVector(out, mo), SteeringError);
    mo.label = "high";
    mo.layer = 5;
    EXPECT_THROW(makeSteeringVector(out, mo), SteeringError);
    // The unconditioned clip would differ: the prompt reached the LM.
    const auto report = analyseLayers(set, {});
    ASSERT_EQ(report.layers.size(), static_cast<std::size_t>(d.info.numLayers));
    for (const auto& m : report.layers) {
        EXPECT_TRUE(std::isfinite(m.ari));
        EXPECT_GE(m.probeAccuracy, 0.0);
        ASSERT_TRUE(m.valence.has_value());
    }
    EXPECT_GE(report.bestLayerByAccuracy, 0);
}

TEST(ProbingCollector, RecordingWhileGeneratingEqualsTeacherForcingTheGeneratedCodes) {
    MOODSTEER_REQUIRE_PARITY();
    auto& engine = *parityEngine();
    const auto dir = test::scratchDir("collector-generate");
    GenerationSpec spec;
    spec.labels = {"b", "a"};
    spec.promptIds = {{5, 9, 1}, {7, 3, 1}};
    spec.perLabel = 2;
    spec.steps = 9;
    spec.seed = 11;
    spec.topK = 20;
    ActivationCollector collector(engine);
    for (const char* name : {"mean", "last"}) {
        const std::string pooling = name;
        CollectionOptions o;
        o.pooling = pooling;
        const auto gen = (dir / ("gen-" + pooling + ".safetensors")).string();
        collector.collectGenerated(spec, gen, o);
        const auto set = ActivationSet::load(gen);
        ASSERT_EQ(set.size(), 4);
        EXPECT_EQ(set.settings.labelNames, (std::vector<std::string>{"a", "b"}));
        EXPECT_EQ(set.labels, (std::vector<std::int64_t>{1, 1, 0, 0})); // "b" came first

        // Regenerate the same clips (seeds seed+i), store their codes as token files and
        // teacher-force them with the same prompt ids: the pooled rows must agree.
        const auto folder = dir / ("tf-" + pooling);
        fs::create_directories(folder);
        std::ofstream csv(folder / "labels.csv");
        csv << "file,label,prompt_ids\n";
        for (int i = 0; i < 4; ++i) {
            Recipe r;
            r.promptIds = spec.promptIds[i / 2];
            r.steps = spec.steps;
            r.seed = spec.seed + i;
            r.topK = spec.topK;
            r.guidance = spec.guidance;
            auto res = engine.generate(r);
            CodeGrid grid(res.numCodebooks, res.frames);
            grid.data = res.codes;
            writeCodesFile((folder / ("c" + std::to_string(i) + ".safetensors")).string(), grid);
            csv << "c" << i << ".safetensors," << spec.labels[i / 2] << ","
                << (i < 2 ? "5 9 1" : "7 3 1") << "\n";
        }
        csv.close();
        const auto tf = (dir / ("tf-" + pooling + ".safetensors")).string();
        collector.collectFolder(folder.string(), tf, o);
        const auto ref = ActivationSet::load(tf);
        double worst = 0;
        for (int l = 0; l < set.settings.numLayers; ++l)
            for (std::size_t j = 0; j < set.layers[l].data.size(); ++j)
                worst = std::max(worst,
                                 std::abs(double(set.layers[l].data[j]) - ref.layers[l].data[j]));
        std::printf("%s pooling, generated vs teacher-forced: max diff %.3g\n", pooling.c_str(),
                    worst);
        EXPECT_LT(worst, 1e-4) << pooling;
    }
}

TEST(ProbingCollector, BadInputFailsClearly) {
    MOODSTEER_REQUIRE_PARITY();
    auto& engine = *parityEngine();
    ActivationCollector collector(engine);
    const auto dir = test::scratchDir("collector-bad");
    EXPECT_THROW(collector.collectFolder(dir.string(), (dir / "x.safetensors").string(), {}),
                 std::runtime_error);
    std::ofstream(dir / "labels.csv") << "file,label\nmissing.wav,a\nother.wav,b\n";
    try {
        collector.collectFolder(dir.string(), (dir / "x.safetensors").string(), {});
        FAIL() << "expected an error";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("missing.wav"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(dir / "x.safetensors"));
    CollectionOptions o;
    o.pooling = "max";
    EXPECT_THROW(collector.collectFolder(dir.string(), (dir / "x.safetensors").string(), o),
                 std::invalid_argument);
    GenerationSpec spec; // no labels and the parity model lists no genres
    EXPECT_THROW(collector.collectGenerated(spec, (dir / "y.safetensors").string(), {}),
                 std::invalid_argument);
}
