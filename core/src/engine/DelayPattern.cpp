#include "engine/DelayPattern.h"

#include <algorithm>
#include <string>

namespace moodsteer {

DelayPattern::DelayPattern(int numCodebooks, int frames, std::int64_t padId)
    : k_(numCodebooks), frames_(frames), pad_(padId) {
    if (numCodebooks <= 0 || frames < 0)
        throw CodecError("delay pattern needs K > 0 and frames >= 0");
}

int DelayPattern::completeFrames(int t) const {
    return std::clamp(t - k_ + 1, 0, frames_);
}

std::vector<std::int64_t> DelayPattern::build(const CodeGrid& codes) const {
    if (codes.numCodebooks != k_ || codes.frames != frames_)
        throw CodecError("delay pattern: codes are " + std::to_string(codes.numCodebooks) + "x" +
                         std::to_string(codes.frames) + ", expected " + std::to_string(k_) + "x" +
                         std::to_string(frames_));
    const int len = length();
    std::vector<std::int64_t> out(static_cast<std::size_t>(k_) * len, pad_);
    for (int k = 0; k < k_; ++k)
        for (int t = 0; t < len; ++t)
            if (!isForced(k, t))
                out[static_cast<std::size_t>(k) * len + t] = codes.at(k, frameAt(k, t));
    return out;
}

CodeGrid DelayPattern::revert(const std::vector<std::int64_t>& delayed) const {
    const int len = length();
    if (delayed.size() != static_cast<std::size_t>(k_) * len)
        throw CodecError("delay pattern: expected " + std::to_string(k_ * len) + " ids, got " +
                         std::to_string(delayed.size()));
    CodeGrid out(k_, frames_);
    for (int k = 0; k < k_; ++k)
        for (int t = 0; t < len; ++t) {
            const auto id = delayed[static_cast<std::size_t>(k) * len + t];
            if (isForced(k, t)) continue;
            if (id == pad_ || id < 0)
                throw CodecError("delay pattern: codebook " + std::to_string(k) + " position " +
                                 std::to_string(t) + " holds the pad id");
            out.at(k, frameAt(k, t)) = id;
        }
    return out;
}

} // namespace moodsteer
