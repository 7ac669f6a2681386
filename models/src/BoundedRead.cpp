#include "models/BoundedRead.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace moodsteer::models {
namespace {

std::string quoted(const FileKind& kind, const std::string& path) {
    return std::string(kind.name) + " '" + path + "'";
}

const char* describeType(mode_t mode) {
    if (S_ISDIR(mode)) return "a folder";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

} // namespace

std::string describeByteCount(std::uint64_t bytes) {
    char buf[64];
    if (bytes < 1024) {
        std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
    } else if (bytes < (1ull << 20)) {
        std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(bytes) / 1024.0);
    } else if (bytes < (1ull << 30)) {
        std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1 << 20));
    } else {
        std::snprintf(buf, sizeof buf, "%.1f GB", static_cast<double>(bytes) / (1 << 30));
    }
    std::string s = buf;
    const auto dot = s.find(".0 ");
    if (dot != std::string::npos) s.erase(dot, 2); // "64.0 MB" -> "64 MB"
    return s;
}

int openRegularFile(const std::string& path, const FileKind& kind, std::uint64_t* sizeOut) {
    if (path.empty())
        throw FileReadError(std::string("no ") + kind.name + " file given (empty path)");
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    // O_NOCTTY: a terminal device must never become our controlling terminal.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        const int err = errno;
        if (err == ENOENT) throw FileReadError(quoted(kind, path) + " does not exist");
        if (err == EACCES)
            throw FileReadError(quoted(kind, path) + " is not readable (permission denied)");
        throw FileReadError("cannot open " + quoted(kind, path) + ": " + std::strerror(err));
    }
    Fd guard{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        throw FileReadError("cannot inspect " + quoted(kind, path) + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode))
        throw FileReadError(quoted(kind, path) + " is " + describeType(st.st_mode) +
                            ", not a regular file");
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
        throw FileReadError("cannot read " + quoted(kind, path) + ": " + std::strerror(errno));
    if (sizeOut) *sizeOut = static_cast<std::uint64_t>(st.st_size);
    guard.fd = -1;
    return fd;
}

std::string readFileBounded(const std::string& path, const FileKind& kind) {
    std::uint64_t size = 0;
    Fd fd{openRegularFile(path, kind, &size)};
    auto tooLarge = [&](std::uint64_t seen, bool atLeast) {
        return FileReadError(quoted(kind, path) + " is " + (atLeast ? "more than " : "") +
                             std::to_string(seen) + " bytes, above the limit of " +
                             describeByteCount(kind.maxBytes) + " for a " + kind.name);
    };
    if (size > kind.maxBytes) throw tooLarge(size, false);
    std::string out;
    out.resize(static_cast<std::size_t>(size));
    std::size_t have = 0;
    // Read until end of file, not just st_size bytes: the file may grow, and /proc-style files
    // report 0. One byte past the limit is enough to know it is too large.
    for (;;) {
        if (have == out.size()) {
            if (have > kind.maxBytes) throw tooLarge(kind.maxBytes, true);
            out.resize(
                std::min<std::uint64_t>(std::max<std::size_t>(have * 2, 4096), kind.maxBytes + 1));
        }
        const ssize_t n = ::read(fd.fd, out.data() + have, out.size() - have);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw FileReadError("cannot read " + quoted(kind, path) + ": " + std::strerror(errno));
        }
        if (n == 0) break;
        have += static_cast<std::size_t>(n);
    }
    if (have > kind.maxBytes) throw tooLarge(kind.maxBytes, true);
    out.resize(have);
    return out;
}

nlohmann::json parseJsonBounded(const std::string& text, int maxDepth) {
    auto limitDepth = [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
        if (depth > maxDepth)
            throw std::runtime_error("JSON nests deeper than " + std::to_string(maxDepth) +
                                     " levels");
        return true;
    };
    return nlohmann::json::parse(text, limitDepth);
}

} // namespace moodsteer::models
