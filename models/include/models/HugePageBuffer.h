// Memory advised for transparent huge pages (2 MiB pages): the decode weights live in it
// (models/src/HugePages.h explains why), and so does the bench's bandwidth probe, so that the
// floor is measured on the same kind of memory. Torch-free.
#pragma once

#include <cstddef>
#include <memory>

namespace moodsteer::models {

/// At least `bytes` of uninitialised memory (rounded up to 2 MiB), 2 MiB aligned and advised
/// for huge pages before its first touch; freed with the last copy of the pointer. The advice
/// is only advice: where THP is off, the memory works as ordinary pages. Throws
/// std::bad_alloc.
std::shared_ptr<void> hugePageBuffer(std::size_t bytes);

} // namespace moodsteer::models
