#include "core/io/AtomicWrite.h"

#include "models/AtomicFile.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace moodsteer {

void writeTextFileAtomically(const std::string& path, const std::string& text, bool overwrite) {
    models::writeTextAtomically(path, text, overwrite);
}

void writeFileAtomically(const std::string& path,
                         const std::function<void(const std::string& tmpPath)>& produce,
                         bool overwrite) {
    models::writeFileAtomically(path, produce, overwrite);
}

std::string makeTemporaryPath(const std::string& path, bool folder) {
    return models::makeTemporaryPath(path, folder);
}

int removeStaleTemporaries(const std::string& folder) {
    return models::removeStaleTemporaries(folder);
}

WriteTransaction::WriteTransaction() : set_(std::make_unique<models::AtomicWriteSet>()) {}
WriteTransaction::~WriteTransaction() = default;

void WriteTransaction::stage(const std::string& path,
                             const std::function<void(const std::string& tmpPath)>& produce,
                             bool overwrite) {
    set_->add(path, produce, overwrite);
}

void WriteTransaction::stageText(const std::string& path, const std::string& text, bool overwrite) {
    stage(
        path,
        [&](const std::string& tmp) {
            std::FILE* f = std::fopen(tmp.c_str(), "wb");
            if (!f)
                throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
            bool ok = text.empty() || std::fwrite(text.data(), 1, text.size(), f) == text.size();
            int err = errno;
            if (std::fflush(f) != 0) ok = false, err = errno;
            if (std::fclose(f) != 0 && ok) ok = false, err = errno;
            if (!ok)
                throw std::runtime_error("cannot write '" + path +
                                         "': " + std::strerror(err ? err : EIO));
        },
        overwrite);
}

void WriteTransaction::commit() {
    set_->commit();
}

} // namespace moodsteer
