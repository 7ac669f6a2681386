#include "CliSupport.h"

#include "CliCommand.h"
#include "core/audio/AudioCodec.h"
#include "core/audio/AudioFile.h"
#include "core/io/AtomicWrite.h"
#include "core/io/CodesFile.h"
#include "core/io/FileInput.h"
#include "core/library/ClipLibrary.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <unistd.h>

namespace moodsteer::cli {
namespace fs = std::filesystem;

void checkWritableTarget(const std::string& path) {
    fs::path dir = fs::path(path).parent_path();
    if (dir.empty()) dir = ".";
    if (!fs::is_directory(dir))
        throw UsageError("output folder '" + dir.string() + "' does not exist");
    if (::access(dir.c_str(), W_OK) != 0)
        throw UsageError("output folder '" + dir.string() + "' is not writable");
    if (fs::is_directory(path)) throw UsageError("'" + path + "' is a folder");
    // A device or FIFO as output would be replaced by the rename (as root even /dev/full).
    std::error_code ec;
    const auto st = fs::symlink_status(path, ec);
    if (!ec && fs::exists(st) && !fs::is_regular_file(st) && !fs::is_symlink(st))
        throw UsageError("'" + path + "' is not a regular file");
}

std::string readTextFile(const std::string& path) {
    return readBoundedTextFile(path, "text file", 16ull << 20);
}

namespace {

/// One item of a comma-separated list as a whole number (all of it: "12abc" is not 12).
std::optional<long long> wholeNumber(const std::string& item) {
    std::size_t used = 0;
    try {
        const long long v = std::stoll(item, &used);
        if (used == item.size()) return v;
    } catch (const std::exception&) {
    }
    return std::nullopt;
}

} // namespace

std::vector<std::int64_t> parseIdList(const std::string& text) {
    std::vector<std::int64_t> ids;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        const auto v = wholeNumber(item);
        if (!v || *v < 0)
            throw UsageError("--prompt-ids expects comma-separated non-negative integers, got '" +
                             text + "'");
        ids.push_back(*v);
    }
    return ids;
}

std::vector<int> parseIntList(const std::string& option, const std::string& text, int lo, int hi) {
    std::vector<int> values;
    std::stringstream ss(text);
    std::string item;
    auto bad = [&] {
        return UsageError("--" + option + " expects comma-separated whole numbers in " +
                          std::to_string(lo) + ".." + std::to_string(hi) + ", got '" + text + "'");
    };
    if (text.empty() || text.back() == ',') throw bad();
    while (std::getline(ss, item, ',')) {
        const auto v = wholeNumber(item);
        if (!v || *v < lo || *v > hi) throw bad();
        values.push_back(static_cast<int>(*v));
    }
    return values;
}

std::vector<std::string> parseNameList(const std::string& option, const std::string& text,
                                       const std::vector<std::string>& allowed) {
    std::vector<std::string> names;
    std::stringstream ss(text);
    std::string item;
    std::string choices;
    for (const auto& a : allowed)
        choices += (choices.empty() ? "" : ", ") + a;
    if (text.empty() || text.back() == ',')
        throw UsageError("--" + option + " expects a comma-separated list of " + choices +
                         ", got '" + text + "'");
    while (std::getline(ss, item, ',')) {
        if (std::find(allowed.begin(), allowed.end(), item) == allowed.end())
            throw UsageError("--" + option + ": '" + item + "' is not one of " + choices);
        names.push_back(item);
    }
    return names;
}

std::string kvCacheOption(const std::string& value) {
    if (value != "f32" && value != "bf16" && value != "int8")
        throw UsageError("--kv-cache must be f32, bf16 or int8, got '" + value + "'");
    return value;
}

std::string jsonString(const std::string& s) {
    return jsonText(nlohmann::json(s));
}

std::string jsonText(const nlohmann::json& j, int indent) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

void requireUtf8(const std::string& text, const std::string& what) {
    try {
        (void)nlohmann::json(text).dump();
    } catch (const nlohmann::json::exception&) {
        throw UsageError(what + " is not valid UTF-8");
    }
}

void checkModelFolder(const std::string& model) {
    std::error_code ec;
    if (!model.empty() && model != "embedded" && fs::exists(model, ec) &&
        !fs::is_directory(model, ec))
        throw UsageError("--model expects a model folder, but '" + model + "' is a file");
}

void checkNotExisting(const std::string& path, bool force) {
    std::error_code ec;
    if (!force && fs::exists(fs::symlink_status(path, ec)))
        throw UsageError("'" + path + "' already exists (use --force to replace it)");
}

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

void OutputSet::commit(bool overwrite) {
    WriteTransaction transaction;
    for (auto& [path, write] : items_)
        transaction.stage(path, write, overwrite);
    transaction.commit();
    items_.clear();
}

void checkClipTargets(const std::string& out, const std::string& codesOut, bool force) {
    if (!isSupportedAudioExtension(out))
        throw UsageError("--out must end in .wav, .flac or .ogg: '" + out + "'");
    checkWritableTarget(out);
    checkNotExisting(out, force);
    checkNotExisting(ClipLibrary::sidecarPath(out), force);
    if (!codesOut.empty()) {
        checkWritableTarget(codesOut);
        checkNotExisting(codesOut, force);
    }
}

std::string takePath(const std::string& path, int take) {
    const fs::path p(path);
    return (p.parent_path() /
            (p.stem().string() + "-take" + std::to_string(take) + p.extension().string()))
        .string();
}

void addClipOutputs(OutputSet& outputs, const std::string& out, const GenerationResult& result,
                    const std::string& title, const std::string& codesOut) {
    const std::string recipe = result.recipe.toJson(-1);
    outputs.add(out, [&result, recipe, title](const std::string& path) {
        writeAudioFile(path, result.audio, {title, recipe, ""}, true);
    });
    addRecipeAndCodesOutputs(outputs, out, result, codesOut);
}

void addRecipeAndCodesOutputs(OutputSet& outputs, const std::string& out,
                              const GenerationResult& result, const std::string& codesOut) {
    const std::string recipe = result.recipe.toJson(-1);
    outputs.add(ClipLibrary::sidecarPath(out), [&result](const std::string& path) {
        writeTextFileAtomically(path, result.recipe.toJson() + "\n");
    });
    if (!codesOut.empty())
        outputs.add(codesOut, [&result, recipe](const std::string& path) {
            CodeGrid g(result.numCodebooks, result.frames);
            g.data = result.codes;
            writeCodesFile(path, g, {{"recipe", recipe}});
        });
}

void applyEmotionGuidance(const Args& args, const ModelInfo& info, Recipe& r, bool fromFile) {
    if (args.has("emotion-guidance")) {
        if (!r.hasEmotion() || !info.hasAvEncoder)
            throw UsageError("--emotion-guidance guides the valence/arousal token: it needs a "
                             "target (--valence/--arousal or a path) and a model with an AV "
                             "encoder");
        r.emotionGuidance = args.getDouble("emotion-guidance", 0);
    } else if (!fromFile) {
        r.emotionGuidance.reset();
        if (r.hasEmotion() && info.hasAvEncoder) r.emotionGuidance = info.defaultEmotionGuidance;
    }
}

} // namespace moodsteer::cli
