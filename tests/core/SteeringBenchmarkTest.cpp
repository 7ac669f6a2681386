// The steering benchmark's pieces: the genre scorer separates the corpus genres on held-out
// pieces, and a benchmark run on the parity model (numbers meaningless: random weights) has
// the expected shape: alpha 0 rows are the baseline (no gain, tempo ratio 1, no code changed),
// steered rows change codes, and a vector whose label is not the target is refused.
#include "core/steering/SteeringBenchmark.h"
#include "RandomSteeringVector.h"
#include "TestPaths.h"
#include "core/corpus/Composer.h"
#include "core/emotion/GenreClassifier.h"
#include "core/steering/SteeringVector.h"
#include "core/synth/SynthCodec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

using namespace moodsteer;

namespace {

const GenreClassifier& scorer() {
    static GenreClassifier s = [] {
        GenreTrainingOptions o;
        o.piecesPerGenre = 6;
        o.seconds = 4.0;
        o.seed = 1;
        o.excludeTempo = true;
        o.testFraction = 0.25;
        return GenreClassifier::trainOnComposer(o);
    }();
    return s;
}

std::string vectorFile(const std::string& modelId, int dim, const std::string& label,
                       std::uint64_t seed) {
    const SteeringVector v =
        test::randomSteeringVector(modelId, dim, 1, seed, label, {"jazz", "rock"});
    const auto path = (test::scratchDir("bench-" + label) / "v.safetensors").string();
    v.save(path);
    return path;
}

} // namespace

TEST(SteeringBenchmark, GenreScoreSeparatesCorpusGenres) {
    const auto& s = scorer();
    EXPECT_EQ(s.genres(), Composer::genres());
    EXPECT_TRUE(s.excludesTempo());
    std::printf("genre scorer (6 pieces/genre, 4 s): held-out accuracy %.3f\n",
                s.heldOutAccuracy());
    EXPECT_GE(s.heldOutAccuracy(), 0.5); // chance is 0.25
    // Fresh pieces (other seeds) are mostly scored as their own genre.
    Composer composer;
    SynthCodec codec;
    int right = 0, total = 0;
    for (const auto& g : Composer::genres())
        for (std::uint64_t seed : {901u, 902u}) {
            ComposerRequest r;
            r.genre = g;
            r.seconds = 4.0;
            r.seed = seed;
            const auto p = s.probabilities(codec.decode(composer.compose(r).codes));
            double sum = 0;
            for (double x : p)
                sum += x;
            EXPECT_NEAR(sum, 1.0, 1e-9);
            right += std::max_element(p.begin(), p.end()) - p.begin() == s.genreIndex(g);
            ++total;
        }
    std::printf("fresh pieces scored as their genre: %d/%d\n", right, total);
    EXPECT_GE(right, total / 2);
    EXPECT_THROW(s.genreIndex("polka"), std::invalid_argument);
    // Tempo: a composed piece's DSP tempo is near its written tempo (or a simple multiple).
    ComposerRequest r;
    r.genre = "rock";
    r.seconds = 6.0;
    const auto piece = composer.compose(r);
    const double bpm = clipTempoBpm(codec.decode(piece.codes));
    const double ratio = bpm / piece.label.tempoBpm;
    std::printf("tempo: written %.1f BPM, estimated %.1f BPM\n", piece.label.tempoBpm, bpm);
    EXPECT_TRUE(std::abs(ratio - 1) < 0.1 || std::abs(ratio - 2) < 0.2 ||
                std::abs(ratio - 0.5) < 0.05)
        << ratio;
}

TEST(SteeringBenchmark, ParityRunHasTheBaselineShape) {
    MOODSTEER_REQUIRE_PARITY();
    auto engine = MusicEngine::load(test::parityDir(), {1, "f32"});
    const int D = engine->info().hiddenSize;
    SteeringBenchmarkOptions o;
    o.pairs = {{"jazz", "rock"}};
    o.vectors = {{"rock", vectorFile(engine->info().id, D, "rock", 3)}};
    o.alphas = {0.0, 0.75};
    o.seeds = {1, 2};
    o.promptIds = {{"jazz", {5, 9, 1}}};
    o.steps = 60; // 1.2 s of EnCodec audio
    int calls = 0;
    const auto rep = runSteeringBenchmark(*engine, scorer(), o, [&](int done, int total) {
        ++calls;
        EXPECT_EQ(total, 4);
        EXPECT_LE(done, total);
    });
    EXPECT_EQ(calls, 4);
    ASSERT_EQ(rep.rows.size(), 4u);
    ASSERT_EQ(rep.summary.size(), 2u);
    for (const auto& row : rep.rows) {
        if (row.alpha == 0.0) {
            EXPECT_EQ(row.targetGain, 0.0);
            EXPECT_EQ(row.codesChanged, 0.0);
            EXPECT_TRUE(std::isnan(row.tempoRatio) || row.tempoRatio == 1.0);
        } else {
            EXPECT_GT(row.codesChanged, 0.2);
        }
        EXPECT_GE(row.targetScore, 0.0);
        EXPECT_LE(row.targetScore, 1.0);
    }
    EXPECT_NE(rep.toJson().find("\"summary\""), std::string::npos);
    const std::string csv = rep.toCsv();
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);
    // A vector whose label is not the target is refused before any generation.
    o.vectors = {{"rock", vectorFile(engine->info().id, D, "jazz", 4)}};
    EXPECT_THROW(runSteeringBenchmark(*engine, scorer(), o), SteeringError);
    o.pairs = {{"jazz", "polka"}};
    EXPECT_THROW(runSteeringBenchmark(*engine, scorer(), o), std::invalid_argument);
}
