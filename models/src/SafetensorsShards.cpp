// Sharded checkpoints: transformers writes a model over a few GB as `model-0000i-of-0000n.
// safetensors` files plus `model.safetensors.index.json` ({"metadata": {...}, "weight_map":
// {tensor: file}}). facebook/musicgen-large is stored so; the reader presents the shards as
// one file, each still memory-mapped, so loading tensor by tensor works the same.
#include "models/BoundedRead.h"
#include "models/Safetensors.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>

namespace moodsteer::models {
namespace fs = std::filesystem;

namespace {

// A real index lists every tensor once (~100 KB for musicgen-large).
constexpr FileKind kIndexFile{"safetensors index", 16ull << 20};
constexpr char kIndexSuffix[] = ".index.json";

[[noreturn]] void bad(const std::string& index, const std::string& what) {
    throw SafetensorsError("safetensors index '" + index + "': " + what);
}

bool endsWith(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

/// weight_map, checked: an object of tensor name -> plain file name in the index's folder.
std::vector<std::pair<std::string, std::string>> readWeightMap(const std::string& indexPath) {
    nlohmann::json j;
    try {
        j = parseJsonBounded(readFileBounded(indexPath, kIndexFile));
    } catch (const FileReadError& e) {
        throw SafetensorsError(e.what());
    } catch (const std::exception& e) {
        bad(indexPath, std::string("not valid JSON: ") + e.what());
    }
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
        bad(indexPath, "has no \"weight_map\" object");
    std::vector<std::pair<std::string, std::string>> map;
    for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
        if (!it.value().is_string())
            bad(indexPath, "weight_map[\"" + it.key() + "\"] is not a file name");
        const std::string file = it.value().get<std::string>();
        // Only files beside the index: no paths, so an index cannot point anywhere else.
        if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..")
            bad(indexPath, "weight_map[\"" + it.key() + "\"] = \"" + file +
                               "\" is not a file name in the index's folder");
        map.emplace_back(it.key(), file);
    }
    if (map.empty()) bad(indexPath, "weight_map is empty");
    return map;
}

} // namespace

std::vector<std::string> SafetensorsReader::shardNamesInIndex(const std::string& indexPath) {
    std::vector<std::string> names;
    std::set<std::string> seen;
    for (const auto& [tensor, file] : readWeightMap(indexPath))
        if (seen.insert(file).second) names.push_back(file);
    return names;
}

std::vector<std::string> SafetensorsReader::shardFilesOf(const std::string& path) {
    if (!endsWith(path, kIndexSuffix)) return {path};
    std::vector<std::string> files;
    const auto folder = fs::path(path).parent_path();
    for (const auto& name : shardNamesInIndex(path))
        files.push_back((folder / name).string());
    return files;
}

SafetensorsReader SafetensorsReader::openSharded(const std::string& indexPath) {
    const auto map = readWeightMap(indexPath);
    const auto folder = fs::path(indexPath).parent_path();
    SafetensorsReader r;
    r.label_ = indexPath;
    std::map<std::string, std::size_t> shardOf; // file name -> shard number
    std::vector<SafetensorsReader> shards;
    std::vector<std::string> names;
    for (const auto& [tensor, file] : map)
        if (shardOf.emplace(file, shards.size()).second) {
            shards.push_back(open((folder / file).string())); // validated like any file
            names.push_back(file);
        }
    std::set<std::string> mapped;
    for (const auto& [tensor, file] : map) {
        const std::size_t s = shardOf.at(file);
        const TensorInfo* info = shards[s].find(tensor);
        if (!info)
            bad(indexPath, "tensor '" + tensor + "' is mapped to " + file + ", which lacks it");
        TensorInfo copy = *info;
        copy.shard = s;
        r.index_[tensor] = r.tensors_.size();
        r.tensors_.push_back(std::move(copy));
        mapped.insert(tensor);
    }
    for (std::size_t s = 0; s < shards.size(); ++s) {
        for (const auto& t : shards[s].tensors())
            if (!mapped.count(t.name))
                bad(indexPath, names[s] + " holds tensor '" + t.name +
                                   "', which the weight_map does not list");
        for (const auto& [k, v] : shards[s].metadata())
            r.metadata_.emplace(k, v);
        r.storages_.push_back(std::move(shards[s].storages_.at(0)));
        r.dataBases_.push_back(shards[s].dataBases_.at(0));
    }
    return r;
}

SafetensorsReader SafetensorsReader::openAny(const std::string& path) {
    return endsWith(path, kIndexSuffix) ? openSharded(path) : open(path);
}

std::string SafetensorsReader::weightsPathIn(const std::string& folder, const std::string& stem) {
    std::error_code ec;
    const auto single = fs::path(folder) / (stem + ".safetensors");
    if (fs::exists(single, ec)) return single.string();
    const auto index = fs::path(folder) / (stem + ".safetensors" + kIndexSuffix);
    if (fs::exists(index, ec)) return index.string();
    return "";
}

} // namespace moodsteer::models
