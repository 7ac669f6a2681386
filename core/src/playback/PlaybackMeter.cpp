#include "core/playback/PlaybackMeter.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace moodsteer {

PlaybackMeter::PlaybackMeter(int rate, double levelInterval)
    : rate_(rate), interval_(levelInterval) {
    if (rate_ <= 0) throw std::invalid_argument("PlaybackMeter: rate must be > 0");
    if (!(interval_ > 0)) throw std::invalid_argument("PlaybackMeter: interval must be > 0");
}

void PlaybackMeter::block(double seconds, std::uint64_t underrunFramesTotal, double aheadSeconds) {
    // The player's counter only grows; a smaller value (a new player) starts a new baseline.
    const std::uint64_t fresh =
        underrunFramesTotal >= lastTotal_ ? underrunFramesTotal - lastTotal_ : 0;
    lastTotal_ = underrunFramesTotal;
    if (fresh > 0) {
        if (!inGap_) {
            ++underruns_;
            if (firstUnderrunAt_ < 0) firstUnderrunAt_ = seconds;
        }
        underrunFrames_ += fresh;
    }
    inGap_ = fresh > 0;

    // Intervals are [k * interval, (k + 1) * interval) of the output clock.
    const double end = (std::floor(seconds / interval_ - 1e-9) + 1) * interval_;
    if (currentOpen_ && end > current_.seconds + 1e-9) {
        levels_.push_back(current_);
        currentOpen_ = false;
    }
    if (!currentOpen_) {
        current_ = Level{end, aheadSeconds, aheadSeconds, 0};
        currentOpen_ = true;
    }
    current_.minAhead = std::min(current_.minAhead, aheadSeconds);
    current_.lastAhead = aheadSeconds;
    current_.gapSeconds += double(fresh) / rate_;
    // An interval is complete once the clock reaches its end.
    if (seconds >= current_.seconds - 1e-9) {
        levels_.push_back(current_);
        currentOpen_ = false;
    }
}

} // namespace moodsteer
