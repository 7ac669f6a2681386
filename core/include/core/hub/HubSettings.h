// Where the Hugging Face hub and its cache are, read from the same environment variables the
// Python `huggingface_hub` reads, so that Python users and the studio share one cache.
#pragma once

#include <string>

namespace moodsteer {

struct HubSettings {
    std::string endpoint = "https://huggingface.co"; ///< HF_ENDPOINT, no trailing slash
    std::string token;                               ///< HF_TOKEN (gated/private repos)
    bool offline = false;                            ///< HF_HUB_OFFLINE=1: never connect
    std::string cacheRoot; ///< HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub

    static HubSettings fromEnvironment();
};

} // namespace moodsteer
