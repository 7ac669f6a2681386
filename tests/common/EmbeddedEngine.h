// The embedded model, loaded once per test process (core tests that generate with it).
#pragma once

#include "core/engine/MusicEngine.h"

#include <memory>
#include <stdexcept>

namespace moodsteer::test {

inline MusicEngine& embeddedEngine() {
    static std::unique_ptr<MusicEngine> e = [] {
        const auto folder = MusicEngine::embeddedModelFolder();
        if (folder.empty()) throw std::runtime_error("resources/model is missing");
        return MusicEngine::load(folder);
    }();
    return *e;
}

} // namespace moodsteer::test
