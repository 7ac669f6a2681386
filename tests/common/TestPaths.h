// Where the tests find ../shared (parity fixtures, data) and the build's outputs.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

namespace moodsteer::test {

/// ../shared, or $MOODSTEER_SHARED when set.
std::string sharedDir();

/// The checkout's resources/ folder (its parent is the checkout).
std::string resourceDir();

/// The build folder the tests were built in.
std::string binaryDir();

inline std::string parityDir() {
    return sharedDir() + "/parity";
}

inline bool haveParity() {
    return std::filesystem::exists(parityDir() + "/model.safetensors");
}

/// A fresh scratch folder for one test. Per process: ctest runs each test in its own process,
/// two at a time, and two tests sharing a name (a corpus both build) must not remove each
/// other's files.
inline std::filesystem::path scratchDir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() /
               ("moodsteer-test-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

} // namespace moodsteer::test

// Parity tests skip loudly (never silently pass) when the fixtures are absent.
#define MOODSTEER_REQUIRE_PARITY()                                                                 \
    do {                                                                                           \
        if (!::moodsteer::test::haveParity())                                                      \
            GTEST_SKIP() << "\n*** PARITY FIXTURES NOT FOUND at "                                  \
                         << ::moodsteer::test::parityDir() << " — parity NOT checked ***";         \
    } while (0)
