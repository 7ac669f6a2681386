// Engine version and build facts, recorded in every clip's recipe.
#pragma once

#include <string>

namespace moodsteer {

/// "0.1.0": the engine version written into recipes and reports.
std::string engineVersion();

} // namespace moodsteer
