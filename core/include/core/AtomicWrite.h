// Atomic file output for the layers above core (temporary file + fsync + rename): a failure
// leaves no partial file behind.
#pragma once

#include <functional>
#include <string>

namespace moodsteer {

void writeTextFileAtomically(const std::string& path, const std::string& text,
                             bool overwrite = true);
/// `produce(tmpPath)` writes the content; it is renamed onto `path` only when complete.
void writeFileAtomically(const std::string& path,
                         const std::function<void(const std::string& tmpPath)>& produce,
                         bool overwrite = true);

} // namespace moodsteer
