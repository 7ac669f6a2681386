// The decode step's helper thread (models/DecodeThreads.h): one extra thread that takes items of
// the step's jobs (the weights' GEMVs, the attention heads on a long cache) from the same counter
// as the step's own thread.
//
// Thread contract: share() returns when the caller's output holds every item's result; the
// caller never waits for the helper beyond about one item. The helper computes its items from
// copies of the job's arguments and input into the helper's own output buffer, and the caller
// copies them out. For an item the helper has claimed but not finished when the caller is done
// with its own, the caller waits about twice its own time per item, then takes the item back and
// computes it itself; the helper, if it finishes later, drops its result. So a helper that
// sleeps, is preempted inside an item (the codec's thread has woken on the other core) or is
// not scheduled at all costs the caller at most about one item, never a scheduler slice. Two
// buffer slots alternate: the caller fills the one the helper is not inside (the helper announces
// its slot before it checks that the job is still open, and the caller closes a job before it
// looks; both sequentially consistent), so a late helper never reads a slot being rewritten;
// Job::keepAlive holds what the items read besides (the weights, the KV cache) until that slot is
// reused. One job at a time: a second thread calling share() while a job is open (two models
// decoding at once) gets false and does its items itself.
//
// The helper runs at idle priority (SCHED_IDLE): any other thread that wants its core (the
// codec's, the context reader's) preempts it, and the step takes back what it leaves. It spins
// while jobs come (a step's jobs are microseconds apart) and sleeps when none has come for
// kSpin; prepare() wakes it ahead of a step's first job.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace moodsteer::models {

class DecodeHelper {
  public:
    /// The process's helper: made on first use and never destroyed (its thread sleeps until the
    /// process ends), so that no static destructor can race a decode step still running.
    static DecodeHelper& instance();

    /// fn(args, input, item, y): writes item's part of y (see Job) from args and input only.
    using Fn = void (*)(const void* args, const void* input, int item, float* y);
    struct Job {
        Fn fn = nullptr;
        const void* args = nullptr; ///< plain bytes (copied): at most kArgBytes
        size_t argBytes = 0;
        const void* input = nullptr; ///< plain bytes (copied): the activations
        size_t inputBytes = 0;
        int count = 0;      ///< items
        float* y = nullptr; ///< the caller's output, yFloats floats
        int64_t yFloats = 0;
        /// Item i writes y[r * stride + c] for r < rows, c in [i * perItem, min(cols, (i + 1) *
        /// perItem)), and nothing else.
        int64_t rows = 0, stride = 0, perItem = 0, cols = 0;
        std::shared_ptr<const void> keepAlive; ///< what fn reads besides args and input
    };
    static constexpr size_t kArgBytes = 128;
    static constexpr int kMaxItems = 60000;

    /// Wakes the helper if it sleeps (a job follows soon).
    void prepare();
    /// Runs job.fn for items [0, count) on this thread and the helper (see the top of the file)
    /// and returns true when job.y holds every item's output; returns false at once, having
    /// run nothing, while another thread's job is open (the caller does the work itself).
    bool share(const Job& job);
    /// Items the helper computed and a caller used / a caller took back (tests, benchmarks).
    int64_t helperItems() const { return helperItems_.load(std::memory_order_relaxed); }
    int64_t takenBack() const { return takenBack_.load(std::memory_order_relaxed); }

    /// How long the helper spins for the next job before it sleeps.
    static constexpr std::chrono::microseconds kSpin{500};

  private:
    DecodeHelper();
    void helperLoop();
    void wakeHelper();
    bool open() const;
    void help(); // the helper's claims of the open job

    // One of the two buffers of jobs: written by the caller only while the helper is not inside
    // it (busySlot_).
    struct Slot {
        Job job;
        uint32_t gen = 0;
        alignas(8) unsigned char args[kArgBytes];
        std::vector<unsigned char> input;
        std::vector<float> out;
        std::unique_ptr<std::atomic<uint32_t>[]> state; // per item: done / taken back, by gen
        int stateSize = 0;
    };
    // The open job's ticket: gen (30 bits), slot (1), count (16), next item (16); one fetch_add
    // claims an item and says whether it belongs to the open job.
    std::atomic<uint64_t> ticket_{0};
    std::atomic<int> busySlot_{-1};
    Slot slots_[2];
    uint32_t gen_ = 0; // owned by the thread that holds inUse_
    std::atomic<bool> inUse_{false};

    std::mutex mutex_;
    std::condition_variable wake_;
    std::atomic<bool> sleeping_{false};
    std::atomic<bool> woken_{false};
    std::atomic<int64_t> helperItems_{0};
    std::atomic<int64_t> takenBack_{0};
};

} // namespace moodsteer::models
