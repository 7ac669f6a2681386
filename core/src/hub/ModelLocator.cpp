#include "core/hub/ModelLocator.h"

#include "core/engine/MusicEngine.h"
#include "core/hub/HubCache.h"
#include "core/hub/HubDownloader.h"
#include "core/hub/ModelCatalogue.h"
#include "core/hub/RepoRef.h"
#include "hub/ContentHash.h"
#include "models/Safetensors.h"

#include <filesystem>
#include <fstream>
#include <vector>

namespace moodsteer {
namespace fs = std::filesystem;

namespace {

std::string readRange(const fs::path& p, std::uint64_t offset, std::uint64_t n) {
    std::ifstream in(p, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset));
    std::string s(n, '\0');
    in.read(s.data(), static_cast<std::streamsize>(n));
    s.resize(static_cast<std::size_t>(in.gcount()));
    return s;
}

} // namespace

std::string folderContentHash(const std::string& folder) {
    constexpr std::uint64_t kWhole = 256ull << 20, kEdge = 16ull << 20;
    std::string summary;
    std::vector<std::string> names{"config.json",       "generation_config.json",
                                   "model.safetensors", "model.safetensors.index.json",
                                   "spiece.model",      "synthcodec.json"};
    try { // a sharded checkpoint: its shards too
        for (const auto& shard : models::SafetensorsReader::shardNamesInIndex(
                 (fs::path(folder) / "model.safetensors.index.json").string()))
            names.push_back(shard);
    } catch (const models::SafetensorsError&) {
        // no index (the usual case) or an unreadable one, which the loader reports
    }
    for (const auto& name : names) {
        const fs::path p = fs::path(folder) / name;
        std::error_code ec;
        if (!fs::is_regular_file(p, ec)) continue;
        const auto size = fs::file_size(p);
        std::string digest;
        if (size <= kWhole)
            digest = hub::sha256OfFile(p.string());
        else
            digest = hub::sha256OfText(readRange(p, 0, kEdge) + readRange(p, size - kEdge, kEdge));
        summary += name + " " + std::to_string(size) + " " + digest + "\n";
    }
    return "sha256:" + hub::sha256OfText(summary);
}

ModelLocator::ModelLocator(HubSettings settings) : settings_(std::move(settings)) {}

ModelSource ModelLocator::describeFolder(const std::string& folder) {
    ModelSource s;
    s.folder = fs::absolute(folder).lexically_normal().string();
    while (s.folder.size() > 1 && s.folder.back() == '/')
        s.folder.pop_back();
    if (auto id = HubCache::snapshotIdentity(s.folder)) {
        s.model = id->first;
        s.revision = id->second;
        return s;
    }
    const auto embedded = MusicEngine::embeddedModelFolder();
    std::error_code ec;
    s.model = !embedded.empty() && fs::equivalent(embedded, s.folder, ec) ? "embedded" : s.folder;
    s.contentHash = folderContentHash(s.folder);
    return s;
}

ModelSource ModelLocator::resolve(const std::string& spec) const {
    if (spec.empty() || spec == "embedded") {
        const auto folder = MusicEngine::embeddedModelFolder();
        if (folder.empty()) throw HubError("the embedded model is not installed (resources/model)");
        return describeFolder(folder);
    }
    std::error_code ec;
    if (fs::is_directory(spec, ec)) return describeFolder(spec); // a folder wins over an id
    if (!RepoRef::looksLikeRepoId(spec))
        throw HubError("model folder '" + spec + "' does not exist");
    const auto ref = RepoRef::parse(spec);
    const auto* entry = findCatalogueEntry(ref.id);
    if (entry && !entry->supported) throw HubError(ref.id + " is not supported: " + entry->reason);
    const auto folder = HubDownloader(settings_).cachedFolder(ref, filesFor(ref.id));
    if (folder.empty())
        throw HubError(spec + " is not downloaded (hub cache " + settings_.cacheRoot +
                       "); run: moodsteer-cli models pull " + spec);
    return describeFolder(folder);
}

std::string ModelLocator::mismatch(const Recipe& r, const ModelSource& loaded) {
    if (!r.modelRevision.empty() && !loaded.revision.empty() && r.modelRevision != loaded.revision)
        return "the recipe was made with " + r.model + "@" + r.modelRevision.substr(0, 12) +
               ", the model found is @" + loaded.revision.substr(0, 12) +
               ": not an exact regeneration (run: moodsteer-cli models pull " + r.model + "@" +
               r.modelRevision + ")";
    if (!r.modelHash.empty() && !loaded.contentHash.empty() && r.modelHash != loaded.contentHash)
        return "the model in " + loaded.folder + " is not the one the recipe was made with " +
               "(content hash " + loaded.contentHash.substr(0, 19) + " vs " +
               r.modelHash.substr(0, 19) + "): not an exact regeneration";
    if ((!r.modelRevision.empty() && loaded.revision.empty()) ||
        (!r.modelHash.empty() && loaded.contentHash.empty()))
        return "the recipe was made with " + r.model + ", not with " + loaded.model +
               ": not an exact regeneration";
    return "";
}

void ModelLocator::stamp(Recipe& r, const ModelSource& s, const std::string& precision) {
    r.model = s.model;
    r.modelRevision = s.revision;
    r.modelHash = s.contentHash;
    r.precision = precision;
}

} // namespace moodsteer
