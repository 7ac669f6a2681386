// libFuzzer target for transformers' sharded-checkpoint index (model.safetensors.index.json):
// any bytes give the shard file names — each a plain name in the index's folder (no '/', not
// "." or "..") — or SafetensorsError naming the index. Only the names are read here: opening
// the shards would follow whatever the fuzzer names.
#include "FuzzFile.h"

#include "models/Safetensors.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace moodsteer::models;
    FuzzFile file(data, size);
    try {
        const auto names = SafetensorsReader::shardNamesInIndex(file.path());
        if (names.empty()) std::abort();
        for (const auto& n : names)
            if (n.empty() || n == "." || n == ".." || n.find('/') != std::string::npos)
                std::abort();
    } catch (const SafetensorsError&) {
    }
    return 0;
}
