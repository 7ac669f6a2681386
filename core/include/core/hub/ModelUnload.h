// Unloading a model: destroy its MusicEngine, then hand the freed heap back to the system, so
// that switching from a large model to a small one really lowers the process's memory. glibc
// keeps freed blocks of up to 32 MB in its arenas (its mmap threshold grows after the first
// large free), which is most of a model's tensors; malloc_trim returns them.
#pragma once

#include "core/engine/MusicEngine.h"

#include <memory>

namespace moodsteer {

/// Destroys `engine` (on the thread that owns it) and trims the heap. Returns the resident
/// memory freed in MB (may be ~0 when other allocations keep pages alive).
double unloadModel(std::unique_ptr<MusicEngine>& engine);

} // namespace moodsteer
