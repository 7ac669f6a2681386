// Activation sets: file round trip, the streaming writer (same bytes as save()), the
// delay-aware pooler, and error reporting.
#include "core/probing/ActivationPooler.h"
#include "core/probing/ActivationSet.h"
#include "core/probing/ActivationSetWriter.h"

#include "TestPaths.h"
#include "models/Safetensors.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

using namespace moodsteer;

namespace {

ActivationSet makeSet(int n, int layers, int d, bool emotion, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> g;
    ActivationSet s;
    s.settings.modelId = "embedded-test";
    s.settings.pooling = "mean";
    s.settings.source = "data:/tmp/clips";
    s.settings.numLayers = layers;
    s.settings.hiddenSize = d;
    s.settings.labelNames = {"classical", "electronic", "jazz"};
    for (int l = 0; l < layers; ++l) {
        FeatureMatrix m(n, d);
        for (auto& v : m.data)
            v = g(rng);
        s.layers.push_back(std::move(m));
    }
    for (int i = 0; i < n; ++i) {
        s.labels.push_back(i % 3);
        s.clipIds.push_back("clip_" + std::to_string(i) + ".wav");
        if (emotion) {
            s.valence.push_back(1.0f + static_cast<float>(i % 9));
            s.arousal.push_back(9.0f - static_cast<float>(i % 9));
        }
    }
    return s;
}

std::string readBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void expectSameSet(const ActivationSet& a, const ActivationSet& b) {
    EXPECT_EQ(a.settings.modelId, b.settings.modelId);
    EXPECT_EQ(a.settings.pooling, b.settings.pooling);
    EXPECT_EQ(a.settings.site, b.settings.site);
    EXPECT_EQ(a.settings.branch, b.settings.branch);
    EXPECT_EQ(a.settings.source, b.settings.source);
    EXPECT_EQ(a.settings.numLayers, b.settings.numLayers);
    EXPECT_EQ(a.settings.hiddenSize, b.settings.hiddenSize);
    EXPECT_EQ(a.settings.labelNames, b.settings.labelNames);
    ASSERT_EQ(a.layers.size(), b.layers.size());
    for (std::size_t l = 0; l < a.layers.size(); ++l)
        EXPECT_EQ(a.layers[l].data, b.layers[l].data) << "layer " << l;
    EXPECT_EQ(a.labels, b.labels);
    EXPECT_EQ(a.valence, b.valence);
    EXPECT_EQ(a.arousal, b.arousal);
    EXPECT_EQ(a.clipIds, b.clipIds);
}

} // namespace

TEST(ProbingActivationSet, SaveLoadRoundTrip) {
    const auto dir = test::scratchDir("activation-set");
    const std::string path = (dir / "acts.safetensors").string();
    const ActivationSet s = makeSet(10, 3, 5, true, 1);
    s.save(path);
    expectSameSet(ActivationSet::load(path), s);
    EXPECT_EQ(ActivationSet::loadLayer(path, 1).data, s.layers[1].data);
    const ActivationSet h = ActivationSet::loadHeader(path);
    EXPECT_TRUE(h.layers.empty());
    EXPECT_EQ(h.labels, s.labels);
    EXPECT_THROW(ActivationSet::loadLayer(path, 3), ActivationSetError);

    // The file is plain safetensors with the documented names.
    const auto r = models::SafetensorsReader::open(path);
    EXPECT_EQ(r.at("layer.2").shape, (std::vector<int64_t>{10, 5}));
    EXPECT_EQ(r.at("labels").dtype, models::DType::I64);
    EXPECT_EQ(r.metadata().at("format"), "moodsteer.activations");
    EXPECT_EQ(r.metadata().at("pooling"), "mean");
    EXPECT_EQ(r.metadata().at("label_names"), R"(["classical","electronic","jazz"])");

    // Without emotion values and clip ids.
    ActivationSet plain = makeSet(4, 2, 3, false, 2);
    plain.clipIds.clear();
    plain.save(path);
    const ActivationSet p = ActivationSet::load(path);
    EXPECT_FALSE(p.hasEmotion());
    expectSameSet(p, plain);
}

