// Atomic file output for the layers above core (temporary file + fsync + rename + folder
// fsync): a failure leaves no partial file behind. See models/AtomicFile.h for the rules
// (temporary names, stale-temporary sweep, folder lock during a commit).
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace moodsteer {

namespace models {
class AtomicWriteSet;
}

void writeTextFileAtomically(const std::string& path, const std::string& text,
                             bool overwrite = true);
/// `produce(tmpPath)` writes the content; it is renamed onto `path` only when complete.
void writeFileAtomically(const std::string& path,
                         const std::function<void(const std::string& tmpPath)>& produce,
                         bool overwrite = true);
/// A unique temporary name next to `path` that is recognisably ours (a file, or a folder
/// when `folder`); the caller removes it. Stale ones of dead processes are swept.
std::string makeTemporaryPath(const std::string& path, bool folder = false);
/// Removes temporaries left in `folder` by processes that no longer run; returns the count.
int removeStaleTemporaries(const std::string& folder);

/// Several files that are committed together (audio + sidecar + codes + MIDI): each stage()
/// writes a temporary next to its target; commit() renames all of them under a lock on the
/// target folders, or restores every previous target if one rename fails. Nothing staged is
/// visible before commit(); destroying an uncommitted transaction removes its temporaries.
/// Threading: one thread per transaction.
class WriteTransaction {
  public:
    WriteTransaction();
    ~WriteTransaction();
    WriteTransaction(const WriteTransaction&) = delete;
    WriteTransaction& operator=(const WriteTransaction&) = delete;

    void stage(const std::string& path,
               const std::function<void(const std::string& tmpPath)>& produce,
               bool overwrite = true);
    void stageText(const std::string& path, const std::string& text, bool overwrite = true);
    void commit();

  private:
    std::unique_ptr<models::AtomicWriteSet> set_;
};

} // namespace moodsteer
