// The __metadata__ fields of an activation-set file, shared by ActivationSet (save/load) and
// ActivationSetWriter so that both write exactly the same format.
#pragma once

#include "core/probing/ActivationSet.h"

#include <map>
#include <string>
#include <vector>

namespace moodsteer::probing {

inline constexpr const char* kActivationFormat = "moodsteer.activations";
inline constexpr const char* kActivationVersion = "1";

std::map<std::string, std::string> activationMetadata(const ActivationSettings& settings,
                                                      std::int64_t numClips,
                                                      const std::vector<std::string>& clipIds);
/// Throws ActivationSetError naming `path` and the field.
void parseActivationMetadata(const std::map<std::string, std::string>& metadata,
                             const std::string& path, ActivationSettings& settings,
                             std::int64_t& numClips, std::vector<std::string>& clipIds);

} // namespace moodsteer::probing
