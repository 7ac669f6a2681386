// libFuzzer target for the safetensors reader: any byte string must either parse into tensors
// whose data spans lie inside the input, or throw SafetensorsError; never crash.
#include "models/Safetensors.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace moodsteer::models;
    try {
        auto r = SafetensorsReader::fromBytes(
            std::span(reinterpret_cast<const std::byte*>(data), size), "fuzz");
        for (const auto& t : r.tensors()) {
            auto bytes = r.data(t);
            unsigned acc = 0;
            for (std::byte b : bytes) // touch every byte: ASan catches any out-of-range span
                acc ^= std::to_integer<unsigned>(b);
            volatile unsigned sink = acc; // keeps the loads from being optimised away
            (void)sink;
            if (bytes.size() != static_cast<size_t>(t.numel()) * dtypeSize(t.dtype)) std::abort();
        }
    } catch (const SafetensorsError&) {
    }
    return 0;
}
