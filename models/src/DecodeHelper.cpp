#include "DecodeHelper.h"

#include "models/DecodeThreads.h"

#include <algorithm>
#include <cstring>
#include <pthread.h>
#include <sched.h>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace moodsteer::models {
namespace {

std::atomic<bool> gHelper{false};

inline void pause() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
}

using Clock = std::chrono::steady_clock;

// The ticket packs gen (bits 33-62), slot (32), count (16-31) and next item (0-15); an item's
// state is done(gen) or taken(gen), so values of earlier jobs never match.
constexpr uint32_t kGenMask = 0x3fffffff;
static_assert(DecodeHelper::kMaxItems < 65535 - 2, "next stays below 2^16: count + 2 claims");

inline uint64_t pack(uint32_t gen, int slot, uint32_t count) {
    return (static_cast<uint64_t>(gen) << 33) | (static_cast<uint64_t>(slot) << 32) |
           (static_cast<uint64_t>(count) << 16);
}
inline uint32_t genOf(uint64_t t) {
    return static_cast<uint32_t>(t >> 33) & kGenMask;
}
inline int slotOf(uint64_t t) {
    return static_cast<int>((t >> 32) & 1);
}
inline uint32_t countOf(uint64_t t) {
    return static_cast<uint32_t>(t >> 16) & 0xffff;
}
inline uint32_t nextOf(uint64_t t) {
    return static_cast<uint32_t>(t) & 0xffff;
}
inline uint32_t doneBy(uint32_t gen) {
    return gen << 2 | 1;
}
inline uint32_t takenBy(uint32_t gen) {
    return gen << 2 | 2;
}

} // namespace

void setDecodeHelper(bool on) {
    gHelper.store(on, std::memory_order_relaxed);
}

bool decodeHelper() {
    return gHelper.load(std::memory_order_relaxed);
}

bool decodeStepUsesHelper(bool reducedWeights, int64_t positions) {
    return decodeHelper() && (reducedWeights || positions >= kDecodeHelperMinPositions);
}

DecodeHelper& DecodeHelper::instance() {
    static DecodeHelper* helper = new DecodeHelper; // immortal: see the header
    return *helper;
}

DecodeHelper::DecodeHelper() {
    std::thread([this] { helperLoop(); }).detach(); // never destroyed
}

void DecodeHelper::wakeHelper() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        woken_.store(true);
    }
    wake_.notify_one();
}

void DecodeHelper::prepare() {
    if (sleeping_.load()) wakeHelper();
}

