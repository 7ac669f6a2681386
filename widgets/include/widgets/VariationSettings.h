// What the Variations dialog asks for, and "Restore selection" (count 1 with a range): the
// studio's side of a VariationRequest (core/variations/VariationGenerator.h).
#pragma once

#include <cstdint>
#include <optional>

namespace moodsteer::widgets {

struct VariationSettings {
    int count = 4;                     ///< 1..Recipe::kMaxVariations
    double similarity = 0.5;           ///< s in (0, 1]: small = close to the source, 1 = free
    double shiftArousal = 0;           ///< rating units; 0 keeps the source's emotion
    double shiftValence = 0;           ///< rating units (a model with a valence channel)
    std::uint64_t seed = 1;            ///< variation i uses seed + i
    std::optional<double> restoreFrom; ///< seconds; with restoreTo: a restoration
    std::optional<double> restoreTo;
};

} // namespace moodsteer::widgets
