// The zero-shot table of the alignment commands (train-alignment, eval-alignment): text and
// JSON, one place so that both print the same figures.
#pragma once

#include "core/alignment/AlignmentEvaluation.h"

#include <nlohmann/json.hpp>

#include <vector>

namespace moodsteer::cli {

void printZeroShotTable(const std::vector<ZeroShotResult>& results);
nlohmann::json zeroShotJson(const std::vector<ZeroShotResult>& results);

} // namespace moodsteer::cli
