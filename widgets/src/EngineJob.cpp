#include "widgets/EngineJob.h"

namespace moodsteer::widgets {

bool EngineJob::tryStart() {
    // The state decides the race with tryCancelQueued: exactly one of them wins.
    State expected = State::Queued;
    if (cancel_.load()) {
        state_.compare_exchange_strong(expected, State::CancelledBeforeStart);
        return false;
    }
    return state_.compare_exchange_strong(expected, State::Running);
}

bool EngineJob::tryCancelQueued() {
    State expected = State::Queued;
    if (!state_.compare_exchange_strong(expected, State::CancelledBeforeStart)) return false;
    cancel_.store(true);
    return true;
}

} // namespace moodsteer::widgets
