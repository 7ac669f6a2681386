// Reading a window's context ahead (Recipe::readAhead, session/ContextReadAhead.h): the prompt's
// columns read in chunks on another thread, from frames that arrive over time (some of them a
// rejected try's), give bit for bit the cache and logits of the same chunks read at once, and a
// session made with the reader makes exactly what it makes with every context read at its seam.
#include "core/engine/MusicEngine.h"
#include "core/session/VaPath.h"
#include "engine/Generator.h"
#include "engine/MusicEngineImpl.h"
#include "session/WindowedGeneration.h"

#include "../common/EmbeddedEngine.h"
#include "../common/WrappedFamily.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <numeric>
#include <thread>

using namespace moodsteer;

namespace {

MusicEngine& embedded() {
    return test::embeddedEngine();
}

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

double maxDiff(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
    EXPECT_EQ(a.size(), b.size());
    double worst = 0;
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
        worst = std::max(worst, maxDiff(a[i], b[i]));
    return worst;
}

struct Made {
    GeneratorOutput out;
    std::vector<torch::Tensor> scores;
};

} // namespace

TEST(ContextReadAhead, ChunksReadOnAnotherThreadAreTheChunksReadAtPrefill) {
    auto& d = embedded().impl();
    Recipe r;
    r.prompt = "calm jazz with piano";
    r.valence = 7;
    r.arousal = 3;
    const Conditioning c = d.condition(r);
    GeneratorOptions o;
    o.guidance = 2;
    o.seed = 11;
    const auto contextOf = [&](std::uint64_t seed) {
        Generator gen(d.model->decoder);
        GeneratorOptions g = o;
        g.frames = 160;
        g.seed = seed;
        return gen.run(c.memory, c.mask, g).codes.front();
    };
    const CodeGrid context = contextOf(3), rejected = contextOf(4);
    // A window planned with 160 frames of context, its frames before 140 known ahead (141
    // columns), that ends with 150 frames (cut back 10) or 140 (cut back 20: the last chunk
    // read ahead ends past the prompt and is read again).
    const int window = 200, planned = 160, ahead = 141;
    for (const int actual : {150, 140}) {
        const CodeGrid prompt = context.slice(0, actual);
        const auto reference = [&](int aheadColumns) {
            Made m;
            Generator gen(d.model->decoder);
            GeneratorOptions g = o;
            g.prompt = {prompt};
            g.frames = window - actual;
            g.aheadColumns = aheadColumns;
            g.scores = &m.scores;
            m.out = gen.run(c.memory, c.mask, g);
            return m;
        };
        const Made atOnce = reference(ahead);
        Made readAhead;
        Generator gen(d.model->decoder);
        GeneratorOptions g = o;
        g.prompt = {CodeGrid(context.numCodebooks, planned)}; // a plan of its length
        g.frames = window - planned;
        g.aheadColumns = ahead;
        g.seed = 999; // settled below
        g.scores = &readAhead.scores;
        gen.start(c.memory, c.mask, g);
        int chunks = 0;
        std::thread reader([&] {
            torch::set_num_threads(1); // as ContextReadAhead's thread
            // A try rejected after 100 frames, then the kept one's frames 50 at a time.
            for (int n = 50; n <= 100; n += 50)
                while (gen.readAhead(rejected.slice(0, n)))
                    ++chunks;
            for (const int n : {50, 100, ahead - 1})
                while (gen.readAhead(context.slice(0, n)))
                    ++chunks;
        });
        reader.join();
        EXPECT_EQ(ahead, gen.columnsRead()) << actual;
        gen.reprompt(prompt, window - actual, o.seed);
        // What stays: every chunk that ends within the new prompt's ahead columns.
        EXPECT_EQ(actual >= ahead ? ahead : 100, gen.columnsRead()) << actual;
        while (!gen.done())
            gen.step();
        readAhead.out = gen.finish(false);
        const double diff = maxDiff(atOnce.scores, readAhead.scores);
        std::cout << "  context " << actual << " of " << planned << ": " << chunks
                  << " chunks read ahead (a rejected try's among them); max |logits, read ahead "
                     "- at once| = "
                  << diff << "\n";
        EXPECT_EQ(0.0, diff) << actual;
        EXPECT_EQ(atOnce.out.codes.front().data, readAhead.out.codes.front().data) << actual;
        // Chunked and one pass are the same computation up to the order of sums.
        const Made onePass = reference(0);
        const double chunking = maxDiff(atOnce.scores.front(), onePass.scores.front());
        std::cout << "  max |first-step logits, chunks - one pass| = " << chunking << "\n";
        EXPECT_LT(chunking, 1e-3);
    }
}

