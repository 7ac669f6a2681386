#include "CliSupport.h"

#include "CliCommand.h"
#include "core/AtomicWrite.h"
#include "core/FileInput.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace moodsteer::cli {
namespace fs = std::filesystem;

void checkWritableTarget(const std::string& path) {
    fs::path dir = fs::path(path).parent_path();
    if (dir.empty())
        dir = ".";
    if (!fs::is_directory(dir))
        throw UsageError("output folder '" + dir.string() + "' does not exist");
    if (::access(dir.c_str(), W_OK) != 0)
        throw UsageError("output folder '" + dir.string() + "' is not writable");
    if (fs::is_directory(path))
        throw UsageError("'" + path + "' is a folder");
}

std::string readTextFile(const std::string& path) {
    return readBoundedTextFile(path, "text file", 16ull << 20);
}

std::vector<std::int64_t> parseIdList(const std::string& text) {
    std::vector<std::int64_t> ids;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        std::size_t used = 0;
        long long v = -1;
        try {
            v = std::stoll(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != item.size() || v < 0)
            throw UsageError("--prompt-ids expects comma-separated non-negative integers, got '" +
                             text + "'");
        ids.push_back(v);
    }
    return ids;
}

std::string jsonString(const std::string& s) { return nlohmann::json(s).dump(); }

nlohmann::json metricsJson(const DimensionMetrics& m) {
    return {{"ccc", m.ccc},
            {"pcc", m.pcc},
            {"rmse", m.rmse},
            {"error_mean", m.errorMean},
            {"error_sigma", m.errorSigma},
            {"n", m.n}};
}


void writeTextFileAtomically(const std::string& path, const std::string& text) {
    moodsteer::writeTextFileAtomically(path, text);
}

void OutputSet::add(const std::string& path, std::function<void(const std::string&)> write) {
    items_.emplace_back(path, std::move(write));
}

void OutputSet::commit() {
    std::vector<std::string> done;
    try {
        for (auto& [path, write] : items_) {
            write(path);
            done.push_back(path);
        }
    } catch (...) {
        for (const auto& p : done)
            fs::remove(p);
        throw;
    }
}

} // namespace moodsteer::cli
