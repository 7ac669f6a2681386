#include "audio/CodeGridJoin.h"
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

CodeGrid joinFrames(const CodeGrid& a, const CodeGrid& b) {
    if (a.frames == 0) return b;
    CodeGrid out(a.numCodebooks, a.frames + b.frames);
    for (int k = 0; k < a.numCodebooks; ++k) {
        for (int t = 0; t < a.frames; ++t)
            out.at(k, t) = a.at(k, t);
        for (int t = 0; t < b.frames; ++t)
            out.at(k, a.frames + t) = b.at(k, t);
    }
    return out;
}

} // namespace moodsteer
