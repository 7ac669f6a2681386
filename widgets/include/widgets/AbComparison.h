// The A/B comparison of a steered recipe: A is the recipe without steering, B the recipe as
// steered, both with the same seed, generated as two engine jobs. This state machine follows
// the two jobs by id: both clips filed -> done (A and B known); either job ending without a
// clip -> the run stops (the caller cancels the other). Clips of other generations never
// count. Plain C++ (no Qt) so that it is tested on its own.
//
// Threading: GUI thread (not thread-safe).
#pragma once

#include "core/engine/Recipe.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace moodsteer::widgets {

class AbComparison {
  public:
    using JobId = std::uint64_t;
    enum class State { Idle, Running, Done, Stopped };

    /// A (no steering) and B (`steered`), same seed. Throws std::invalid_argument when
    /// `steered` has no steering (there would be nothing to compare).
    static std::pair<Recipe, Recipe> recipes(const Recipe& steered);

    /// Follows the jobs generating A and B (replaces any earlier run). Ids must differ and
    /// be non-zero (std::invalid_argument).
    void start(JobId a, JobId b);
    State state() const { return state_; }
    bool isRunning() const { return state_ == State::Running; }

    /// A clip made by `job` was filed. True when it completes the pair (state Done).
    bool clipAdded(JobId job, const std::string& clipId);
    /// `job` ended without a clip (failed or cancelled). True when it was one of the run's
    /// (state Stopped); pendingJobs() then names the job still to cancel.
    bool jobLost(JobId job);
    /// Stops a running run (e.g. the user cancelled); pendingJobs() says what to cancel.
    void stop();

    /// The run's jobs that have not produced their clip yet.
    std::vector<JobId> pendingJobs() const;
    const std::string& clipA() const { return clipA_; }
    const std::string& clipB() const { return clipB_; }

  private:
    State state_ = State::Idle;
    JobId jobA_ = 0;
    JobId jobB_ = 0;
    std::string clipA_;
    std::string clipB_;
};

} // namespace moodsteer::widgets
