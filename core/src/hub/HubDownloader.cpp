#include "core/hub/HubDownloader.h"

#include "core/hub/HubCache.h"
#include "hub/ContentHash.h"
#include "hub/FileLock.h"
#include "hub/HttpRequest.h"
#include "hub/HubResponses.h"
#include "models/Safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <unistd.h>

namespace moodsteer {
namespace fs = std::filesystem;
using hub::HttpRequest;
using hub::HttpResponse;

namespace {

using Clock = std::chrono::steady_clock;

std::string urlEncode(const std::string& s, bool keepSlash) {
    static const char* digits = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
            (keepSlash && c == '/'))
            out += static_cast<char>(c);
        else {
            out += '%';
            out += digits[c >> 4];
            out += digits[c & 15];
        }
    }
    return out;
}

std::string header(const HttpResponse& r, const std::string& name) {
    auto it = r.headers.find(name);
    return it == r.headers.end() ? "" : it->second;
}

// One line per HTTP failure; the hub's own X-Error-Message says more when it sends one.
void throwForStatus(const HttpResponse& r, const std::string& what, const std::string& repo) {
    if (r.status >= 200 && r.status < 400) return;
    std::string detail = header(r, "x-error-message");
    if (!detail.empty()) detail = " (" + detail + ")";
    if (r.status == 401 || r.status == 403)
        throw HubError(what + ": access refused (HTTP " + std::to_string(r.status) + ")" + detail +
                       ": " + repo +
                       " is gated or private; accept its licence on the hub and set HF_TOKEN to "
                       "a token with access");
    if (r.status == 404)
        throw HubError(what + ": not found (HTTP 404)" + detail +
                       ": check the repo id and revision");
    throw HubError(what + ": the hub answered HTTP " + std::to_string(r.status) + detail);
}

struct FilePlan {
    std::string name;
    std::string etag;
    std::uint64_t size = 0;
    std::string url;
};

std::string formatBytes(std::uint64_t b) {
    char s[32];
    std::snprintf(s, sizeof s, "%.1f MB", b / 1e6);
    return s;
}

} // namespace

HubDownloader::HubDownloader(HubSettings settings) : settings_(std::move(settings)) {}

std::string HubDownloader::cachedFolder(const RepoRef& ref, const ModelFiles& files) const {
    HubCache cache(settings_.cacheRoot);
    const auto commit = cache.commitFor(ref.id, ref.revision);
    if (commit.empty() || !cache.missingFiles(ref.id, commit, files.required).empty()) return "";
    return cache.snapshotFolder(ref.id, commit);
}

