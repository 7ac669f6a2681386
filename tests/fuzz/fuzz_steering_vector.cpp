// libFuzzer target for steering-vector files (safetensors with our metadata): any bytes load
// into a unit-length direction with its metadata, or throw SteeringError naming the file.
#include "FuzzFile.h"

#include "core/steering/SteeringVector.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace moodsteer;
    FuzzFile file(data, size);
    try {
        const SteeringVector v = SteeringVector::load(file.path(), "");
        double norm = 0;
        for (float x : v.direction)
            norm += static_cast<double>(x) * x;
        if (v.direction.empty() || !(std::abs(std::sqrt(norm) - 1.0) < 1e-3)) std::abort();
    } catch (const SteeringError&) {
    }
    return 0;
}
