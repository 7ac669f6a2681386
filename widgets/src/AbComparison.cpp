#include "widgets/AbComparison.h"

#include <stdexcept>

namespace moodsteer::widgets {

std::pair<Recipe, Recipe> AbComparison::recipes(const Recipe& steered) {
    if (steered.steering.empty())
        throw std::invalid_argument("A/B needs a steered recipe: turn genre steering on first");
    Recipe plain = steered;
    plain.steering.clear();
    return {plain, steered};
}

void AbComparison::start(JobId a, JobId b) {
    if (a == 0 || b == 0 || a == b)
        throw std::invalid_argument("A/B needs two different generation jobs");
    state_ = State::Running;
    jobA_ = a;
    jobB_ = b;
    clipA_.clear();
    clipB_.clear();
}

bool AbComparison::clipAdded(JobId job, const std::string& clipId) {
    if (state_ != State::Running) return false;
    if (job == jobA_)
        clipA_ = clipId;
    else if (job == jobB_)
        clipB_ = clipId;
    else
        return false;
    if (clipA_.empty() || clipB_.empty()) return false;
    state_ = State::Done;
    return true;
}

bool AbComparison::jobLost(JobId job) {
    if (state_ != State::Running || (job != jobA_ && job != jobB_)) return false;
    // The lost job has nothing left to cancel.
    if (job == jobA_)
        jobA_ = 0;
    else
        jobB_ = 0;
    state_ = State::Stopped;
    return true;
}

void AbComparison::stop() {
    if (state_ == State::Running) state_ = State::Stopped;
}

std::vector<AbComparison::JobId> AbComparison::pendingJobs() const {
    std::vector<JobId> out;
    if (jobA_ != 0 && clipA_.empty()) out.push_back(jobA_);
    if (jobB_ != 0 && clipB_.empty()) out.push_back(jobB_);
    if (state_ == State::Done) out.clear();
    return out;
}

} // namespace moodsteer::widgets
