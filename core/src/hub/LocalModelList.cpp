#include "core/hub/LocalModelList.h"

#include "core/io/AtomicWrite.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace moodsteer {
namespace fs = std::filesystem;

namespace {
std::string absoluteFolder(const std::string& folder) {
    auto p = fs::absolute(folder).lexically_normal().string();
    while (p.size() > 1 && p.back() == '/')
        p.pop_back();
    return p;
}
} // namespace

LocalModelList::LocalModelList(std::string file) : file_(std::move(file)) {}

std::string LocalModelList::defaultFile() {
    std::string base;
    if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x)
        base = x;
    else if (const char* h = std::getenv("HOME"))
        base = std::string(h) + "/.config";
    return base + "/moodsteer/local-models.json";
}

std::vector<std::string> LocalModelList::folders() const {
    std::ifstream in(file_);
    if (!in) return {};
    try {
        const auto j = nlohmann::json::parse(in);
        return j.value("folders", std::vector<std::string>{});
    } catch (const nlohmann::json::exception&) {
        throw std::runtime_error("'" + file_ + "' is not a valid local model list");
    }
}

std::string LocalModelList::add(const std::string& folder) {
    const auto path = absoluteFolder(folder);
    std::error_code ec;
    if (!fs::is_regular_file(fs::path(path) / "config.json", ec))
        throw std::runtime_error("'" + folder + "' is not a model folder (no config.json)");
    auto list = folders();
    if (std::find(list.begin(), list.end(), path) == list.end()) list.push_back(path);
    save(list);
    return path;
}

bool LocalModelList::remove(const std::string& folder) {
    const auto path = absoluteFolder(folder);
    auto list = folders();
    const auto it = std::find(list.begin(), list.end(), path);
    if (it == list.end()) return false;
    list.erase(it);
    save(list);
    return true;
}

void LocalModelList::save(const std::vector<std::string>& folders) const {
    fs::create_directories(fs::path(file_).parent_path());
    writeTextFileAtomically(file_, nlohmann::json{{"folders", folders}}.dump(2) + "\n");
}

} // namespace moodsteer
