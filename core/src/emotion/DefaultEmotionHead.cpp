#include "core/emotion/DefaultEmotionHead.h"

#include "core/io/Resources.h"

#include <filesystem>
#include <stdexcept>

namespace moodsteer {

std::string defaultEmotionHeadPath() {
    return resourcePath("emotion/emotion_head_dsp.safetensors");
}

std::string requireDefaultEmotionHead() {
    const auto path = defaultEmotionHeadPath();
    if (!std::filesystem::is_regular_file(path))
        throw std::runtime_error("the embedded emotion head is missing (" + path +
                                 "); pass --head HEAD.safetensors or set MOODSTEER_RESOURCES");
    return path;
}

} // namespace moodsteer
