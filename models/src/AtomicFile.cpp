#include "models/AtomicFile.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace moodsteer::models {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTmpTag = ".moodsteer-tmp-";
constexpr const char* kOldTag = ".moodsteer-old-";

std::string errnoText(int err) {
    return std::strerror(err);
}

std::string folderOf(const std::string& path) {
    fs::path dir = fs::path(path).parent_path();
    return dir.empty() ? std::string(".") : dir.string();
}

/// "<folder>/.<name><tag><pid>-XXXXXX<.ext>": mkstemps/mkdtemp fill in the X's. Files keep the
/// target's extension, because writers such as libsndfile choose the format by it.
std::string tempPattern(const std::string& path, const char* tag, std::string* suffix) {
    fs::path target(path);
    std::string name = ".";
    name += target.filename().string();
    name += tag;
    name += std::to_string(::getpid());
    name += "-XXXXXX";
    if (suffix) {
        *suffix = target.extension().string();
        if (suffix->size() > 16) suffix->clear();
        name += *suffix;
    }
    return (fs::path(folderOf(path)) / name).string();
}

/// Creates a unique file from a tempPattern (with its suffix); returns the fd or -1.
int createUnique(std::string& pattern, const std::string& suffix) {
    return ::mkostemps(pattern.data(), static_cast<int>(suffix.size()), O_CLOEXEC);
}

/// Each folder is swept for stale temporaries once per process (a readdir per folder).
void sweepOnce(const std::string& folder) {
    static std::mutex mutex;
    static std::set<std::string> swept;
    std::error_code ec;
    std::string key = fs::weakly_canonical(folder, ec).string();
    if (ec) key = folder;
    {
        std::lock_guard lock(mutex);
        if (!swept.insert(key).second) return;
    }
    removeStaleTemporaries(folder);
}

void fsyncPath(const std::string& path, const std::string& target) {
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) throw std::runtime_error("cannot write '" + target + "': " + errnoText(errno));
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) throw std::runtime_error("cannot write '" + target + "': " + errnoText(err));
}

/// Exclusive flock on a folder for the duration of a commit (released on close).
class FolderLock {
  public:
    explicit FolderLock(const std::string& folder) {
        fd_ = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd_ < 0)
            throw std::runtime_error("cannot open folder '" + folder + "': " + errnoText(errno));
        while (::flock(fd_, LOCK_EX) != 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            ::close(fd_);
            throw std::runtime_error("cannot lock folder '" + folder + "': " + errnoText(err));
        }
    }
    FolderLock(const FolderLock&) = delete;
    FolderLock& operator=(const FolderLock&) = delete;
    ~FolderLock() {
        if (fd_ >= 0) ::close(fd_);
    }

  private:
    int fd_ = -1;
};

bool processAlive(long pid) {
    if (pid <= 0) return false;
    if (pid == ::getpid()) return true;
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

} // namespace

bool isTemporaryName(const std::string& filename) {
    if (filename.empty() || filename[0] != '.') return false;
    for (const char* tag : {kTmpTag, kOldTag}) {
        const auto at = filename.rfind(tag);
        if (at == std::string::npos || at == 0) continue;
        const std::string rest = filename.substr(at + std::strlen(tag));
        const auto dash = rest.find('-');
        if (dash == std::string::npos || dash == 0) continue;
        // <pid>-XXXXXX, optionally followed by the target's extension.
        const std::size_t after = rest.size() - dash - 1;
        if (std::all_of(rest.begin(), rest.begin() + static_cast<long>(dash),
                        [](char c) { return c >= '0' && c <= '9'; }) &&
            (after == 6 || (after > 7 && rest[dash + 7] == '.')))
            return true;
    }
    return false;
}

