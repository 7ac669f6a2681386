#include "HeadPool.h"

#include "models/DecodeThreads.h"

#include <chrono>
#include <pthread.h>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace moodsteer::models {
namespace {

std::atomic<bool> gHelper{false};

// How long the helper, woken ahead of a job (prepare()), spins for it before it sleeps again:
// the job follows after a layer norm and the q/k/v projection (~0.1 ms for musicgen-small).
// After a job it sleeps at once: the next one is a layer (~0.5-1 ms of GEMVs) away.
constexpr auto kSpin = std::chrono::microseconds(500);

inline void pause() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
}

using Clock = std::chrono::steady_clock;

inline int64_t nowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
}

inline uint32_t item(uint64_t t) {
    return static_cast<uint32_t>(t);
}
inline uint32_t count(uint64_t t) {
    return static_cast<uint32_t>(t >> 32);
}

} // namespace

void setDecodeAttentionHelper(bool on) {
    gHelper.store(on, std::memory_order_relaxed);
}

bool decodeAttentionHelper() {
    return gHelper.load(std::memory_order_relaxed);
}

HeadPool& HeadPool::instance() {
    static HeadPool* pool = new HeadPool; // immortal: see the header
    return *pool;
}

HeadPool::HeadPool() {
    std::thread([this] { helperLoop(); }).detach(); // the pool is never destroyed
}

void HeadPool::wakeHelper() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        woken_.store(true);
    }
    wake_.notify_one();
}

void HeadPool::prepare() {
    if (sleeping_.load() && nowNs() >= restUntil_.load(std::memory_order_relaxed)) wakeHelper();
}

bool HeadPool::run(Fn fn, void* ctx, int itemCount, float* scratch, int64_t scratchFloats) {
    if (itemCount <= 0) return true;
    if (inUse_.exchange(true, std::memory_order_acquire)) return false;
    if (nowNs() < restUntil_.load(std::memory_order_relaxed)) {
        inUse_.store(false, std::memory_order_release);
        return false;
    }
    fn_ = fn;
    ctx_ = ctx;
    scratchFloats_ = scratchFloats;
    done_.store(0, std::memory_order_relaxed);
    // Opens the job (a sequentially consistent store: it pairs with the helper's sleeping_).
    ticket_.store(static_cast<uint64_t>(itemCount) << 32);
    if (sleeping_.load()) wakeHelper();
    int mine = 0;
    for (;;) {
        const uint64_t t = ticket_.fetch_add(1, std::memory_order_acq_rel);
        if (item(t) >= count(t)) break;
        fn(ctx, static_cast<int>(item(t)), scratch);
        ++mine;
    }
    // The helper's claims: each is one item it is computing now.
    const int theirs = itemCount - mine;
    if (theirs > 0 && done_.load(std::memory_order_acquire) < theirs) {
        const auto start = Clock::now();
        for (int spins = 0; done_.load(std::memory_order_acquire) < theirs; ++spins) {
            if (spins < 4096)
                pause();
            else
                std::this_thread::yield(); // the helper may share this core
        }
        const auto end = Clock::now();
        if (end - start > kStall) {
            stalls_.fetch_add(1, std::memory_order_relaxed);
            // Stalls a minute apart are not one busy period: start again from the shortest rest.
            if (end - lastStall_ > std::chrono::minutes(1)) rest_ = std::chrono::milliseconds(500);
            restUntil_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 (end + rest_).time_since_epoch())
                                 .count(),
                             std::memory_order_relaxed);
            rest_ = std::min<std::chrono::milliseconds>(2 * rest_, std::chrono::seconds(8));
            lastStall_ = end;
        }
    }
    inUse_.store(false, std::memory_order_release);
    return true;
}

void HeadPool::helperLoop() {
    pthread_setname_np(pthread_self(), "decode-attn");
    // Made (and its pages touched) before any job: a first item that grew it from nothing was
    // slow enough to count as a stall and send the pool to rest at the start of every process.
    std::vector<float> scratch(16384);
    const auto open = [this] {
        const uint64_t t = ticket_.load(); // sequentially consistent: pairs with sleeping_
        return item(t) < count(t);
    };
    bool spin = false; // set by a wake-up: a job follows within a projection's time
    for (;;) {
        const auto until = Clock::now() + kSpin;
        bool job = open();
        for (int spins = 0; spin && !job; ++spins) {
            pause();
            job = open();
            if ((spins & 63) == 63 && Clock::now() > until) break;
        }
        if (!job) {
            std::unique_lock<std::mutex> lock(mutex_);
            sleeping_.store(true);
            wake_.wait(lock, [&] { return woken_.exchange(false) || open(); });
            sleeping_.store(false);
            spin = true;
            continue;
        }
        for (;;) {
            const uint64_t t = ticket_.fetch_add(1, std::memory_order_acq_rel);
            if (item(t) >= count(t)) break;
            if (scratch.size() < static_cast<size_t>(scratchFloats_))
                scratch.resize(scratchFloats_);
            fn_(ctx_, static_cast<int>(item(t)), scratch.data());
            helperItems_.fetch_add(1, std::memory_order_relaxed);
            done_.fetch_add(1, std::memory_order_release);
        }
        spin = false; // the next job is a layer away: sleep until the step wakes it
    }
}

} // namespace moodsteer::models