TEST(ProbingActivationSet, StreamingWriterMatchesSave) {
    const auto dir = test::scratchDir("activation-writer");
    const ActivationSet s = makeSet(7, 3, 4, true, 3);
    const std::string saved = (dir / "saved.safetensors").string();
    const std::string streamed = (dir / "streamed.safetensors").string();
    s.save(saved);
    {
        ActivationSetWriter w(streamed, s.settings);
        // The spool is a folder of our own (never a user's "<path>.spool").
        int spools = 0;
        for (const auto& e : std::filesystem::directory_iterator(dir))
            spools += e.is_directory() && e.path().filename().string().rfind(
                                              ".streamed.safetensors.spool.moodsteer-tmp-", 0) == 0;
        EXPECT_EQ(1, spools);
        for (int i = 0; i < 7; ++i) {
            std::vector<float> rows;
            for (int l = 0; l < 3; ++l)
                rows.insert(rows.end(), s.layers[l].row(i), s.layers[l].row(i) + 4);
            w.append(rows, s.labels[i], s.valence[i], s.arousal[i], s.clipIds[i]);
        }
        EXPECT_EQ(w.size(), 7);
        EXPECT_FALSE(std::filesystem::exists(streamed)); // nothing visible before finish()
        w.finish();
        EXPECT_THROW(w.finish(), ActivationSetError);
        EXPECT_THROW(w.append(std::vector<float>(12), 0), ActivationSetError);
    }
    EXPECT_FALSE(std::filesystem::exists(streamed + ".spool"));
    EXPECT_EQ(readBytes(streamed), readBytes(saved));
    expectSameSet(ActivationSet::load(streamed), s);
}

TEST(ProbingActivationSet, UnfinishedWriterLeavesNothing) {
    const auto dir = test::scratchDir("activation-writer-abort");
    const std::string path = (dir / "a.safetensors").string();
    const ActivationSet s = makeSet(2, 2, 3, false, 4);
    {
        ActivationSetWriter w(path, s.settings);
        w.append(std::vector<float>(6, 1.0f), 1);
        EXPECT_THROW(w.append(std::vector<float>(5, 1.0f), 1), ActivationSetError);
        EXPECT_THROW(w.append(std::vector<float>(6, 1.0f), 3), ActivationSetError);
        EXPECT_THROW(w.append(std::vector<float>(6, 1.0f), 0, 5.0f, 5.0f), ActivationSetError);
        EXPECT_THROW(w.append(std::vector<float>(6, 1.0f), 0, {}, {}, "id"), ActivationSetError);
    }
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_FALSE(std::filesystem::exists(path + ".spool"));
    ActivationSettings bad = s.settings;
    bad.pooling = "max";
    EXPECT_THROW(ActivationSetWriter(path, bad), ActivationSetError);
    ActivationSetWriter empty(path, s.settings);
    EXPECT_THROW(empty.finish(), ActivationSetError);
}