int removeStaleTemporaries(const std::string& folder) {
    int removed = 0;
    std::error_code ec;
    fs::directory_iterator it(folder, ec);
    if (ec) return 0;
    for (const auto& entry : it) {
        const std::string name = entry.path().filename().string();
        if (!isTemporaryName(name)) continue;
        const bool backup = name.rfind(kOldTag) != std::string::npos;
        const char* tag = backup ? kOldTag : kTmpTag;
        const auto at = name.rfind(tag);
        const std::string rest = name.substr(at + std::strlen(tag));
        const long pid = std::strtol(rest.c_str(), nullptr, 10);
        if (processAlive(pid)) continue;
        std::error_code rm;
        if (backup) {
            // A commit was killed between backing up and cleaning up: the backup is the
            // user's previous file. Put it back only if the target is missing.
            const fs::path target = entry.path().parent_path() / name.substr(1, at - 1);
            if (!fs::exists(target, rm) && ::rename(entry.path().c_str(), target.c_str()) == 0) {
                ++removed;
                continue;
            }
        }
        if (fs::remove_all(entry.path(), rm) > 0 && !rm) ++removed;
    }
    return removed;
}

std::string makeTemporaryPath(const std::string& path, bool folder) {
    if (path.empty()) throw std::runtime_error("output path is empty");
    sweepOnce(folderOf(path));
    if (folder) {
        std::string pattern = tempPattern(path, kTmpTag, nullptr);
        if (!::mkdtemp(pattern.data()))
            throw std::runtime_error("cannot write '" + path + "': " + errnoText(errno));
        return pattern;
    }
    // mkstemps reserves a unique name; the producer (e.g. libsndfile) reopens it by path.
    std::string suffix;
    std::string pattern = tempPattern(path, kTmpTag, &suffix);
    int fd = createUnique(pattern, suffix);
    if (fd < 0) throw std::runtime_error("cannot write '" + path + "': " + errnoText(errno));
    ::close(fd);
    return pattern;
}

