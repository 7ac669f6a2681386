// moodsteer-cli models: the model manager. Lists the catalogue, the Hugging Face cache and
// added folders; pulls repos into the shared cache (resumable, verified, pinned); removes,
// verifies and locates them. Network settings come from HF_ENDPOINT / HF_TOKEN /
// HF_HUB_OFFLINE, the cache from HF_HUB_CACHE / HF_HOME (see core/hub/HubSettings.h).
#include "CliCommand.h"
#include "CliSupport.h"

#include "core/engine/MusicEngine.h"
#include "core/hub/HubCache.h"
#include "core/hub/HubDownloader.h"
#include "core/hub/LocalModelList.h"
#include "core/hub/ModelCatalogue.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>

namespace moodsteer::cli {
namespace fs = std::filesystem;
namespace {

const char* kHelp =
    R"(usage: moodsteer-cli models list|pull ID[@REV]|rm ID|verify ID[@REV]|path ID[@REV]|add DIR [--json]

  list            the catalogue (musicgen-small/medium/large, MERT, ...), what is in the Hugging
                  Face cache (shared with Python) and added folders, with sizes and revisions
  pull ID[@REV]   download a repo (any MusicGen-layout repo id, not only the catalogue's) into
                  the cache: only the files the engine needs, resumable, sha256-checked, the
                  revision pinned to its commit; Ctrl+C stops and keeps the partial file
  rm ID|DIR       delete a repo from the cache, or forget an added folder (the folder stays)
  verify ID[@REV] re-hash every file of the cached snapshot
  path ID[@REV]   print the snapshot folder (usable as --model)
  add DIR         remember a local model folder (used in place)

Environment: HF_ENDPOINT (default https://huggingface.co), HF_TOKEN (gated/private repos),
HF_HUB_OFFLINE=1 (never connect), HF_HUB_CACHE / HF_HOME (cache location).)";

std::atomic<bool> gCancel{false};
extern "C" void onInterrupt(int) {
    gCancel = true;
}

std::string humanBytes(double b) {
    char s[32];
    if (b >= 1e9)
        std::snprintf(s, sizeof s, "%.2f GB", b / 1e9);
    else
        std::snprintf(s, sizeof s, "%.1f MB", b / 1e6);
    return s;
}

std::uint64_t folderBytes(const std::string& folder) {
    std::uint64_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(folder, ec))
        if (e.is_regular_file(ec)) n += e.file_size(ec); // follows snapshot links
    return n;
}

RepoRef parseRef(const std::string& text) {
    try {
        return RepoRef::parse(text);
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
}

int list(const HubSettings& settings, bool json) {
    HubCache cache(settings.cacheRoot);
    auto rows = nlohmann::ordered_json::array();
    std::set<std::string> seen;
    for (const auto& e : modelCatalogue()) {
        nlohmann::ordered_json row{{"id", e.id},
                                   {"title", e.title},
                                   {"kind", e.kind},
                                   {"licence", e.licence},
                                   {"supported", e.supported}};
        if (!e.supported) row["reason"] = e.reason;
        row["download_gb"] = e.downloadGB;
        if (e.id == "embedded") {
            const auto folder = MusicEngine::embeddedModelFolder();
            row["installed"] = !folder.empty();
            row["folder"] = folder;
            row["bytes"] = folder.empty() ? 0 : folderBytes(folder);
            row["source"] = "embedded";
        } else {
            row["installed"] = false;
            row["source"] = "catalogue";
        }
        rows.push_back(row);
        seen.insert(e.id);
    }
    for (const auto& r : cache.list()) {
        const auto files = filesFor(r.repoId);
        nlohmann::ordered_json* row = nullptr;
        for (auto& existing : rows)
            if (existing["id"] == r.repoId) row = &existing;
        if (!row) {
            rows.push_back(
                {{"id", r.repoId}, {"title", "(not in the catalogue)"}, {"kind", "musicgen"}});
            row = &rows.back();
        }
        const auto main =
            r.refs.count("main") ? r.refs.at("main") : (r.commits.empty() ? "" : r.commits.back());
        const bool complete =
            !main.empty() && cache.missingFiles(r.repoId, main, files.required).empty();
        (*row)["installed"] = complete;
        (*row)["source"] = "hub-cache";
        (*row)["revision"] = main;
        (*row)["folder"] = main.empty() ? "" : cache.snapshotFolder(r.repoId, main);
        (*row)["bytes"] = r.blobBytes;
        if (r.incompleteBytes > 0) (*row)["partial_bytes"] = r.incompleteBytes;
    }
    for (const auto& folder : LocalModelList().folders()) {
        std::error_code ec;
        rows.push_back({{"id", folder},
                        {"title", "local folder"},
                        {"kind", "musicgen"},
                        {"installed", fs::exists(fs::path(folder) / "config.json", ec)},
                        {"source", "local"},
                        {"folder", folder},
                        {"bytes", folderBytes(folder)}});
    }
    if (json) {
        std::cout << nlohmann::ordered_json{{"cache", settings.cacheRoot}, {"models", rows}}.dump(2)
                  << "\n";
        return 0;
    }
    std::cout << "hub cache: " << settings.cacheRoot << (settings.offline ? "  (offline)" : "")
              << "\n";
    for (const auto& r : rows) {
        std::string state;
        if (r.contains("reason"))
            state = "unsupported: " + r["reason"].get<std::string>();
        else if (r.value("installed", false))
            state = "installed, " + humanBytes(r.value("bytes", 0.0)) +
                    (r.contains("revision") ? " @" + r["revision"].get<std::string>().substr(0, 10)
                                            : "") +
                    "  " + r.value("folder", std::string());
        else if (r.contains("partial_bytes"))
            state = "partly downloaded (" + humanBytes(r["partial_bytes"].get<double>()) +
                    "): moodsteer-cli models pull " + r["id"].get<std::string>() + " resumes";
        else
            state = "not downloaded (~" + humanBytes(r.value("download_gb", 0.0) * 1e9) + ")";
        std::printf("%-28s %s\n", r["id"].get<std::string>().c_str(), state.c_str());
    }
    return 0;
}

int pull(const HubSettings& settings, const std::string& spec, bool json) {
    const auto ref = parseRef(spec);
    if (const auto* e = findCatalogueEntry(ref.id); e && !e->supported)
        throw std::runtime_error(ref.id + " is not supported: " + e->reason);
    std::signal(SIGINT, onInterrupt);
    double lastPrint = -1;
    auto progress = [&](const DownloadProgress& p) {
        if (json) return;
        const double frac = p.total ? static_cast<double>(p.bytes) / p.total : 0;
        if (frac - lastPrint < 0.002 && p.bytes != p.total) return;
        lastPrint = frac;
        std::string left = p.secondsLeft >= 0
                               ? std::to_string(static_cast<int>(p.secondsLeft + 0.5)) + " s left"
                               : "";
        std::fprintf(stderr, "\r%s  %s / %s  %.1f MB/s  %s        ", p.file.c_str(),
                     humanBytes(p.bytes).c_str(), humanBytes(p.total).c_str(),
                     p.bytesPerSecond / 1e6, left.c_str());
    };
    PullResult r;
    try {
        r = HubDownloader(settings).pull(ref, filesFor(ref.id), progress, &gCancel);
    } catch (...) {
        if (!json && lastPrint >= 0) std::fprintf(stderr, "\n");
        throw;
    }
    if (!json && lastPrint >= 0) std::fprintf(stderr, "\n");
    if (json) {
        std::cout << nlohmann::ordered_json{{"id", r.repoId},
                                            {"revision", r.commit},
                                            {"folder", r.folder},
                                            {"files", r.files},
                                            {"downloaded_bytes", r.downloadedBytes}}
                         .dump(2)
                  << "\n";
    } else {
        std::cerr << ref.id << " @" << r.commit
                  << (r.downloadedBytes ? " downloaded (" + humanBytes(r.downloadedBytes) + ")"
                                        : " already in the cache")
                  << "\n";
        std::cout << r.folder << "\n";
    }
    return 0;
}

int remove(const HubSettings& settings, const std::string& spec, bool json) {
    std::error_code ec;
    if (!RepoRef::looksLikeRepoId(spec) || fs::is_directory(spec, ec)) {
        if (!LocalModelList().remove(spec))
            throw std::runtime_error("'" + spec + "' is neither a cached repo nor an added folder");
        if (json)
            std::cout << nlohmann::json{{"removed", spec}, {"kind", "local"}}.dump() << "\n";
        else
            std::cerr << "forgot " << spec << " (the folder itself is untouched)\n";
        return 0;
    }
    const auto ref = parseRef(spec);
    HubCache cache(settings.cacheRoot);
    const auto before = cache.find(ref.id);
    if (!before || !cache.remove(ref.id))
        throw std::runtime_error(ref.id + " is not in the hub cache (" + settings.cacheRoot + ")");
    if (json)
        std::cout << nlohmann::json{{"removed", ref.id},
                                    {"freed_bytes", before->blobBytes + before->incompleteBytes}}
                         .dump()
                  << "\n";
    else
        std::cerr << "removed " << ref.id << " ("
                  << humanBytes(before->blobBytes + before->incompleteBytes) << " freed)\n";
    return 0;
}

std::string commitOrThrow(const HubSettings& settings, const RepoRef& ref) {
    const auto commit = HubCache(settings.cacheRoot).commitFor(ref.id, ref.revision);
    if (commit.empty())
        throw std::runtime_error(ref.toString() +
                                 " is not downloaded; run: moodsteer-cli models pull " +
                                 ref.toString());
    return commit;
}

int verify(const HubSettings& settings, const std::string& spec, bool json) {
    const auto ref = parseRef(spec);
    const auto commit = commitOrThrow(settings, ref);
    HubCache cache(settings.cacheRoot);
    const auto problems = cache.verify(ref.id, commit, [&](const std::string& f) {
        if (!json) std::cerr << "checking " << f << "\n";
    });
    const auto missing = cache.missingFiles(ref.id, commit, filesFor(ref.id).required);
    std::vector<std::string> all = problems;
    for (const auto& m : missing)
        all.push_back(m + ": missing from the snapshot");
    if (json)
        std::cout << nlohmann::ordered_json{{"id", ref.id},
                                            {"revision", commit},
                                            {"ok", all.empty()},
                                            {"problems", all}}
                         .dump(2)
                  << "\n";
    if (!all.empty())
        throw std::runtime_error(
            ref.id + ": " + all.front() +
            (all.size() > 1 ? " (and " + std::to_string(all.size() - 1) + " more)" : ""));
    if (!json) std::cerr << ref.id << " @" << commit << ": every file matches its hash\n";
    return 0;
}

int path(const HubSettings& settings, const std::string& spec, bool json) {
    const auto ref = parseRef(spec);
    const auto folder = HubDownloader(settings).cachedFolder(ref, filesFor(ref.id));
    if (folder.empty())
        throw std::runtime_error(ref.toString() +
                                 " is not downloaded; run: moodsteer-cli models pull " +
                                 ref.toString());
    if (json)
        std::cout << nlohmann::json{{"id", ref.id}, {"folder", folder}}.dump() << "\n";
    else
        std::cout << folder << "\n";
    return 0;
}

} // namespace

static int runModels(const std::vector<std::string>& argv) {
    Args args(argv, {"json", "help"});
    if (args.has("help")) {
        std::cout << kHelp << "\n";
        return 0;
    }
    args.allowOnly({"json", "help"});
    const auto& pos = args.positional();
    if (pos.empty()) throw UsageError("missing sub-command (list, pull, rm, verify, path or add)");
    const std::string sub = pos[0];
    const bool json = args.has("json");
    const auto settings = HubSettings::fromEnvironment();
    if (sub == "list") {
        if (pos.size() != 1) throw UsageError("list takes no arguments");
        return list(settings, json);
    }
    if (sub != "pull" && sub != "rm" && sub != "verify" && sub != "path" && sub != "add")
        throw UsageError("unknown sub-command '" + sub + "' (list, pull, rm, verify, path or add)");
    if (pos.size() != 2) throw UsageError(sub + " needs exactly one model id");
    if (sub == "pull") return pull(settings, pos[1], json);
    if (sub == "rm") return remove(settings, pos[1], json);
    if (sub == "verify") return verify(settings, pos[1], json);
    if (sub == "path") return path(settings, pos[1], json);
    const auto stored = LocalModelList().add(pos[1]);
    if (json)
        std::cout << nlohmann::json{{"added", stored}}.dump() << "\n";
    else
        std::cerr << "added " << stored << "\n";
    return 0;
}

static CliCommand modelsCommand("models",
                                "list, download, verify and remove models (Hugging Face cache)",
                                runModels);

} // namespace moodsteer::cli
