// The decode step's attention helper (models/src/HeadPool.h, models/DecodeThreads.h): every item
// of every job runs exactly once and run() returns only when all are done, with two callers at
// once too; the helper takes items while the caller is busy; a stalled helper sends the pool to
// rest. Torch-free, so that scripts/sanitize.sh tsan runs it under ThreadSanitizer (the fused
// step's equality with the helper on and off is in FusedDecodeStepTest.cpp).
#include "HeadPool.h"
#include "models/DecodeThreads.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <random>
#include <thread>
#include <vector>

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

/// Waits (up to 20 s) until the pool takes jobs again: a stall, in an earlier test or on a busy
/// machine, sends it to rest for up to 8 s.
bool awaitAwake(HeadPool& pool) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    int unused = 0;
    float scratch[1];
    while (!pool.run([](void* p, int, float*) { ++*static_cast<int*>(p); }, &unused, 1, scratch, 1))
        if (std::chrono::steady_clock::now() > until)
            return false;
        else
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return true;
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
        std::vector<float> scratch(job.scratchFloats);
        if (!pool.run(&countItem, &job, n, scratch.data(), job.scratchFloats)) { // resting
            for (int i = 0; i < n; ++i)
                countItem(&job, i, scratch.data());
        }
        ASSERT_EQ(job.finished.load(), n) << "round " << round;
        for (int i = 0; i < n; ++i)
            ASSERT_EQ(job.runs[i].load(), 1) << "round " << round << ", item " << i;
        ASSERT_TRUE(job.scratchOk.load()) << "round " << round;
    }
}

// Two models decoding at once on two threads: a caller that finds the pool busy gets false
// and runs its items itself; every item of every job still runs exactly once.
TEST(HeadPool, ConcurrentCallersEachGetTheirJobDone) {
    std::atomic<int> refused{0};
    auto caller = [&](unsigned seed) {
        std::mt19937 rng(seed);
        for (int round = 0; round < 2000; ++round) {
            const int n = 1 + static_cast<int>(rng() % 32);
            Job job(n);
            job.scratchFloats = 1 + static_cast<int64_t>(rng() % 500);
            std::vector<float> scratch(job.scratchFloats);
            if (!HeadPool::instance().run(&countItem, &job, n, scratch.data(), job.scratchFloats)) {
                ++refused;
                for (int i = 0; i < n; ++i)
                    countItem(&job, i, scratch.data());
            }
            for (int i = 0; i < n; ++i)
                ASSERT_EQ(job.runs[i].load(), 1) << "seed " << seed << ", round " << round;
        }
    };
    std::thread other(caller, 1u);
    caller(2u);
    other.join();
    std::cout << "  jobs refused while the other caller's was open: " << refused.load()
              << std::endl;
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
    ASSERT_TRUE(awaitAwake(HeadPool::instance()));
    const int64_t before = HeadPool::instance().helperItems();
    float scratch[1];
    const bool ran = HeadPool::instance().run(
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
        &ctx, 8, scratch, 1);
    ASSERT_TRUE(ran);
    EXPECT_TRUE(ctx.otherThread.load());
    EXPECT_EQ(ctx.runs.load(), 8);
    EXPECT_GT(HeadPool::instance().helperItems(), before);
}

// A helper that takes long inside an item (as when it is preempted, the other core busy) makes
// the caller wait: after such a stall the pool rests (run() refuses, the caller works alone)
// and takes the helper back once the rest is over.
TEST(HeadPool, AStalledHelperSendsThePoolToRest) {
    struct Ctx {
        std::thread::id caller;
        std::atomic<bool> helperStarted{false};
    } ctx;
    ctx.caller = std::this_thread::get_id();
    auto& pool = HeadPool::instance();
    ASSERT_TRUE(awaitAwake(pool));
    const int64_t stalls = pool.stalls();
    auto slowHelper = [](void* p, int i, float*) {
        auto& c = *static_cast<Ctx*>(p);
        if (std::this_thread::get_id() != c.caller) {
            c.helperStarted = true;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        } else if (i == 0) { // hold the caller until the helper is inside an item
            const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            while (!c.helperStarted && std::chrono::steady_clock::now() < until)
                std::this_thread::sleep_for(std::chrono::microseconds(20));
        }
    };
    float scratch[1];
    ASSERT_TRUE(pool.run(slowHelper, &ctx, 4, scratch, 1));
    ASSERT_TRUE(ctx.helperStarted.load());
    EXPECT_EQ(stalls + 1, pool.stalls());
    Job job(3);
    EXPECT_FALSE(pool.run(&countItem, &job, 3, scratch, 1)) << "resting after a stall";
    EXPECT_EQ(0, job.finished.load());
    // The rest ends (0.5 s after a first stall, up to 8 s after repeated ones).
    ASSERT_TRUE(awaitAwake(pool));
    EXPECT_TRUE(pool.run(&countItem, &job, 3, scratch, 1));
    EXPECT_EQ(3, job.finished.load());
}
