#include "core/io/Resources.h"

#include <cstdlib>

namespace moodsteer {

std::string resourceDir() {
    if (const char* env = std::getenv("MOODSTEER_RESOURCES"); env && *env) return env;
    return MOODSTEER_RESOURCE_DIR;
}

std::string resourcePath(const std::string& relative) {
    return resourceDir() + "/" + relative;
}

} // namespace moodsteer
