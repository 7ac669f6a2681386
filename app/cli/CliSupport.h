// Small helpers shared by moodsteer-cli's sub-commands.
#pragma once

#include "core/EmotionMetrics.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace moodsteer::cli {

/// Throws UsageError unless the folder of `path` exists and is writable.
void checkWritableTarget(const std::string& path);
/// A small text file (regular files only, at most 16 MB).
std::string readTextFile(const std::string& path);
/// "3,17,1" -> {3, 17, 1}; throws UsageError on junk.
std::vector<std::int64_t> parseIdList(const std::string& text);
std::string jsonString(const std::string& s);
/// CCC, PCC, RMSE, error mean/sigma and n of one dimension, for --json output.
nlohmann::json metricsJson(const DimensionMetrics& m);
void writeTextFileAtomically(const std::string& path, const std::string& text);

/// Several output files that succeed or fail together: each is written atomically, and if
/// one fails the ones already written are removed again.
class OutputSet {
public:
    void add(const std::string& path, std::function<void(const std::string& path)> write);
    void commit();

private:
    std::vector<std::pair<std::string, std::function<void(const std::string&)>>> items_;
};

} // namespace moodsteer::cli
