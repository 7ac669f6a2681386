#include "models/AtomicFile.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace moodsteer::models {
namespace {

std::string errnoText() { return std::strerror(errno); }

std::string makeTempPath(const std::string& path) {
    namespace fs = std::filesystem;
    fs::path target(path);
    fs::path dir = target.parent_path();
    if (dir.empty())
        dir = ".";
    // mkstemp reserves a unique name; the producer (e.g. libsndfile) reopens it by path.
    std::string name = ".";
    name += target.filename().string();
    name += ".tmp-XXXXXX";
    std::string pattern = (dir / name).string();
    int fd = ::mkstemp(pattern.data());
    if (fd < 0)
        throw std::runtime_error("cannot write '" + path + "': " + errnoText());
    ::close(fd);
    return pattern;
}

void fsyncPath(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0)
        throw std::runtime_error("cannot reopen '" + path + "': " + errnoText());
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0)
        throw std::runtime_error("cannot flush '" + path + "': " + std::strerror(err));
}

} // namespace

void writeFileAtomically(const std::string& path,
                         const std::function<void(const std::string& tmpPath)>& produce,
                         bool overwrite) {
    if (path.empty())
        throw std::runtime_error("output path is empty");
    if (!overwrite && std::filesystem::exists(path))
        throw std::runtime_error("'" + path + "' already exists (refusing to overwrite)");
    const std::string tmp = makeTempPath(path);
    try {
        produce(tmp);
        fsyncPath(tmp);
        ::chmod(tmp.c_str(), 0644);
        if (overwrite) {
            if (::rename(tmp.c_str(), path.c_str()) != 0)
                throw std::runtime_error("cannot rename onto '" + path + "': " + errnoText());
        } else {
            // link() fails if the target appeared meanwhile: never clobber silently.
            if (::link(tmp.c_str(), path.c_str()) != 0)
                throw std::runtime_error("cannot create '" + path + "': " + errnoText());
            ::unlink(tmp.c_str());
        }
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
}

void writeBytesAtomically(const std::string& path, std::span<const std::byte> bytes,
                          bool overwrite) {
    writeFileAtomically(
        path,
        [&](const std::string& tmp) {
            std::FILE* f = std::fopen(tmp.c_str(), "wb");
            if (!f)
                throw std::runtime_error("cannot open '" + tmp + "': " + errnoText());
            std::size_t written = bytes.empty() ? 0 : std::fwrite(bytes.data(), 1, bytes.size(), f);
            bool ok = written == bytes.size();
            int err = errno;
            if (std::fclose(f) != 0)
                ok = false;
            if (!ok)
                throw std::runtime_error("cannot write '" + path + "': " + std::strerror(err ? err : EIO));
        },
        overwrite);
}

void writeTextAtomically(const std::string& path, const std::string& text, bool overwrite) {
    writeBytesAtomically(path, std::as_bytes(std::span(text.data(), text.size())), overwrite);
}

} // namespace moodsteer::models
