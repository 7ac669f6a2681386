// The decode step's attention helper (models/DecodeThreads.h): one extra thread that takes work
// items of a job from the same counter as the calling thread.
//
// Thread contract: run() returns when every item of its job is done, the caller's and the
// helper's. One job at a time: a second thread calling run() while a job is open (two models
// decoding at once) gets false and does its items itself. The helper claims an item only
// while the job is open, so a helper that sleeps, or is not scheduled, costs nothing: the caller
// takes every item itself. The caller waits only for items the helper has claimed (one head, a
// few microseconds), but a helper preempted inside one (the other core busy) makes it wait a
// scheduler slice: a wait longer than kStall sets the pool to rest (run() returns false, the
// caller works alone) for 0.5 s, doubling on each stall up to 8 s. prepare() wakes the helper
// ahead of a job, so that its wake-up overlaps the caller's work before the job.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace moodsteer::models {

class HeadPool {
  public:
    /// fn(ctx, item, scratch): scratch is per-thread, at least the job's scratch floats.
    using Fn = void (*)(void* ctx, int item, float* scratch);

    /// The process's pool: made on first use and never destroyed (its thread sleeps until the
    /// process ends), so that no static destructor can race a decode step still running.
    static HeadPool& instance();

    /// Wakes the helper if it sleeps (a job follows soon), unless the pool rests.
    void prepare();
    /// Runs fn for items [0, count) on this thread (with `scratch`, the caller's buffer of
    /// `scratchFloats`) and the helper (with its own) and returns true when all are done;
    /// returns false at once, having run nothing, while another thread's job is open or the
    /// pool rests.
    bool run(Fn fn, void* ctx, int count, float* scratch, int64_t scratchFloats);
    /// Items the helper has computed since the process started (tests, benchmarks).
    int64_t helperItems() const { return helperItems_.load(std::memory_order_relaxed); }
    /// Jobs whose caller waited longer than kStall for the helper, since the process started.
    int64_t stalls() const { return stalls_.load(std::memory_order_relaxed); }

    static constexpr std::chrono::microseconds kStall{300};

  private:
    HeadPool();
    void helperLoop();
    void wakeHelper();

    // The ticket packs the open job's item count (high 32 bits) and its next item (low 32): one
    // fetch_add claims an item and says whether it belongs to the job. A claim below the count
    // is owned until done_ counts it, and the caller writes the job's fields only before it
    // publishes a job and after every claim is done, so the helper reads them without a lock.
    std::atomic<uint64_t> ticket_{0};
    std::atomic<int> done_{0}; // items the helper finished in the open job
    Fn fn_ = nullptr;
    void* ctx_ = nullptr;
    int64_t scratchFloats_ = 0;

    std::mutex mutex_;
    std::condition_variable wake_;
    std::atomic<bool> sleeping_{false};
    std::atomic<bool> woken_{false};
    std::atomic<bool> inUse_{false};
    std::atomic<int64_t> helperItems_{0};
    std::atomic<int64_t> stalls_{0};
    // The end of the current rest (steady-clock nanoseconds): prepare() reads it too.
    std::atomic<int64_t> restUntil_{0};
    // Owned by the thread that holds inUse_.
    std::chrono::steady_clock::time_point lastStall_{};
    std::chrono::milliseconds rest_{500};
};

} // namespace moodsteer::models
