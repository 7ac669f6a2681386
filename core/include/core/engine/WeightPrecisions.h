// The precisions of the LM's weights, by name: the one list the engine, recipes, the CLI and
// the studio check against (torch-free; models/ReducedLinear.h implements them and says what
// each costs in accuracy, docs/performance.md measures it).
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace moodsteer {

/// From the reference to the fastest: "f32", "bf16", "int8", "int4".
inline const std::vector<std::string>& weightPrecisions() {
    static const std::vector<std::string> names{"f32", "bf16", "int8", "int4"};
    return names;
}

inline bool isWeightPrecision(const std::string& name) {
    const auto& all = weightPrecisions();
    return std::find(all.begin(), all.end(), name) != all.end();
}

/// "f32, bf16, int8 or int4", for messages.
inline std::string weightPrecisionChoices() {
    const auto& all = weightPrecisions();
    std::string out;
    for (size_t i = 0; i < all.size(); ++i)
        out += (i == 0 ? "" : i + 1 == all.size() ? " or " : ", ") + all[i];
    return out;
}

} // namespace moodsteer
