// SIGINT/SIGTERM for moodsteer-cli: the first signal only sets a flag that long jobs poll
// (the engine between decode steps, training between steps, the corpus between pieces), so
// that they stop at a safe point: outputs are either absent or complete, finished work is
// kept. A second signal ends the process at once (its temporaries are swept by the next run).
// main() turns an interrupted run into one line and exit code 128 + signal (130, 143).
#pragma once

#include <atomic>
#include <stdexcept>
#include <string>

namespace moodsteer::cli {

/// Thrown by a command that stopped because of a signal; the message says what was kept.
struct Interrupted : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void installInterruptHandlers();
/// The flag to hand to the engine/trainer/benchmarks as their cancel flag.
const std::atomic<bool>* interruptFlag();
bool interrupted();
/// 128 + the signal received (130 for SIGINT, 143 for SIGTERM); 0 when none.
int interruptExitCode();
/// Throws Interrupted(`what`) when a signal arrived.
void throwIfInterrupted(const std::string& what);

} // namespace moodsteer::cli