bool DecodeHelper::share(const Job& job) {
    if (job.count <= 0) return true;
    if (job.count > kMaxItems || job.argBytes > kArgBytes) return false;
    if (inUse_.exchange(true, std::memory_order_acquire)) return false;
    // Every earlier job is closed, so the helper is inside at most the slot it shows.
    const int s = busySlot_.load() == 0 ? 1 : 0;
    Slot& slot = slots_[s];
    gen_ = (gen_ + 1) & kGenMask;
    if (gen_ == 0) gen_ = 1;
    const uint32_t gen = gen_;
    slot.job = job;
    std::memcpy(slot.args, job.args, job.argBytes);
    const auto* in = static_cast<const unsigned char*>(job.input);
    slot.input.assign(in, in + job.inputBytes);
    if (slot.out.size() < static_cast<size_t>(job.yFloats)) slot.out.resize(job.yFloats);
    if (slot.stateSize < job.count) {
        slot.state.reset(new std::atomic<uint32_t>[job.count]);
        for (int i = 0; i < job.count; ++i)
            slot.state[i].store(0, std::memory_order_relaxed);
        slot.stateSize = job.count;
    }
    slot.gen = gen;
    // Opens the job (sequentially consistent: pairs with the helper's sleeping_ and busySlot_).
    ticket_.store(pack(gen, s, static_cast<uint32_t>(job.count)));
    if (sleeping_.load()) wakeHelper();
    thread_local std::vector<char> mine;
    mine.assign(job.count, 0);
    const auto start = Clock::now();
    int own = 0;
    for (;;) {
        const uint64_t t = ticket_.fetch_add(1, std::memory_order_acq_rel);
        if (nextOf(t) >= countOf(t)) break;
        const int i = static_cast<int>(nextOf(t));
        job.fn(job.args, job.input, i, job.y);
        mine[i] = 1;
        ++own;
    }
    ticket_.store(pack(gen, s, 0)); // closed: no claim from here on
    // The helper holds at most one unfinished item: wait about twice this thread's time per
    // item for it, then take it back.
    const auto patience = std::max<Clock::duration>(std::chrono::microseconds(20),
                                                    own > 0 ? 2 * (Clock::now() - start) / own
                                                            : Clock::duration::zero());
    for (int i = 0; i < job.count; ++i) {
        if (mine[i]) continue;
        std::atomic<uint32_t>& state = slot.state[i];
        uint32_t v = state.load(std::memory_order_acquire);
        if (v != doneBy(gen)) {
            const auto until = Clock::now() + patience;
            for (int spins = 0; (v = state.load(std::memory_order_acquire)) != doneBy(gen);
                 ++spins) {
                pause();
                if ((spins & 15) == 15 && Clock::now() > until) break;
            }
            if (v != doneBy(gen) &&
                state.compare_exchange_strong(v, takenBy(gen), std::memory_order_acq_rel)) {
                job.fn(job.args, job.input, i, job.y);
                takenBack_.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
        }
        // Done by the helper (the failed exchange read doneBy(gen)): its part of the slot's y.
        const int64_t c0 = i * job.perItem, c1 = std::min(job.cols, c0 + job.perItem);
        for (int64_t r = 0; r < job.rows; ++r)
            std::memcpy(job.y + r * job.stride + c0, slot.out.data() + r * job.stride + c0,
                        sizeof(float) * (c1 - c0));
        helperItems_.fetch_add(1, std::memory_order_relaxed);
    }
    inUse_.store(false, std::memory_order_release);
    return true;
}

bool DecodeHelper::open() const {
    const uint64_t t = ticket_.load(); // sequentially consistent: pairs with sleeping_
    return nextOf(t) < countOf(t);
}

void DecodeHelper::help() {
    while (open()) {
        const uint64_t t = ticket_.fetch_add(1, std::memory_order_acq_rel);
        if (nextOf(t) >= countOf(t)) return;
        const uint32_t gen = genOf(t);
        const int s = slotOf(t), i = static_cast<int>(nextOf(t));
        // Announce the slot, then check that the job is still open: the caller closes a job
        // before it picks a slot, so either it sees this slot busy or this sees the job closed.
        busySlot_.store(s);
        const uint64_t now = ticket_.load();
        if (genOf(now) != gen || countOf(now) == 0) { // closed: the caller takes it back
            busySlot_.store(-1);
            return;
        }
        Slot& slot = slots_[s];
        slot.job.fn(slot.args, slot.input.data(), i, slot.out.data());
        std::atomic<uint32_t>& state = slot.state[i];
        uint32_t v = state.load(std::memory_order_acquire);
        if (v != takenBy(gen))
            state.compare_exchange_strong(v, doneBy(gen), std::memory_order_acq_rel);
        busySlot_.store(-1);
    }
}

void DecodeHelper::helperLoop() {
    pthread_setname_np(pthread_self(), "decode-helper");
    // Idle priority: the helper runs only where no other thread of the machine wants the core
    // (the codec's, the reader's), so its spinning never delays them; a job takes back what it
    // leaves unfinished. (Lowering one's own policy needs no privilege; where it fails the
    // helper runs at normal priority.)
    sched_param idle{};
    pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
    bool spin = false; // after a job or a wake-up: the next job follows within microseconds
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
        help();
        spin = true;
    }
}

} // namespace moodsteer::models
