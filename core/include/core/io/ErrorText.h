// One line for the user from any exception: LibTorch's c10::Error carries a C++ stack trace
// in what() (33 lines for one out-of-memory), std::bad_alloc says only "std::bad_alloc".
#pragma once

#include <exception>
#include <string>

namespace moodsteer {

/// The first line of the error without LibTorch's backtrace; "out of memory (...)" for an
/// allocation failure (std::bad_alloc, or LibTorch's "DefaultCPUAllocator: can't allocate").
std::string oneLineError(const std::exception& e);

} // namespace moodsteer
