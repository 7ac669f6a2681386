#include "probing/ActivationFormat.h"

#include <nlohmann/json.hpp>

namespace moodsteer::probing {

std::map<std::string, std::string> activationMetadata(const ActivationSettings& s,
                                                      std::int64_t numClips,
                                                      const std::vector<std::string>& clipIds) {
    std::map<std::string, std::string> m{
        {"format", kActivationFormat},
        {"version", kActivationVersion},
        {"model_id", s.modelId},
        {"pooling", s.pooling},
        {"site", s.site},
        {"branch", s.branch},
        {"source", s.source},
        {"num_layers", std::to_string(s.numLayers)},
        {"hidden_size", std::to_string(s.hiddenSize)},
        {"num_clips", std::to_string(numClips)},
        {"label_names", nlohmann::json(s.labelNames).dump()},
    };
    if (!clipIds.empty()) m["clip_ids"] = nlohmann::json(clipIds).dump();
    return m;
}

void parseActivationMetadata(const std::map<std::string, std::string>& md, const std::string& path,
                             ActivationSettings& s, std::int64_t& numClips,
                             std::vector<std::string>& clipIds) {
    const auto fail = [&](const std::string& what) {
        throw ActivationSetError("activation set '" + path + "': " + what);
    };
    const auto get = [&](const std::string& key) -> const std::string& {
        auto it = md.find(key);
        if (it == md.end()) fail("metadata field '" + key + "' is missing");
        return it->second;
    };
    if (get("format") != kActivationFormat)
        fail("not an activation set (format '" + get("format") + "')");
    if (get("version") != kActivationVersion) fail("unsupported version '" + get("version") + "'");
    s.modelId = get("model_id");
    s.pooling = get("pooling");
    s.site = get("site");
    s.branch = get("branch");
    s.source = get("source");
    std::string field;
    try {
        field = "num_layers";
        s.numLayers = std::stoi(get(field));
        field = "hidden_size";
        s.hiddenSize = std::stoi(get(field));
        field = "num_clips";
        numClips = std::stoll(get(field));
        field = "label_names";
        s.labelNames = nlohmann::json::parse(get(field)).get<std::vector<std::string>>();
        clipIds.clear();
        if (md.count("clip_ids")) {
            field = "clip_ids";
            clipIds = nlohmann::json::parse(get(field)).get<std::vector<std::string>>();
        }
    } catch (const ActivationSetError&) {
        throw;
    } catch (const std::exception& e) {
        fail("metadata field '" + field + "' is malformed (" + e.what() + ")");
    }
    if (numClips < 0) fail("num_clips = " + std::to_string(numClips));
    if (!clipIds.empty() && static_cast<std::int64_t>(clipIds.size()) != numClips)
        fail("clip_ids has " + std::to_string(clipIds.size()) + " entries for " +
             std::to_string(numClips) + " clips");
    try {
        s.validate();
    } catch (const ActivationSetError& e) {
        fail(e.what());
    }
}

} // namespace moodsteer::probing
