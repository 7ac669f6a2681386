#include "core/hub/ModelUnload.h"

#include "core/bench/Benchmark.h"

#include <malloc.h>

namespace moodsteer {

double unloadModel(std::unique_ptr<MusicEngine>& engine) {
    const double before = currentRssMB();
    engine.reset();
    malloc_trim(0);
    return before - currentRssMB();
}

} // namespace moodsteer
