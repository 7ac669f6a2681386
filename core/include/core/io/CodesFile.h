// Token files: a CodeGrid stored as safetensors, tensor "codes" int64 [K, frames], with
// optional string metadata (e.g. the recipe). Written atomically.
#pragma once

#include "core/audio/AudioCodec.h"

#include <map>
#include <string>

namespace moodsteer {

void writeCodesFile(const std::string& path, const CodeGrid& codes,
                    const std::map<std::string, std::string>& metadata = {});
/// Throws CodecError naming the file for a missing tensor or wrong rank/dtype.
CodeGrid readCodesFile(const std::string& path);

} // namespace moodsteer
