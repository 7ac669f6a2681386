// Where the studio's built-in resources (embedded model, word list, icons) live.
#pragma once

#include <string>

namespace moodsteer {

/// $MOODSTEER_RESOURCES if set, else the resources/ folder of the source tree this binary
/// was built from.
std::string resourceDir();
/// resourceDir() + "/" + relative.
std::string resourcePath(const std::string& relative);

} // namespace moodsteer
