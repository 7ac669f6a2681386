// Writes a safetensors file whose tensors are produced one after the other by callbacks, so
// large files (activation sets) never have to be held in memory. Same layout as
// models::SafetensorsWriter (header padded to 8 bytes), written atomically.
#pragma once

#include "models/Safetensors.h"

#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace moodsteer::probing {

struct StreamedTensor {
    std::string name;
    models::DType dtype = models::DType::F32;
    std::vector<std::int64_t> shape;
    /// Writes exactly numel x dtypeSize bytes.
    std::function<void(std::ostream&)> write;
};

void writeSafetensorsStreamed(const std::string& path,
                              const std::map<std::string, std::string>& metadata,
                              const std::vector<StreamedTensor>& tensors);

} // namespace moodsteer::probing
