#include "Interrupt.h"

#include <csignal>

namespace moodsteer::cli {
namespace {

std::atomic<bool> gInterrupted{false};
volatile std::sig_atomic_t gSignal = 0;
static_assert(std::atomic<bool>::is_always_lock_free, "the handler needs a lock-free flag");

extern "C" void onSignal(int sig) {
    if (gInterrupted.load(std::memory_order_relaxed)) {
        // Second signal: the user insists. Die of it (our temporaries are swept next time).
        std::signal(sig, SIG_DFL);
        std::raise(sig);
        return;
    }
    gSignal = sig;
    gInterrupted.store(true, std::memory_order_relaxed);
}

} // namespace

void installInterruptHandlers() {
    struct sigaction sa {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; // blocking reads/writes continue; loops poll the flag
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

const std::atomic<bool>* interruptFlag() {
    return &gInterrupted;
}

bool interrupted() {
    return gInterrupted.load(std::memory_order_relaxed);
}

int interruptExitCode() {
    return interrupted() ? 128 + static_cast<int>(gSignal) : 0;
}

void throwIfInterrupted(const std::string& what) {
    if (interrupted()) throw Interrupted(what);
}

} // namespace moodsteer::cli
