// Runs engine work so that LibTorch errors and allocation failures leave as one-line
// EngineErrors (see core/io/ErrorText.h) instead of a stack trace or a bare "std::bad_alloc".
#pragma once

#include "core/engine/MusicEngine.h"
#include "core/io/ErrorText.h"

#include <c10/util/Exception.h>

#include <new>

namespace moodsteer {

template <typename Work> auto withOneLineErrors(Work&& work) -> decltype(work()) {
    try {
        return work();
    } catch (const c10::Error& e) {
        throw EngineError(oneLineError(e));
    } catch (const std::bad_alloc& e) {
        throw EngineError(oneLineError(e));
    }
}

} // namespace moodsteer