PullResult HubDownloader::pull(const RepoRef& ref, const ModelFiles& files,
                               const std::function<void(const DownloadProgress&)>& onProgress,
                               const std::atomic<bool>* cancel) {
    HubCache cache(settings_.cacheRoot);
    PullResult result;
    result.repoId = ref.id;
    const fs::path repoDir = cache.repoFolder(ref.id);

    if (settings_.offline) {
        result.commit = cache.commitFor(ref.id, ref.revision);
        if (result.commit.empty())
            throw HubError(ref.toString() + " is not in the cache (" + settings_.cacheRoot +
                           ") and HF_HUB_OFFLINE=1 forbids downloading it");
        const auto missing = cache.missingFiles(ref.id, result.commit, files.required);
        if (!missing.empty())
            throw HubError(ref.toString() + ": " + missing.front() +
                           " is missing from the cached snapshot and HF_HUB_OFFLINE=1 forbids "
                           "downloading it");
        result.folder = cache.snapshotFolder(ref.id, result.commit);
        for (const auto& f : files.required)
            result.files.push_back(f);
        for (const auto& f : files.optional)
            if (cache.missingFiles(ref.id, result.commit, {f}).empty()) result.files.push_back(f);
        return result;
    }

    // Pin the revision to a commit and learn which files the repo has.
    const std::string api = settings_.endpoint + "/api/models/" + urlEncode(ref.id, true) +
                            "/revision/" + urlEncode(ref.revision, false);
    const auto info = HttpRequest(api, settings_.token).get();
    throwForStatus(info, ref.toString(), ref.id);
    const auto answer = hub::parseRevisionAnswer(info.body, ref.toString(), settings_.endpoint);
    result.commit = answer.commit;
    const bool haveSiblings = answer.haveSiblings;
    const auto& siblings = answer.siblings;
    // Weights stored in shards (transformers' X.safetensors.index.json + the files it names,
    // as facebook/musicgen-large is): the index is fetched first, then the shards it lists.
    std::vector<std::string> wanted, indexes;
    for (const auto& f : files.required)
        if (haveSiblings && !siblings.count(f) && siblings.count(f + ".index.json"))
            indexes.push_back(f + ".index.json");
        else if (haveSiblings && !siblings.count(f))
            throw HubError(ref.id + "@" + result.commit.substr(0, 10) + " has no " + f +
                           ": not a layout this engine reads");
        else
            wanted.push_back(f);
    for (const auto& f : files.optional)
        if (!haveSiblings || siblings.count(f)) wanted.push_back(f);

    // What is missing, with its hash and size from a HEAD (not following the redirect: the
    // LFS headers are on the hub's own answer). nullopt: cached, or an optional file absent.
    auto planFile = [&](const std::string& f) -> std::optional<FilePlan> {
        if (cache.missingFiles(ref.id, result.commit, {f}).empty()) {
            result.files.push_back(f);
            return std::nullopt;
        }
        FilePlan p;
        p.name = f;
        p.url = settings_.endpoint + "/" + urlEncode(ref.id, true) + "/resolve/" + result.commit +
                "/" + urlEncode(f, true);
        auto head = HttpRequest(p.url, settings_.token).head();
        if (head.status >= 300 && head.status < 400 && header(head, "x-linked-etag").empty()) {
            // A relative redirect (a renamed repo): follow it once for the headers.
            auto loc = header(head, "location");
            if (!loc.empty() && loc.front() == '/')
                head = HttpRequest(settings_.endpoint + loc, settings_.token).head();
        }
        if (head.status == 404 &&
            std::find(files.optional.begin(), files.optional.end(), f) != files.optional.end())
            return std::nullopt; // an optional file the repo does not have
        throwForStatus(head, ref.id + "/" + f, ref.id);
        const auto headers = hub::parseFileHeaders(head.headers, ref.id + "/" + f);
        p.etag = headers.etag;
        p.size = headers.size;
        return p;
    };

    fs::create_directories(repoDir / "blobs");
    const fs::path locks =
        fs::path(settings_.cacheRoot) / ".locks" / HubCache::folderNameFor(ref.id);
    fs::create_directories(locks);
    std::vector<FilePlan> plan; // every file fetched, linked into the snapshot at the end
    std::uint64_t total = 0, doneBefore = 0;
    const auto started = Clock::now();
    std::uint64_t transferred = 0; // bytes that crossed the network in this pull
    auto fetchAll = [&](const std::vector<FilePlan>& batch) {
        total = doneBefore;
        for (const auto& p : batch)
            total += p.size;
        for (const auto& p : batch) {
            hub::FileLock lock((locks / (p.etag + ".lock")).string(), cancel);
            const fs::path blob = repoDir / "blobs" / p.etag;
            const fs::path partial = repoDir / "blobs" / (p.etag + ".incomplete");
            std::error_code ec;
            if (!fs::exists(blob, ec)) { // else another process fetched it while we waited
                std::uint64_t offset = fs::exists(partial, ec) ? fs::file_size(partial, ec) : 0;
                if (p.size > 0 && offset > p.size) offset = 0; // not the file we want
                const std::uint64_t resumedAt = offset;
                auto progress = [&](std::uint64_t fileBytes) {
                    if (cancel && cancel->load()) return false;
                    if (onProgress) {
                        DownloadProgress d;
                        d.file = p.name;
                        d.fileBytes = fileBytes;
                        d.fileTotal = p.size;
                        d.bytes = doneBefore + fileBytes;
                        d.total = total;
                        const double secs =
                            std::chrono::duration<double>(Clock::now() - started).count();
                        const double moved =
                            static_cast<double>(transferred + fileBytes - resumedAt);
                        d.bytesPerSecond = secs > 0.2 ? moved / secs : 0;
                        d.secondsLeft = d.bytesPerSecond > 0 && total >= d.bytes
                                            ? (total - d.bytes) / d.bytesPerSecond
                                            : -1;
                        onProgress(d);
                    }
                    return true;
                };
                // A dropped connection resumes from what arrived, a few times, before giving up.
                for (int attempt = 0;; ++attempt) {
                    HttpRequest get(p.url, settings_.token);
                    try {
                        const auto r = get.download(partial.string(), offset, progress);
                        if (get.cancelled())
                            throw HubCancelled(
                                "cancelled: " + ref.id + "/" + p.name +
                                " stays partly downloaded and resumes on the next pull");
                        if (r.status == 416 && offset == p.size) break; // already complete
                        throwForStatus(r, ref.id + "/" + p.name, ref.id);
                        const auto got = fs::file_size(partial, ec);
                        if (p.size == 0 || got == p.size) break;
                        if (got > p.size) {
                            fs::remove(partial, ec);
                            throw HubError(
                                ref.id + "/" + p.name +
                                ": received more bytes than the hub announced; discarded");
                        }
                        if (attempt >= 4)
                            throw HubError(ref.id + "/" + p.name +
                                           ": the connection kept closing early (" +
                                           formatBytes(got) + " of " + formatBytes(p.size) +
                                           "); run the pull again to resume");
                    } catch (const HubCancelled&) {
                        throw;
                    } catch (const HubError& e) {
                        const std::string msg = e.what();
                        if (attempt >= 4 || msg.rfind("connection to", 0) != 0) throw;
                    }
                    offset = fs::exists(partial, ec) ? fs::file_size(partial, ec) : 0;
                }
                transferred += fs::file_size(partial, ec) - resumedAt;
                const auto got = hub::hashLike(p.etag, partial.string());
                if (!got.empty() && got != p.etag) {
                    fs::remove(partial, ec);
                    throw HubError(ref.id + "/" + p.name + ": the downloaded file hashes to " +
                                   got + " but the hub announced " + p.etag + "; it was discarded");
                }
                fs::rename(partial, blob, ec);
                if (ec)
                    throw HubError("cannot move '" + partial.string() +
                                   "' into place: " + ec.message());
            }
            doneBefore += p.size;
            result.downloadedBytes = transferred;
            plan.push_back(p);
        }
    };

    std::vector<FilePlan> batch;
    for (const auto& index : indexes)
        if (auto p = planFile(index)) batch.push_back(*p);
    fetchAll(batch);
    for (const auto& index : indexes) {
        // The index as fetched now (its blob) or as cached (the snapshot's link).
        std::string path = (fs::path(cache.snapshotFolder(ref.id, result.commit)) / index).string();
        for (const auto& p : plan)
            if (p.name == index) path = (repoDir / "blobs" / p.etag).string();
        try {
            for (const auto& shard : models::SafetensorsReader::shardNamesInIndex(path))
                wanted.push_back(shard);
        } catch (const models::SafetensorsError& e) {
            throw HubError(ref.id + "/" + index + ": " + e.what());
        }
    }
    batch.clear();
    for (const auto& f : wanted)
        if (auto p = planFile(f)) batch.push_back(*p);
    fetchAll(batch);

    // Only verified blobs exist now: link the snapshot (symlink to a temporary name, then
    // rename, so a concurrent reader never sees a half-made link).
    const fs::path snap = cache.snapshotFolder(ref.id, result.commit);
    for (const auto& p : plan) {
        const fs::path link = snap / p.name;
        fs::create_directories(link.parent_path());
        const fs::path target = fs::relative(repoDir / "blobs" / p.etag, link.parent_path());
        const fs::path tmp = link.string() + ".tmp-link-" + std::to_string(::getpid());
        std::error_code ec;
        fs::remove(tmp, ec);
        fs::create_symlink(target, tmp, ec);
        if (!ec) fs::rename(tmp, link, ec);
        if (ec) throw HubError("cannot link '" + link.string() + "': " + ec.message());
        result.files.push_back(p.name);
    }
    if (ref.revision != result.commit) {
        fs::create_directories((repoDir / "refs" / ref.revision).parent_path());
        const fs::path refFile = repoDir / "refs" / ref.revision;
        const fs::path tmp = refFile.string() + ".tmp-" + std::to_string(::getpid());
        {
            std::ofstream out(tmp);
            out << result.commit;
            if (!out) throw HubError("cannot write '" + refFile.string() + "'");
        }
        std::error_code ec;
        fs::rename(tmp, refFile, ec);
        if (ec) throw HubError("cannot write '" + refFile.string() + "': " + ec.message());
    }
    result.folder = snap.string();
    return result;
}

} // namespace moodsteer
