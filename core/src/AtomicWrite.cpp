#include "core/AtomicWrite.h"

#include "models/AtomicFile.h"

namespace moodsteer {

void writeTextFileAtomically(const std::string& path, const std::string& text, bool overwrite) {
    models::writeTextAtomically(path, text, overwrite);
}

void writeFileAtomically(const std::string& path,
                         const std::function<void(const std::string& tmpPath)>& produce,
                         bool overwrite) {
    models::writeFileAtomically(path, produce, overwrite);
}

} // namespace moodsteer
