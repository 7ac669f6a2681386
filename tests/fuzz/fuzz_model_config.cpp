// libFuzzer target for model config.json: the bounded JSON parse every config reader uses
// (depth limit; the parsed tree must dump and re-parse to itself) and, in the replay build,
// the MusicGen decoder section's validation: a config that passes validate(), or
// std::invalid_argument / nlohmann::json::exception (which every caller wraps with the file
// name). clang 14 cannot compile LibTorch's module headers, so the libFuzzer binary covers
// the parse only.
#include "models/BoundedRead.h"
#ifdef MOODSTEER_FUZZ_DECODER_CONFIG
#include "models/MusicgenDecoder.h"
#endif

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
    if (nlohmann::json::parse(j.dump()) != j) std::abort();
#ifdef MOODSTEER_FUZZ_DECODER_CONFIG
    try {
        const MusicgenDecoderConfig c = MusicgenDecoderConfig::fromJson(j);
        c.validate(); // must hold for what fromJson returned
        if (c.hidden_size % c.num_attention_heads != 0) std::abort();
    } catch (const std::invalid_argument&) {
    } catch (const nlohmann::json::exception&) {
    }
#endif
    return 0;
}
