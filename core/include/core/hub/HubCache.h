// The Hugging Face hub cache on disk, in huggingface_hub's layout, read and written in place:
//   <root>/models--org--name/blobs/<etag>          file contents, named by their hash
//   <root>/models--org--name/refs/main             the commit a branch or tag points to
//   <root>/models--org--name/snapshots/<commit>/f  symlinks into blobs/
// Models are used from their snapshot folder, never copied. Thread contract: the methods
// only read or rename files and may be called from any thread; concurrent writers are
// serialised by HubDownloader's per-blob lock files.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace moodsteer {

struct CachedRepo {
    std::string repoId;                      ///< "org/name"
    std::string folder;                      ///< <root>/models--org--name
    std::map<std::string, std::string> refs; ///< branch/tag -> commit
    std::vector<std::string> commits;        ///< snapshots present
    std::uint64_t blobBytes = 0;             ///< complete blobs (what deleting frees)
    std::uint64_t incompleteBytes = 0;       ///< interrupted downloads (resumable)
};

class HubCache {
  public:
    explicit HubCache(std::string root);
    const std::string& root() const { return root_; }

    /// <root>/models--org--name.
    std::string repoFolder(const std::string& repoId) const;
    /// The commit a revision names: a ref under refs/, or a commit with a snapshot folder;
    /// "" when the cache does not know it.
    std::string commitFor(const std::string& repoId, const std::string& revision) const;
    std::string snapshotFolder(const std::string& repoId, const std::string& commit) const;
    /// Files of `files` that are missing (or dangling links) in a snapshot.
    std::vector<std::string> missingFiles(const std::string& repoId, const std::string& commit,
                                          const std::vector<std::string>& files) const;

    std::vector<CachedRepo> list() const;
    std::optional<CachedRepo> find(const std::string& repoId) const;
    /// Deletes the repo's whole cache folder (it only holds downloads). False if absent.
    bool remove(const std::string& repoId) const;
    /// Re-hashes every file of a snapshot against the hash its blob is named by; returns one
    /// line per problem (dangling link, hash mismatch), empty when all is well.
    std::vector<std::string>
    verify(const std::string& repoId, const std::string& commit,
           const std::function<void(const std::string&)>& onFile = {}) const;

    /// If `folder` is <any root>/models--org--name/snapshots/<commit>: {repo id, commit}.
    static std::optional<std::pair<std::string, std::string>>
    snapshotIdentity(const std::string& folder);
    /// "org/name" <-> "models--org--name".
    static std::string folderNameFor(const std::string& repoId);
    static std::string repoIdFromFolderName(const std::string& name);

  private:
    std::string root_;
};

} // namespace moodsteer
