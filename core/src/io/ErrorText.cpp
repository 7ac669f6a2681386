#include "core/io/ErrorText.h"

#include <c10/util/Exception.h>

#include <new>

namespace moodsteer {

std::string oneLineError(const std::exception& e) {
    if (dynamic_cast<const std::bad_alloc*>(&e))
        return "out of memory (the request needs more memory than is free: try a shorter clip, "
               "a shorter prompt or fewer threads)";
    std::string text;
    if (const auto* c10 = dynamic_cast<const c10::Error*>(&e))
        text = c10->what_without_backtrace();
    else
        text = e.what();
    const auto eol = text.find('\n');
    if (eol != std::string::npos) text.erase(eol);
    // LibTorch's CPU allocator: "[enforce fail at alloc_cpu.cpp:75] data. DefaultCPUAllocator:
    // not enough memory: you tried to allocate 13631488000 bytes."
    const auto oom = text.find("not enough memory");
    if (oom != std::string::npos) return "out of memory: " + text.substr(oom);
    return text;
}

} // namespace moodsteer
