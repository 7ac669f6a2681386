#include "core/hub/HubSettings.h"

#include <cstdlib>
#include <fstream>
#include <string>

namespace moodsteer {
namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

bool truthy(std::string v) {
    for (auto& c : v)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return v == "1" || v == "on" || v == "yes" || v == "true";
}

std::string trimmed(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.pop_back();
    std::size_t i = 0;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])))
        ++i;
    return s.substr(i);
}

} // namespace

HubSettings HubSettings::fromEnvironment() {
    HubSettings s;
    if (auto e = env("HF_ENDPOINT"); !e.empty()) s.endpoint = e;
    while (!s.endpoint.empty() && s.endpoint.back() == '/')
        s.endpoint.pop_back();
    s.offline = truthy(env("HF_HUB_OFFLINE"));

    // huggingface_hub: HF_HOME defaults to $XDG_CACHE_HOME/huggingface, i.e.
    // ~/.cache/huggingface; the hub cache is HF_HOME/hub unless HF_HUB_CACHE says otherwise.
    std::string home = env("HF_HOME");
    if (home.empty()) {
        std::string xdg = env("XDG_CACHE_HOME");
        if (xdg.empty()) xdg = env("HOME") + "/.cache";
        home = xdg + "/huggingface";
    }
    s.cacheRoot = env("HF_HUB_CACHE");
    if (s.cacheRoot.empty()) s.cacheRoot = env("HUGGINGFACE_HUB_CACHE");
    if (s.cacheRoot.empty()) s.cacheRoot = home + "/hub";

    s.token = env("HF_TOKEN");
    if (s.token.empty()) s.token = env("HUGGING_FACE_HUB_TOKEN");
    if (s.token.empty()) { // `huggingface-cli login` stores it here
        std::ifstream in(home + "/token");
        std::string t;
        if (in && std::getline(in, t)) s.token = trimmed(t);
    }
    s.token = trimmed(s.token);
    return s;
}

} // namespace moodsteer
