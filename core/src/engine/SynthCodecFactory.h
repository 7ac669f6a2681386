// Builds the symbolic codec named in an embedded model's config ("moodsteer.codec").
#pragma once

#include "core/audio/AudioCodec.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace moodsteer {

/// Throws EngineError for an unknown codec name.
std::unique_ptr<AudioCodec> makeSymbolicCodec(const std::string& name,
                                              const nlohmann::json& config);

} // namespace moodsteer
