// libFuzzer target for model config.json: the bounded JSON parse every config reader uses
// (depth limit) and the MusicGen decoder section's validation. Any text must give a config
// that passes validate(), or throw std::invalid_argument / std::runtime_error /
// nlohmann::json::exception (which every caller wraps with the file name).
#include "models/BoundedRead.h"
#include "models/MusicgenDecoder.h"

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace moodsteer::models;
    const std::string text(reinterpret_cast<const char*>(data), size);
    nlohmann::json j;
    try {
        j = parseJsonBounded(text);
    } catch (const nlohmann::json::exception&) {
        return 0;
    } catch (const std::runtime_error&) {
        return 0;
    }
    try {
        const MusicgenDecoderConfig c = MusicgenDecoderConfig::fromJson(j);
        c.validate(); // must hold for what fromJson returned
        if (c.hidden_size % c.num_attention_heads != 0) std::abort();
    } catch (const std::invalid_argument&) {
    } catch (const nlohmann::json::exception&) {
    }
    return 0;
}
