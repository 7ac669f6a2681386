#include "core/io/FileInput.h"

#include "models/BoundedRead.h"

namespace moodsteer {

std::string readRecipeFile(const std::string& path) {
    return models::readFileBounded(path, models::kRecipeFile);
}

std::string readBoundedTextFile(const std::string& path, const std::string& kindName,
                                std::uint64_t maxBytes) {
    return models::readFileBounded(path, models::FileKind{kindName.c_str(), maxBytes});
}

} // namespace moodsteer
