#include "core/emotion/DefaultEmotionHead.h"

#include "core/emotion/EmotionPredictor.h"
#include "core/hub/ModelLocator.h"
#include "core/io/Resources.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace moodsteer {

namespace fs = std::filesystem;

std::string defaultEmotionHeadPath() {
    return resourcePath("emotion/emotion_head_dsp.safetensors");
}

std::string userMertHeadPath() {
    fs::path base;
    if (const char* d = std::getenv("MOODSTEER_DATA"); d && *d) {
        base = d;
    } else if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) {
        base = fs::path(x) / "moodsteer";
    } else {
        const char* home = std::getenv("HOME");
        base = fs::path(home && *home ? home : ".") / ".local/share/moodsteer";
    }
    return (base / "emotion" / "emotion_head_mert.safetensors").string();
}

std::string emotionHeadModelFolder(const std::string& headPath) {
    return emotionHeadModelFolder(EmotionPredictor::readInfo(headPath), headPath);
}

std::string emotionHeadModelFolder(const EmotionHeadInfo& info, const std::string& headPath) {
    const auto it = info.metadata.find("mert_model");
    if (it == info.metadata.end() || it->second.empty())
        throw std::runtime_error("emotion head '" + headPath +
                                 "' expects MERT features and names no MERT model: give the "
                                 "MERT folder (--model-dir)");
    try {
        return ModelLocator().resolve(it->second).folder;
    } catch (const std::exception& e) {
        throw std::runtime_error("emotion head '" + headPath +
                                 "' needs its MERT model: " + e.what());
    }
}

std::string preferredEmotionHeadPath(std::string* why) {
    const std::string mert = userMertHeadPath();
    std::error_code ec;
    if (fs::is_regular_file(mert, ec)) {
        try {
            const std::string folder = emotionHeadModelFolder(mert);
            if (why) *why = "the installed MERT head " + mert + " (MERT from " + folder + ")";
            return mert;
        } catch (const std::exception& e) {
            if (why) *why = std::string("the embedded dsp head: ") + e.what();
            return defaultEmotionHeadPath();
        }
    }
    if (why) *why = "the embedded dsp head (no MERT head installed at " + mert + ")";
    return defaultEmotionHeadPath();
}

std::string requireDefaultEmotionHead() {
    const auto path = preferredEmotionHeadPath();
    if (!fs::is_regular_file(path))
        throw std::runtime_error("the embedded emotion head is missing (" + path +
                                 "); pass --head HEAD.safetensors or set MOODSTEER_RESOURCES");
    return path;
}

} // namespace moodsteer