TEST(ProbingActivationSet, BadFilesAreNamed) {
    const auto dir = test::scratchDir("activation-bad");
    const std::string path = (dir / "bad.safetensors").string();
    ActivationSet s = makeSet(3, 2, 2, false, 5);
    s.labels[1] = 7;
    EXPECT_THROW(s.save(path), ActivationSetError);
    s.labels[1] = 1;
    s.layers[1] = FeatureMatrix(2, 2);
    EXPECT_THROW(s.save(path), ActivationSetError);

    models::SafetensorsWriter w; // a weights file, not an activation set
    float one = 1;
    w.add("weight", models::DType::F32, {1}, &one, 4);
    w.write(path);
    try {
        ActivationSet::load(path);
        FAIL();
    } catch (const ActivationSetError& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
    // Metadata that claims a layer the file lacks.
    const ActivationSet good = makeSet(3, 2, 2, false, 6);
    good.save(path);
    auto r = models::SafetensorsReader::open(path);
    models::SafetensorsWriter w2;
    for (const auto& [k, v] : r.metadata())
        w2.setMetadata(k, k == "num_layers" ? "3" : v);
    for (const auto& t : r.tensors())
        w2.add(t.name, t.dtype, t.shape, r.data(t).data(), t.nbytes);
    const std::string path2 = (dir / "missing-layer.safetensors").string();
    w2.write(path2);
    try {
        ActivationSet::load(path2);
        FAIL();
    } catch (const ActivationSetError& e) {
        EXPECT_NE(std::string(e.what()).find("layer.2"), std::string::npos) << e.what();
    }
}

TEST(ProbingActivationSet, PoolerFollowsTheDelayPattern) {
    const int frames = 6, K = 4, d = 3, layers = 2;
    // Residual row at position p = (p, 10 p, layer).
    auto rowsFor = [&](int layer, int from, int count) {
        std::vector<float> r;
        for (int p = from; p < from + count; ++p)
            for (float v : {float(p), float(10 * p), float(layer)})
                r.push_back(v);
        return r;
    };
    ActivationPooler mean(layers, d, "mean", frames, K);
    EXPECT_EQ(mean.windowBegin(), 4); // first position with a real frame in every codebook
    EXPECT_EQ(mean.windowEnd(), 7);   // codebook 0's last frame (5) sits at position 6
    EXPECT_EQ(mean.sequenceLength(), 10);
    for (int l = 0; l < layers; ++l) {
        const auto all = rowsFor(l, 0, 10); // teacher forcing: the whole sequence at once
        mean.add(l, 0, all.data(), 10);
    }
    const auto pooled = mean.pooled();
    EXPECT_FLOAT_EQ(pooled[0], 5.0f); // mean of positions 4, 5, 6
    EXPECT_FLOAT_EQ(pooled[1], 50.0f);
    EXPECT_FLOAT_EQ(pooled[5], 1.0f); // layer 1's third feature

    // Step by step (one input position per decode step) gives the same result.
    ActivationPooler steps(layers, d, "mean", frames, K);
    EXPECT_EQ(steps.inputPositions(), 9);
    for (int p = 0; p < 9; ++p)
        for (int l = 0; l < layers; ++l) {
            const auto r = rowsFor(l, p, 1);
            steps.add(l, p, r.data(), 1);
        }
    EXPECT_EQ(steps.pooled(), pooled);

    ActivationPooler last(layers, d, "last", frames, K);
    EXPECT_EQ(last.windowBegin(), 8); // the last LM input: T + K - 2
    for (int l = 0; l < layers; ++l) {
        const auto all = rowsFor(l, 0, 10);
        last.add(l, 0, all.data(), 10);
    }
    EXPECT_FLOAT_EQ(last.pooled()[0], 8.0f);

    ActivationPooler partial(layers, d, "mean", frames, K);
    const auto some = rowsFor(0, 0, 5);
    partial.add(0, 0, some.data(), 5);
    EXPECT_THROW(partial.pooled(), std::runtime_error);
    EXPECT_THROW(ActivationPooler(1, 1, "max", 6, 4), std::invalid_argument);
    EXPECT_THROW(ActivationPooler(1, 1, "mean", 3, 4), std::invalid_argument);
    // One codebook (no delay): frames 0..T-1 at positions 1..T, inputs 0..T-1 -> [1, T-1].
    ActivationPooler single(1, 1, "mean", 5, 1);
    EXPECT_EQ(single.windowBegin(), 1);
    EXPECT_EQ(single.windowEnd(), 5);
    EXPECT_THROW(ActivationPooler(1, 1, "mean", 1, 1), std::invalid_argument);
}
