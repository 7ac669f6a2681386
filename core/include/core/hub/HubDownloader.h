// Downloads a model repository from a Hugging Face hub (HF_ENDPOINT) into the shared hub cache
// (see HubCache.h), exactly as huggingface_hub lays it out: only the files the engine needs,
// resumed with HTTP Range from blobs/<etag>.incomplete, checked against the sha256 the hub
// publishes (X-Linked-Etag) before the atomic rename into blobs/, one lock file per blob so
// that two processes never download the same blob, the revision pinned to a commit.
//
// Thread contract: one pull() per HubDownloader at a time, on any thread; onProgress runs on
// that thread; `cancel` may be set from any thread (checked at least once a second).
#pragma once

#include "core/hub/HubSettings.h"
#include "core/hub/RepoRef.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace moodsteer {

/// A hub or cache failure, with a one-line reason naming the repo or file.
class HubError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};
/// The pull was cancelled; interrupted files stay as .incomplete blobs and resume next time.
class HubCancelled : public HubError {
  public:
    using HubError::HubError;
};

struct DownloadProgress {
    std::string file;
    std::uint64_t fileBytes = 0, fileTotal = 0; ///< this file
    std::uint64_t bytes = 0, total = 0;         ///< every file of this pull still to fetch
    double bytesPerSecond = 0;
    double secondsLeft = -1; ///< -1 while unknown
};

struct ModelFiles {
    std::vector<std::string> required{"config.json", "model.safetensors"};
    std::vector<std::string> optional{"generation_config.json", "spiece.model"};
};

struct PullResult {
    std::string repoId;
    std::string commit; ///< the pinned revision
    std::string folder; ///< the snapshot folder, ready for MusicEngine::load
    std::vector<std::string> files;
    std::uint64_t downloadedBytes = 0; ///< 0 when everything was already cached
};

class HubDownloader {
  public:
    explicit HubDownloader(HubSettings settings);

    /// Makes the files of `ref` available in the cache and returns the snapshot. Offline
    /// (HF_HUB_OFFLINE=1) it never connects: it answers from the cache or throws. Throws
    /// HubError (HubCancelled when cancelled) with one line: 401/403 (gated or private),
    /// 404 (no such repo, revision or file), hash mismatch, transport failures.
    PullResult pull(const RepoRef& ref, const ModelFiles& files = {},
                    const std::function<void(const DownloadProgress&)>& onProgress = {},
                    const std::atomic<bool>* cancel = nullptr);

    /// The snapshot of `ref` already in the cache with every required file, or "".
    std::string cachedFolder(const RepoRef& ref, const ModelFiles& files = {}) const;

    const HubSettings& settings() const { return settings_; }

  private:
    HubSettings settings_;
};

} // namespace moodsteer