TEST(ContextReadAhead, ASessionReadAheadMakesWhatItMakesReadAtItsSeams) {
    auto& engine = embedded();
    ModelFamily& family = *engine.impl().family;
    test::WrappedFamily atSeams(family, /*fork=*/true); // every context read at its seam
    Recipe r;
    r.model = "embedded";
    r.prompt = "calm ambient piece with piano";
    r.seconds = 45;
    r.seed = 21;
    r.guidance = 2;
    r.emotionPath = VaPath::iso({5, 8}, {6, 2}, 36, 9);
    r.windowSeconds = 16;
    r.seamCandidates = Recipe::kSessionSeamCandidates;
    r.acceptSeconds = Recipe::kSessionAcceptSeconds;
    r.firstAcceptSeconds = Recipe::sessionFirstAcceptSeconds(r.acceptSeconds);
    r.readAhead = true;
    GenerationCallbacks cb;
    cb.keepAudio = true;
    const CodeGrid none(engine.info().numCodebooks, 0);
    GenerationResult kept;
    for (const bool pipelined : {false, true}) {
        const GenerationResult ahead = generateWindowed(family, r, none, cb, pipelined);
        const GenerationResult seams = generateWindowed(atSeams, r, none, cb, pipelined);
        EXPECT_EQ(seams.codes, ahead.codes) << pipelined;
        EXPECT_EQ(seams.audio.samples, ahead.audio.samples) << pipelined;
        EXPECT_EQ(seams.recipe.toJson(), ahead.recipe.toJson()) << pipelined;
        // Contexts were read ahead (on a loaded machine perhaps not all of them): each window
        // after the first reads at most its context's columns ahead; at the seams none.
        ASSERT_EQ(ahead.windowTries.size(), ahead.windowAheadColumns.size());
        ASSERT_GE(ahead.windowAheadColumns.size(), 3u);
        EXPECT_EQ(0, ahead.windowAheadColumns.front());
        const int sum =
            std::accumulate(ahead.windowAheadColumns.begin(), ahead.windowAheadColumns.end(), 0);
        EXPECT_GT(sum, 0) << pipelined;
        EXPECT_GE(ahead.readAheadCpuSeconds, 0.0);
        EXPECT_EQ(std::vector<int>(seams.windowAheadColumns.size(), 0), seams.windowAheadColumns);
        std::cout << "  columns read ahead per window:";
        for (int c : ahead.windowAheadColumns)
            std::cout << " " << c;
        std::cout << " (" << ahead.readAheadCpuSeconds << " s of CPU)\n";
        kept = ahead;
    }
    // The recipe says so, and regenerates exactly through the engine.
    const std::string json = kept.recipe.toJson();
    EXPECT_NE(std::string::npos, json.find("\"read_ahead\": true"));
    const Recipe back = Recipe::fromJson(json);
    EXPECT_TRUE(back.readAhead);
    EXPECT_EQ(kept.codes, engine.generate(back).codes);
    // Recipes from before it read each context at the seam, as they did.
    Recipe old = r;
    old.readAhead = false;
    EXPECT_EQ(std::string::npos, old.toJson().find("read_ahead"));
    EXPECT_FALSE(Recipe::fromJson(old.toJson()).readAhead);
    const GenerationResult before = generateWindowed(family, old, none, cb, false);
    EXPECT_EQ(std::vector<int>(before.windowAheadColumns.size(), 0), before.windowAheadColumns);
    EXPECT_LT(before.readAheadCpuSeconds, 0.0);
    // The plans differ only from the first seam on (its context no longer moves with the cut).
    EXPECT_NE(before.codes, kept.codes);
}
