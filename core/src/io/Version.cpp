#include "core/io/Version.h"

namespace moodsteer {

std::string engineVersion() {
    return MOODSTEER_VERSION;
}

} // namespace moodsteer
