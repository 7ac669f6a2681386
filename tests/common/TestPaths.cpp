// The checkout's and build's paths, compiled into this one file only: every other test file
// then compiles identically in every checkout (compiler-cache hits across worktrees, clones
// and build folders).
#include "TestPaths.h"

namespace moodsteer::test {

std::string sharedDir() {
    if (const char* env = std::getenv("MOODSTEER_SHARED")) return env;
    return MOODSTEER_SHARED_DIR;
}

std::string resourceDir() {
    return MOODSTEER_RESOURCE_DIR;
}

std::string binaryDir() {
    return MOODSTEER_BINARY_DIR;
}

} // namespace moodsteer::test
