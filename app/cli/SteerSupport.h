// Helpers shared by the probing and steering sub-commands (probe, steer, generate --steer).
#pragma once

#include "core/engine/MusicEngine.h"
#include "core/engine/Recipe.h"

#include <memory>
#include <string>
#include <vector>

namespace moodsteer::cli {

/// "a,b,c" -> {"a","b","c"}; empty items are a UsageError naming `what`.
std::vector<std::string> splitList(const std::string& text, char sep, const std::string& what);
/// `--model DIR|embedded` (empty: embedded) -> a loaded engine. Throws with a one-line reason.
std::unique_ptr<MusicEngine> loadEngineArg(const std::string& model, int threads);
/// "a=3,9,1;b=4,1" -> per-label prompt ids in `labels` order (for models without a tokenizer).
std::vector<std::vector<std::int64_t>> parseLabelIds(const std::string& text,
                                                     const std::vector<std::string>& labels);
/// "vec.safetensors:alpha[:layer]" -> a constant steering spec (the label read from the file).
SteeringSpec parseSteerArg(const std::string& text);
/// "a.safetensors:b.safetensors[:alpha]" -> ramp-down on a, ramp-up on b (a cross-fade).
std::vector<SteeringSpec> parseTransitionArg(const std::string& text);

} // namespace moodsteer::cli
