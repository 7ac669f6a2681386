#include "hub/FileLock.h"

#include "core/hub/HubDownloader.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <thread>
#include <unistd.h>

namespace moodsteer::hub {

FileLock::FileLock(const std::string& path, const std::atomic<bool>* cancel) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw HubError("cannot open lock file '" + path + "': " + std::strerror(errno));
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            const int e = errno;
            ::close(fd_);
            throw HubError("cannot lock '" + path + "': " + std::strerror(e));
        }
        if (cancel && cancel->load()) {
            ::close(fd_);
            throw HubCancelled("cancelled while another download held '" + path + "'");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

FileLock::~FileLock() {
    if (fd_ >= 0) {
        ::flock(fd_, LOCK_UN);
        ::close(fd_);
    }
}

} // namespace moodsteer::hub
