// Bounded reading of a user's text files for the layers above core (see models/BoundedRead.h):
// only regular files are opened (a FIFO or /dev/zero is refused at once, never read), and each
// kind of file has a size limit. Errors (std::runtime_error) name the file and its kind.
#pragma once

#include <cstdint>
#include <string>

namespace moodsteer {

/// The text of a recipe file (at most 1 MB).
std::string readRecipeFile(const std::string& path);

/// The text of a file of the kind `kindName` (named in errors), at most `maxBytes` bytes.
std::string readBoundedTextFile(const std::string& path, const std::string& kindName,
                                std::uint64_t maxBytes);

} // namespace moodsteer