void syncFolderOf(const std::string& path) {
    int fd = ::open(folderOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return; // nothing to make durable if the folder cannot be opened
    ::fsync(fd);        // best effort: some file systems refuse fsync on folders
    ::close(fd);
}

AtomicWriteSet::~AtomicWriteSet() {
    discard();
}

void AtomicWriteSet::discard() noexcept {
    for (const auto& item : items_)
        ::unlink(item.tmp.c_str());
    items_.clear();
}

void AtomicWriteSet::add(const std::string& path,
                         const std::function<void(const std::string& tmpPath)>& produce,
                         bool overwrite) {
    if (path.empty()) throw std::runtime_error("output path is empty");
    if (!overwrite && fs::exists(path))
        throw std::runtime_error("'" + path + "' already exists (refusing to overwrite)");
    for (const auto& item : items_)
        if (item.target == path)
            throw std::runtime_error("'" + path + "' is given twice as an output");
    Item item{path, makeTemporaryPath(path), overwrite};
    try {
        try {
            produce(item.tmp);
        } catch (const std::exception& e) {
            // Writers name the file they were given (our temporary): name the user's target.
            std::string what = e.what();
            bool renamed = false;
            for (auto at = what.find(item.tmp); at != std::string::npos;
                 at = what.find(item.tmp, at + path.size())) {
                what.replace(at, item.tmp.size(), path);
                renamed = true;
            }
            if (!renamed) throw;
            throw std::runtime_error(what);
        }
        struct stat st {};
        if (::stat(item.tmp.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
            throw std::runtime_error("cannot write '" + path + "': the temporary file vanished");
        fsyncPath(item.tmp, path);
        ::chmod(item.tmp.c_str(), 0644);
    } catch (...) {
        ::unlink(item.tmp.c_str());
        throw;
    }
    items_.push_back(std::move(item));
}

void AtomicWriteSet::commit() {
    if (items_.empty()) return;
    // Lock every target folder, in a fixed order so two writers cannot deadlock.
    std::set<std::string> folders;
    for (const auto& item : items_) {
        std::error_code ec;
        auto canonical = fs::weakly_canonical(folderOf(item.target), ec);
        folders.insert(ec ? folderOf(item.target) : canonical.string());
    }
    std::vector<std::unique_ptr<FolderLock>> locks;
    for (const auto& f : folders)
        locks.push_back(std::make_unique<FolderLock>(f));

    struct Done {
        std::string target;
        std::string backup; // empty: the target did not exist before
    };
    std::vector<Done> done;
    std::vector<std::string> backups;
    const auto rollback = [&]() noexcept {
        for (auto it = done.rbegin(); it != done.rend(); ++it) {
            if (it->backup.empty())
                ::unlink(it->target.c_str());
            else
                ::rename(it->backup.c_str(), it->target.c_str());
        }
        for (const auto& b : backups)
            ::unlink(b.c_str());
    };
    try {
        for (const auto& item : items_) {
            if (!item.overwrite && fs::exists(item.target))
                throw std::runtime_error("'" + item.target +
                                         "' already exists (refusing to overwrite)");
        }
        for (const auto& item : items_) {
            std::string backup;
            struct stat st {};
            if (::lstat(item.target.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
                // A hard link keeps the previous file reachable until every rename succeeded.
                std::string suffix;
                backup = tempPattern(item.target, kOldTag, &suffix);
                int fd = createUnique(backup, suffix);
                if (fd >= 0) {
                    ::close(fd);
                    ::unlink(backup.c_str());
                    if (::link(item.target.c_str(), backup.c_str()) == 0)
                        backups.push_back(backup);
                    else
                        backup.clear(); // no hard links here: restore is impossible, go on
                } else {
                    backup.clear();
                }
            }
            if (item.overwrite) {
                if (::rename(item.tmp.c_str(), item.target.c_str()) != 0)
                    throw std::runtime_error("cannot write '" + item.target +
                                             "': " + errnoText(errno));
            } else {
                // link() fails if the target appeared meanwhile: never clobber silently.
                if (::link(item.tmp.c_str(), item.target.c_str()) != 0)
                    throw std::runtime_error("cannot create '" + item.target +
                                             "': " + errnoText(errno));
                ::unlink(item.tmp.c_str());
            }
            done.push_back({item.target, backup});
        }
    } catch (...) {
        rollback();
        discard();
        throw;
    }
    for (const auto& f : folders)
        syncFolderOf(f + "/x");
    for (const auto& b : backups)
        ::unlink(b.c_str());
    items_.clear();
}

void writeFileAtomically(const std::string& path,
                         const std::function<void(const std::string& tmpPath)>& produce,
                         bool overwrite) {
    if (path.empty()) throw std::runtime_error("output path is empty");
    if (!overwrite && fs::exists(path))
        throw std::runtime_error("'" + path + "' already exists (refusing to overwrite)");
    const std::string tmp = makeTemporaryPath(path);
    try {
        produce(tmp);
        fsyncPath(tmp, path);
        ::chmod(tmp.c_str(), 0644);
        if (overwrite) {
            if (::rename(tmp.c_str(), path.c_str()) != 0)
                throw std::runtime_error("cannot write '" + path + "': " + errnoText(errno));
        } else {
            // link() fails if the target appeared meanwhile: never clobber silently.
            if (::link(tmp.c_str(), path.c_str()) != 0)
                throw std::runtime_error("cannot create '" + path + "': " + errnoText(errno));
            ::unlink(tmp.c_str());
        }
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
    syncFolderOf(path);
}

void writeBytesAtomically(const std::string& path, std::span<const std::byte> bytes,
                          bool overwrite) {
    writeFileAtomically(
        path,
        [&](const std::string& tmp) {
            std::FILE* f = std::fopen(tmp.c_str(), "wb");
            if (!f) throw std::runtime_error("cannot write '" + path + "': " + errnoText(errno));
            std::size_t written = bytes.empty() ? 0 : std::fwrite(bytes.data(), 1, bytes.size(), f);
            bool ok = written == bytes.size();
            int err = errno;
            if (std::fflush(f) != 0) {
                ok = false;
                err = errno;
            }
            if (std::fclose(f) != 0) {
                if (ok) err = errno;
                ok = false;
            }
            if (!ok)
                throw std::runtime_error("cannot write '" + path +
                                         "': " + errnoText(err ? err : EIO));
        },
        overwrite);
}

void writeTextAtomically(const std::string& path, const std::string& text, bool overwrite) {
    writeBytesAtomically(path, std::as_bytes(std::span(text.data(), text.size())), overwrite);
}

} // namespace moodsteer::models
