// libFuzzer target for recipe JSON (sidecars, --recipe files, library entries): any text must
// parse into a Recipe or throw std::runtime_error naming the problem; a parsed recipe must
// survive toJson() -> fromJson() unchanged. Another exception type or a crash is a finding.
#include "core/engine/Recipe.h"

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using moodsteer::Recipe;
    const std::string text(reinterpret_cast<const char*>(data), size);
    Recipe r;
    try {
        r = Recipe::fromJson(text);
    } catch (const std::runtime_error&) {
        return 0;
    }
    const std::string once = r.toJson(-1);
    const Recipe back = Recipe::fromJson(once); // must not throw: we wrote it
    if (back.toJson(-1) != once) std::abort();
    return 0;
}
