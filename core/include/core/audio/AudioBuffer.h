// Mono float audio, the value type that crosses every layer (engine -> GUI -> files).
#pragma once

#include <cstddef>
#include <vector>

namespace moodsteer {

struct AudioBuffer {
    int sampleRate = 32000;
    std::vector<float> samples; ///< mono, nominally in [-1, 1]

    double seconds() const {
        return sampleRate > 0 ? static_cast<double>(samples.size()) / sampleRate : 0.0;
    }
    bool empty() const { return samples.empty(); }
};

} // namespace moodsteer
