#include "core/audio/AudioCodec.h"

#include <algorithm>

namespace moodsteer {

CodeGrid CodeGrid::slice(int begin, int end) const {
    begin = std::clamp(begin, 0, frames);
    end = std::clamp(end, begin, frames);
    CodeGrid out(numCodebooks, end - begin);
    for (int k = 0; k < numCodebooks; ++k)
        for (int t = begin; t < end; ++t)
            out.at(k, t - begin) = at(k, t);
    return out;
}

} // namespace moodsteer
