// An exclusive advisory lock on a file (flock), held for the object's lifetime. flock locks
// belong to the open file description, so two threads of one process exclude each other too.
#pragma once

#include <atomic>
#include <string>

namespace moodsteer::hub {

class FileLock {
  public:
    /// Waits for the lock, polling `cancel` (may be null) every 100 ms. Throws HubError when
    /// the file cannot be opened, HubCancelled when cancelled while waiting.
    FileLock(const std::string& path, const std::atomic<bool>* cancel);
    ~FileLock();
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

  private:
    int fd_ = -1;
};

} // namespace moodsteer::hub
