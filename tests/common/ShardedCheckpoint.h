// Test helper: a safetensors file split into shards with transformers' index, as
// save_pretrained writes a model over its max_shard_size (facebook/musicgen-large is stored so).
#pragma once

#include "models/Safetensors.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace moodsteer::test {

/// Writes `folder`/model-0000i-of-0000n.safetensors (tensors dealt out in file order, about the
/// same count per shard) and `folder`/model.safetensors.index.json; returns the shard names.
inline std::vector<std::string> writeShardedCopy(const std::string& source,
                                                 const std::filesystem::path& folder, int shards) {
    const auto in = models::SafetensorsReader::open(source);
    std::vector<models::SafetensorsWriter> writers(shards);
    std::vector<std::string> names;
    for (int s = 0; s < shards; ++s) {
        char name[64];
        std::snprintf(name, sizeof name, "model-%05d-of-%05d.safetensors", s + 1, shards);
        names.push_back(name);
    }
    nlohmann::json index;
    std::size_t total = 0;
    const auto& tensors = in.tensors();
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const auto& t = tensors[i];
        const std::size_t s = i * shards / tensors.size();
        const auto bytes = in.data(t);
        writers[s].add(t.name, t.dtype, t.shape, bytes.data(), bytes.size());
        index["weight_map"][t.name] = names[s];
        total += bytes.size();
    }
    for (int s = 0; s < shards; ++s) {
        for (const auto& [k, v] : in.metadata())
            writers[s].setMetadata(k, v);
        writers[s].write((folder / names[s]).string());
    }
    index["metadata"]["total_size"] = total;
    std::ofstream(folder / "model.safetensors.index.json") << index.dump(2);
    return names;
}

} // namespace moodsteer::test
