// Atomic file output: everything the project writes (weights, audio, sidecars, reports) goes
// to a temporary file in the destination folder first and is renamed over the target only
// once complete and flushed, so a crash or a full disk never leaves a half-written file.
//
// Temporary names are ".<target name>.moodsteer-tmp-<pid>-XXXXXX<.ext>" (unique via mkstemps,
// never a name a user would pick; the target's extension kept for writers that need it); ones whose
// process is gone are removed the next time anything is written into that folder. A set of files
// that belong together (audio + sidecar + codes) goes through AtomicWriteSet: all are staged, then
// renamed together under a lock on the folder, and a failure restores the user's previous files.
//
// Threading: functions are reentrant; the folder lock (flock) serialises commits across
// threads and processes.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace moodsteer::models {

/// Calls `produce(tmpPath)` to write a temporary file next to `path`, fsyncs it and renames
/// it to `path`, then fsyncs the folder. If `produce` throws, or flushing/renaming fails, the
/// temporary file is removed and a std::runtime_error naming `path` is thrown. With
/// `overwrite` false an existing `path` is an error (checked before and, via link(), at the
/// final step).
void writeFileAtomically(const std::string& path,
                         const std::function<void(const std::string& tmpPath)>& produce,
                         bool overwrite = true);

/// Writes `bytes` to `path` atomically.
void writeBytesAtomically(const std::string& path, std::span<const std::byte> bytes,
                          bool overwrite = true);
void writeTextAtomically(const std::string& path, const std::string& text, bool overwrite = true);

/// Reserves a unique temporary name next to `path` (an empty file, or an empty folder when
/// `folder` is true) that is recognisably ours; also removes stale temporaries of dead
/// processes in that folder. The caller removes it when done.
std::string makeTemporaryPath(const std::string& path, bool folder = false);
/// True for names makeTemporaryPath creates (any process).
bool isTemporaryName(const std::string& filename);
/// Removes temporaries (files and folders) left in `folder` by processes that no longer run;
/// a leftover backup of a target that is missing is renamed back. Returns how many it removed.
int removeStaleTemporaries(const std::string& folder);
/// fsync of the folder holding `path` (makes a rename durable).
void syncFolderOf(const std::string& path);

/// Files that succeed or fail together. Each add() stages one file (produce writes the
/// temporary); commit() renames every staged file onto its target while holding an exclusive
/// lock on each target folder (so concurrent writers of the same targets never mix their
/// files), keeping hard-link backups of the previous targets: if any rename fails, every
/// target is restored. If staging fails the temporaries are removed and nothing is renamed.
/// The destructor removes whatever was staged but not committed.
class AtomicWriteSet {
  public:
    AtomicWriteSet() = default;
    AtomicWriteSet(const AtomicWriteSet&) = delete;
    AtomicWriteSet& operator=(const AtomicWriteSet&) = delete;
    ~AtomicWriteSet();

    /// Stages `path` now (produce runs immediately). Throws, naming `path`, on failure.
    void add(const std::string& path,
             const std::function<void(const std::string& tmpPath)>& produce, bool overwrite = true);
    /// Renames all staged files onto their targets (all or none). Throws naming the path.
    void commit();
    /// Removes the staged temporaries without touching any target.
    void discard() noexcept;

  private:
    struct Item {
        std::string target;
        std::string tmp;
        bool overwrite = true;
    };
    std::vector<Item> items_;
};

} // namespace moodsteer::models
