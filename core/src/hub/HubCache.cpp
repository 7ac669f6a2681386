#include "core/hub/HubCache.h"

#include "models/Safetensors.h"

#include "hub/ContentHash.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace moodsteer {
namespace fs = std::filesystem;

HubCache::HubCache(std::string root) : root_(std::move(root)) {}

std::string HubCache::folderNameFor(const std::string& repoId) {
    std::string name = "models--";
    for (char c : repoId) {
        if (c == '/')
            name += "--";
        else
            name += c;
    }
    return name;
}

std::string HubCache::repoIdFromFolderName(const std::string& name) {
    const std::string prefix = "models--";
    if (name.rfind(prefix, 0) != 0) return "";
    std::string rest = name.substr(prefix.size());
    const auto sep = rest.find("--");
    if (sep == std::string::npos) return rest; // a legacy id without an organisation
    return rest.substr(0, sep) + "/" + rest.substr(sep + 2);
}

std::string HubCache::repoFolder(const std::string& repoId) const {
    return (fs::path(root_) / folderNameFor(repoId)).string();
}

std::string HubCache::snapshotFolder(const std::string& repoId, const std::string& commit) const {
    return (fs::path(repoFolder(repoId)) / "snapshots" / commit).string();
}

std::string HubCache::commitFor(const std::string& repoId, const std::string& revision) const {
    const fs::path repo = repoFolder(repoId);
    std::error_code ec;
    if (hub::isHexDigest(revision, 40) && fs::is_directory(repo / "snapshots" / revision, ec))
        return revision;
    std::ifstream in(repo / "refs" / revision);
    std::string commit;
    if (in && std::getline(in, commit)) {
        while (!commit.empty() && std::isspace(static_cast<unsigned char>(commit.back())))
            commit.pop_back();
        if (hub::isHexDigest(commit, 40)) return commit;
    }
    return "";
}

std::vector<std::string> HubCache::missingFiles(const std::string& repoId,
                                                const std::string& commit,
                                                const std::vector<std::string>& files) const {
    std::vector<std::string> missing;
    const fs::path snap = snapshotFolder(repoId, commit);
    for (const auto& f : files) {
        std::error_code ec;
        if (fs::is_regular_file(snap / f, ec)) continue; // follows the link
        // Weights stored in shards: the index and every shard it names stand for the file.
        const std::string index = f + ".index.json";
        if (f.size() > 12 && f.compare(f.size() - 12, 12, ".safetensors") == 0 &&
            fs::is_regular_file(snap / index, ec)) {
            try {
                for (const auto& shard :
                     models::SafetensorsReader::shardNamesInIndex((snap / index).string()))
                    if (!fs::is_regular_file(snap / shard, ec)) missing.push_back(shard);
            } catch (const models::SafetensorsError&) {
                missing.push_back(index); // unreadable: fetch it again
            }
            continue;
        }
        missing.push_back(f);
    }
    return missing;
}

std::optional<CachedRepo> HubCache::find(const std::string& repoId) const {
    const fs::path repo = repoFolder(repoId);
    std::error_code ec;
    if (!fs::is_directory(repo, ec)) return std::nullopt;
    CachedRepo r;
    r.repoId = repoId;
    r.folder = repo.string();
    if (fs::is_directory(repo / "refs", ec))
        for (const auto& e : fs::recursive_directory_iterator(repo / "refs", ec)) {
            if (!e.is_regular_file()) continue;
            const auto name = e.path().lexically_relative(repo / "refs").string();
            const auto commit = commitFor(repoId, name);
            if (!commit.empty()) r.refs[name] = commit;
        }
    if (fs::is_directory(repo / "snapshots", ec))
        for (const auto& e : fs::directory_iterator(repo / "snapshots", ec))
            if (e.is_directory()) r.commits.push_back(e.path().filename().string());
    std::sort(r.commits.begin(), r.commits.end());
    if (fs::is_directory(repo / "blobs", ec))
        for (const auto& e : fs::directory_iterator(repo / "blobs", ec)) {
            if (!e.is_regular_file()) continue;
            const auto size = e.file_size(ec);
            if (e.path().extension() == ".incomplete")
                r.incompleteBytes += size;
            else
                r.blobBytes += size;
        }
    return r;
}

std::vector<CachedRepo> HubCache::list() const {
    std::vector<CachedRepo> repos;
    std::error_code ec;
    if (!fs::is_directory(root_, ec)) return repos;
    for (const auto& e : fs::directory_iterator(root_, ec)) {
        const auto id = repoIdFromFolderName(e.path().filename().string());
        if (id.empty() || !e.is_directory()) continue; // datasets--, spaces--, .locks
        if (auto r = find(id)) repos.push_back(*r);
    }
    std::sort(repos.begin(), repos.end(),
              [](const CachedRepo& a, const CachedRepo& b) { return a.repoId < b.repoId; });
    return repos;
}

bool HubCache::remove(const std::string& repoId) const {
    const fs::path repo = repoFolder(repoId);
    std::error_code ec;
    if (!fs::is_directory(repo, ec)) return false;
    fs::remove_all(repo, ec);
    if (ec) throw std::runtime_error("cannot remove '" + repo.string() + "': " + ec.message());
    fs::remove_all(fs::path(root_) / ".locks" / folderNameFor(repoId), ec);
    return true;
}

std::vector<std::string>
HubCache::verify(const std::string& repoId, const std::string& commit,
                 const std::function<void(const std::string&)>& onFile) const {
    std::vector<std::string> problems;
    const fs::path snap = snapshotFolder(repoId, commit);
    std::error_code ec;
    if (!fs::is_directory(snap, ec))
        return {repoId + ": no snapshot " + commit + " in " + repoFolder(repoId)};
    for (const auto& e : fs::recursive_directory_iterator(snap, ec)) {
        if (e.is_directory()) continue;
        const auto rel = e.path().lexically_relative(snap).string(); // not through the link
        if (onFile) onFile(rel);
        if (!fs::exists(e.path(), ec)) { // dangling symlink
            problems.push_back(rel + ": its blob is missing");
            continue;
        }
        if (!e.is_symlink()) continue; // a plain file (not made by a download): nothing to check
        const auto blob = fs::canonical(e.path(), ec);
        const auto etag = blob.filename().string();
        const auto got = hub::hashLike(etag, blob.string());
        if (got.empty()) continue;
        if (got != etag)
            problems.push_back(rel + ": content hash " + got + " differs from its name " + etag);
    }
    return problems;
}

std::optional<std::pair<std::string, std::string>>
HubCache::snapshotIdentity(const std::string& folder) {
    std::error_code ec;
    fs::path p = fs::absolute(folder, ec).lexically_normal();
    if (p.has_filename() == false) p = p.parent_path();
    const auto commit = p.filename().string();
    const auto snaps = p.parent_path();
    if (snaps.filename() != "snapshots" || !hub::isHexDigest(commit, 40)) return std::nullopt;
    const auto id = repoIdFromFolderName(snaps.parent_path().filename().string());
    if (id.empty()) return std::nullopt;
    return std::make_pair(id, commit);
}

} // namespace moodsteer
