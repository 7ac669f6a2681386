// The per-layer analysis driver on a synthetic set whose genre lives in one layer.
#include "core/probing/LayerAnalysis.h"

#include "TestPaths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <random>
#include <sstream>

using namespace moodsteer;

namespace {

// Layer 0: noise; layer 1: weak genre signal; layer 2: strong genre signal and valence;
// layer 3: noise again.
ActivationSet genreSet(int perClass, int d, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> g;
    const int classes = 4, n = classes * perClass;
    ActivationSet s;
    s.settings.modelId = "embedded-test";
    s.settings.numLayers = 4;
    s.settings.hiddenSize = d;
    s.settings.labelNames = {"classical", "electronic", "jazz", "rock"};
    const double strength[] = {0.0, 0.6, 8.0, 0.0};
    for (int l = 0; l < 4; ++l)
        s.layers.emplace_back(n, d);
    for (int i = 0; i < n; ++i) {
        const int c = i % classes;
        s.labels.push_back(c);
        const double valence = 1.0 + 8.0 * (i % 17) / 16.0;
        s.valence.push_back(static_cast<float>(valence));
        s.arousal.push_back(static_cast<float>(10.0 - valence));
        for (int l = 0; l < 4; ++l)
            for (int j = 0; j < d; ++j) {
                double v = g(rng) + (j == c ? strength[l] : 0.0);
                if (l == 2 && j == d - 1) v = (valence - 5.0) + 0.1 * g(rng);
                s.layers[l].at(i, j) = static_cast<float>(v);
            }
    }
    return s;
}

} // namespace

TEST(ProbingLayerAnalysis, FindsTheLayerThatHoldsTheGenre) {
    const ActivationSet s = genreSet(20, 12, 1);
    LayerAnalysisOptions o;
    o.kmeans.seed = 1;
    o.split.seed = 2;
    int calls = 0;
    const LayerAnalysisReport r = analyseLayers(s, o, [&](int done, int total, int) {
        ++calls;
        EXPECT_EQ(total, 4);
        EXPECT_EQ(done, calls);
    });
    EXPECT_EQ(calls, 4);
    ASSERT_EQ(r.layers.size(), 4u);
    EXPECT_EQ(r.bestLayerByAccuracy, 2);
    EXPECT_EQ(r.bestLayerByAri, 2);
    EXPECT_DOUBLE_EQ(r.layers[2].ari, 1.0);
    EXPECT_DOUBLE_EQ(r.layers[2].probeAccuracy, 1.0);
    EXPECT_LT(r.layers[0].ari, 0.2);
    EXPECT_LT(r.layers[0].probeAccuracy, 0.7);
    EXPECT_GT(r.layers[2].valence->r2, 0.95);
    EXPECT_GT(r.layers[2].arousal->ccc, 0.95);
    EXPECT_LT(r.layers[0].valence->r2, 0.5);
    // Jaccard of the best layer: every genre matches one cluster exactly.
    EXPECT_EQ(r.clustering.layer, 2);
    for (std::size_t i = 0; i < 4; ++i) {
        double best = 0;
        for (std::size_t j = 0; j < 4; ++j)
            best = std::max(best, r.clustering.jaccard[i * 4 + j]);
        EXPECT_DOUBLE_EQ(best, 1.0);
    }
    // Every layer keeps its own clustering: layer 2's is the one above, layer 0's (no genre
    // structure) matches no genre to a cluster exactly.
    ASSERT_EQ(r.clusterings.size(), 4u);
    for (int l = 0; l < 4; ++l) {
        ASSERT_NE(r.clusteringOf(l), nullptr);
        EXPECT_EQ(r.clusteringOf(l)->layer, l);
    }
    EXPECT_EQ(r.clusteringOf(2)->jaccard, r.clustering.jaccard);
    double layer0Best = 0;
    for (double v : r.clusteringOf(0)->jaccard)
        layer0Best = std::max(layer0Best, v);
    EXPECT_LT(layer0Best, 0.9);
    EXPECT_EQ(r.clusteringOf(7), nullptr);
    std::int64_t total = 0;
    for (auto c : r.layers[2].confusion)
        total += c;
    EXPECT_EQ(total, 20); // 5 held out per class
}

TEST(ProbingLayerAnalysis, ExportsJsonAndCsvAndReadsFilesLayerByLayer) {
    const ActivationSet s = genreSet(10, 8, 2);
    const auto dir = test::scratchDir("layer-analysis");
    const std::string setPath = (dir / "acts.safetensors").string();
    s.save(setPath);
    LayerAnalysisOptions o;
    o.split.folds = 5;
    o.jaccardLayer = 1;
    o.layers = {0, 2, 3};
    const LayerAnalysisReport mem = analyseLayers(s, o);
    const LayerAnalysisReport file = analyseLayerFile(setPath, o);
    EXPECT_EQ(mem.toJson(), file.toJson());
    EXPECT_EQ(mem.clustering.layer, 1);    // computed although layer 1 was not in the list
    ASSERT_EQ(mem.clusterings.size(), 3u); // the analysed layers 0, 2, 3
    EXPECT_EQ(mem.clusteringOf(1), &mem.clustering);
    EXPECT_EQ(mem.clusteringOf(3)->layer, 3);
    const auto json = nlohmann::json::parse(mem.toJson());
    ASSERT_EQ(json["layer_clusterings"].size(), 3u);
    EXPECT_EQ(json["layer_clusterings"][2]["layer"], 3);
    EXPECT_EQ(json["layer_clusterings"][2]["jaccard"].size(), 4u);

    mem.writeJson((dir / "report.json").string());
    mem.writeCsv((dir / "report.csv").string());
    std::ifstream jin(dir / "report.json");
    const auto j = nlohmann::json::parse(jin);
    EXPECT_EQ(j["format"], "moodsteer.layer_analysis");
    EXPECT_EQ(j["model_id"], "embedded-test");
    EXPECT_EQ(j["layers"].size(), 3u);
    EXPECT_EQ(j["layers"][1]["layer"], 2);
    EXPECT_EQ(j["best_layer_by_accuracy"], 2);
    EXPECT_EQ(j["settings"]["folds"], 5);
    EXPECT_EQ(j["clustering"]["rows"][3], "rock");
    EXPECT_EQ(j["clustering"]["jaccard"].size(), 4u);
    EXPECT_EQ(j["layers"][1]["confusion"].size(), 4u);
    EXPECT_TRUE(j["layers"][0].contains("valence"));

    std::ifstream cin(dir / "report.csv");
    std::string line;
    std::getline(cin, line);
    EXPECT_EQ(line, "layer,ari,nmi,probe_accuracy,inertia,valence_r2,valence_ccc,arousal_r2,"
                    "arousal_ccc");
    int rows = 0;
    while (std::getline(cin, line)) {
        ++rows;
        EXPECT_EQ(std::count(line.begin(), line.end(), ','), 8);
    }
    EXPECT_EQ(rows, 3);
    std::getline(std::istringstream(mem.toCsv().substr(mem.toCsv().find('\n') + 1)), line);
    EXPECT_EQ(line.substr(0, 2), "0,");

    o.layers = {7};
    EXPECT_THROW(analyseLayers(s, o), std::invalid_argument);
}
