// The decode step's attention helper (models/src/HeadPool.h, models/DecodeThreads.h): every item
// of every job runs exactly once and run() returns only when all are done, the helper takes
// items while the caller is busy, and the fused decode step gives the same bits with the helper
// on as off.
#include "HeadPool.h"
#include "models/DecodeThreads.h"
#include "models/MusicgenDecoder.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <atomic>
#include <iostream>
#include <chrono>
#include <random>
#include <thread>

using namespace moodsteer::models;

namespace {

struct Job {
    std::vector<std::atomic<int>> runs;
    std::atomic<int> finished{0};
    int64_t scratchFloats = 0;
    std::atomic<bool> scratchOk{true};
    explicit Job(int n) : runs(n) {}
};

void countItem(void* ctx, int i, float* scratch) {
    auto& job = *static_cast<Job*>(ctx);
    // The scratch is the caller's or the helper's, at least as long as asked: write all of it.
    for (int64_t k = 0; k < job.scratchFloats; ++k)
        scratch[k] = static_cast<float>(i);
    for (int64_t k = 0; k < job.scratchFloats; ++k)
        if (scratch[k] != static_cast<float>(i)) job.scratchOk = false;
    job.runs[i].fetch_add(1);
    job.finished.fetch_add(1);
}

} // namespace

TEST(HeadPool, EveryItemRunsOnceAndRunWaitsForAll) {
    auto& pool = HeadPool::instance();
    std::mt19937 rng(5);
    for (int round = 0; round < 3000; ++round) {
        const int n = 1 + static_cast<int>(rng() % 64);
        Job job(n);
        job.scratchFloats = 1 + static_cast<int64_t>(rng() % 3000);
        if (round % 3 == 0) pool.prepare(); // as the decode step does before a layer
        pool.run(&countItem, &job, n, job.scratchFloats);
        ASSERT_EQ(job.finished.load(), n) << "round " << round;
        for (int i = 0; i < n; ++i)
            ASSERT_EQ(job.runs[i].load(), 1) << "round " << round << ", item " << i;
        ASSERT_TRUE(job.scratchOk.load()) << "round " << round;
    }
}

// Item 0 does not finish until another item has run on another thread: the helper must take
// part while the caller is busy (it is woken by the job; 10 s is far beyond any wake-up).
TEST(HeadPool, TheHelperTakesItemsWhileTheCallerIsBusy) {
    struct Ctx {
        std::thread::id caller;
        std::atomic<bool> otherThread{false};
        std::atomic<int> runs{0};
    } ctx;
    ctx.caller = std::this_thread::get_id();
    const int64_t before = HeadPool::instance().helperItems();
    HeadPool::instance().run(
        [](void* p, int i, float*) {
            auto& c = *static_cast<Ctx*>(p);
            if (std::this_thread::get_id() != c.caller) c.otherThread = true;
            if (i == 0) {
                const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
                while (!c.otherThread && std::chrono::steady_clock::now() < until)
                    std::this_thread::sleep_for(std::chrono::microseconds(50));
            }
            c.runs.fetch_add(1);
        },
        &ctx, 8, 1);
    EXPECT_TRUE(ctx.otherThread.load());
    EXPECT_EQ(ctx.runs.load(), 8);
    EXPECT_GT(HeadPool::instance().helperItems(), before);
}

// The fused step from an empty cache to 300 positions (the helper joins from
// kDecodeHelperMinPositions on), head sizes 64 (vectorised kernels) and 24 (masked tails), every
// cache precision: the logits with the helper on equal those with it off, bit for bit.
TEST(HeadPool, FusedDecodeGivesTheSameBitsWithTheHelper) {
    torch::NoGradGuard noGrad;
    const bool was = decodeAttentionHelper();
    const int64_t before = HeadPool::instance().helperItems();
    for (const int64_t hidden : {128, 48}) {
        const int64_t heads = 2, items = 2, steps = 300;
        nlohmann::json j = {
            {"vocab_size", 30},   {"max_position_embeddings", 320}, {"num_hidden_layers", 2},
            {"ffn_dim", 96},      {"num_attention_heads", heads},   {"hidden_size", hidden},
            {"num_codebooks", 2}, {"activation_function", "gelu"},  {"pad_token_id", 30},
            {"bos_token_id", 30}};
        torch::manual_seed(hidden);
        MusicgenForCausalLM lm(MusicgenDecoderConfig::fromJson(j));
        lm->eval();
        lm->finalizeWeights();
        auto cross = lm->precomputeCross(torch::randn({items, 4, hidden}),
                                         torch::ones({items, 4}, torch::kLong));
        auto ids = torch::randint(0, 31, {items * 2, steps}, torch::kLong);
        for (const auto precision :
             {KvCachePrecision::F32, KvCachePrecision::BF16, KvCachePrecision::Int8}) {
            std::vector<torch::Tensor> logits[2];
            for (const bool helper : {false, true}) {
                setDecodeAttentionHelper(helper);
                auto cache = lm->makeCache(items, steps, precision);
                for (int64_t t = 0; t < steps; ++t)
                    logits[helper].push_back(lm->forward(ids.narrow(1, t, 1), cross, &cache));
            }
            for (int64_t t = 0; t < steps; ++t)
                ASSERT_TRUE(torch::equal(logits[0][t], logits[1][t]))
                    << "hidden " << hidden << ", " << kvCachePrecisionName(precision) << ", step "
                    << t;
        }
    }
    setDecodeAttentionHelper(was);
    std::cout << "  heads attended by the helper: " << HeadPool::instance().helperItems() - before
              << std::endl;
}
