#include "core/ClipLibrary.h"

#include "core/CodesFile.h"

#include "core/AudioFile.h"
#include "core/Version.h"
#include "models/AtomicFile.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace moodsteer {

namespace {

/// Codes stored next to a clip's WAV (for MIDI export of symbolic-codec clips).
std::string codesPath(const std::string& folder, const std::string& id) {
    return (fs::path(folder) / (id + ".codes.safetensors")).string();
}

constexpr const char* kIndexName = "library.json";
constexpr int kIndexVersion = 1;

std::string nowIso() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string readText(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ClipLibraryError("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

json clipToJson(const LibraryClip& c) {
    json j = {{"id", c.id},
              {"name", c.name},
              {"created", c.created},
              {"seconds", c.seconds},
              {"recipe", json::parse(c.recipe.toJson(-1))}};
    if (c.predictedValence && c.predictedArousal)
        j["predicted"] = {{"valence", *c.predictedValence}, {"arousal", *c.predictedArousal}};
    return j;
}

LibraryClip clipFromJson(const json& j) {
    LibraryClip c;
    c.id = j.at("id").get<std::string>();
    c.name = j.value("name", c.id);
    c.created = j.value("created", "");
    c.seconds = j.value("seconds", 0.0);
    c.recipe = Recipe::fromJson(j.at("recipe").dump());
    if (j.contains("predicted")) {
        c.predictedValence = j["predicted"].at("valence").get<double>();
        c.predictedArousal = j["predicted"].at("arousal").get<double>();
    }
    // The id names a file in the library folder: refuse anything that could escape it.
    if (c.id.empty() || c.id.find_first_of("/\\") != std::string::npos || c.id[0] == '.')
        throw std::runtime_error("invalid clip id \"" + c.id + "\"");
    return c;
}

} // namespace

ClipLibrary::ClipLibrary(std::string folder) : folder_(std::move(folder)) {
    std::error_code ec;
    fs::create_directories(folder_, ec);
    if (ec)
        throw ClipLibraryError("cannot create clip library folder " + folder_ + ": " +
                               ec.message());
    const std::string index = folder_ + "/" + kIndexName;
    if (!fs::exists(index)) return;
    try {
        const json j = json::parse(readText(index));
        for (const auto& c : j.at("clips"))
            clips_.push_back(clipFromJson(c));
    } catch (const ClipLibraryError&) {
        throw;
    } catch (const std::exception& e) {
        throw ClipLibraryError("malformed clip library index " + index + ": " + e.what());
    }
}

const LibraryClip* ClipLibrary::find(const std::string& id) const {
    for (const auto& c : clips_)
        if (c.id == id) return &c;
    return nullptr;
}

LibraryClip& ClipLibrary::get(const std::string& id) {
    for (auto& c : clips_)
        if (c.id == id) return c;
    throw ClipLibraryError("no clip \"" + id + "\" in the library " + folder_);
}

std::string ClipLibrary::audioPath(const std::string& id) const {
    return folder_ + "/" + id + ".wav";
}

std::string ClipLibrary::defaultName(const Recipe& recipe) {
    std::string name = recipe.prompt;
    if (name.empty() && !recipe.promptIds.empty()) { // models without a tokenizer
        name = "ids";
        for (auto id : recipe.promptIds)
            name.append(" ").append(std::to_string(id));
    }
    if (name.size() > 48) name = name.substr(0, 45) + "...";
    if (recipe.valence && recipe.arousal) {
        char buf[48];
        std::snprintf(buf, sizeof buf, "v %.1f a %.1f", *recipe.valence, *recipe.arousal);
        name = name.empty() ? buf : name + " (" + buf + ")";
    }
    return name.empty() ? "unconditional" : name;
}

const LibraryClip& ClipLibrary::add(const AudioBuffer& audio, const Recipe& recipe,
                                    const std::string& name, const CodeGrid* codes) {
    // Sortable, unique ids: UTC time to the millisecond plus a counter on collision.
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    std::string id;
    for (int n = 0;; ++n) {
        char buf[64];
        std::snprintf(buf, sizeof buf, n > 0 ? "clip-%lld-%d" : "clip-%lld",
                      static_cast<long long>(ms), n);
        id = buf;
        if (!find(id) && !fs::exists(audioPath(id))) break;
    }
    LibraryClip clip;
    clip.id = id;
    clip.name = name.empty() ? defaultName(recipe) : name;
    clip.created = nowIso();
    clip.seconds = audio.seconds();
    clip.recipe = recipe;
    AudioTags tags;
    tags.title = clip.name;
    tags.comment = recipe.toJson(-1);
    tags.software = "MoodSteer " + engineVersion();
    writeAudioFile(audioPath(id), audio, tags, /*overwrite=*/false);
    const std::string codesFile = codesPath(folder_, id);
    if (codes && codes->frames > 0) {
        try {
            writeCodesFile(codesFile, *codes);
        } catch (...) {
            fs::remove(audioPath(id));
            throw;
        }
    }
    clips_.push_back(clip);
    try {
        save();
    } catch (...) {
        clips_.pop_back();
        fs::remove(audioPath(id));
        fs::remove(codesFile);
        throw;
    }
    return clips_.back();
}

AudioBuffer ClipLibrary::audio(const std::string& id) const {
    if (!find(id)) throw ClipLibraryError("no clip \"" + id + "\" in the library " + folder_);
    return readAudioFile(audioPath(id));
}

void ClipLibrary::rename(const std::string& id, const std::string& name) {
    LibraryClip& c = get(id);
    const std::string old = c.name;
    c.name = name;
    try {
        save();
    } catch (...) {
        c.name = old;
        throw;
    }
}

void ClipLibrary::setPredictedEmotion(const std::string& id, double valence, double arousal) {
    LibraryClip& c = get(id);
    c.predictedValence = valence;
    c.predictedArousal = arousal;
    save();
}

void ClipLibrary::remove(const std::string& id) {
    get(id);
    std::vector<LibraryClip> kept;
    for (auto& c : clips_)
        if (c.id != id) kept.push_back(c);
    std::swap(kept, clips_);
    try {
        save();
    } catch (...) {
        std::swap(kept, clips_);
        throw;
    }
    std::error_code ec;
    fs::remove(audioPath(id), ec); // the index no longer names it; a leftover file is harmless
    fs::remove(codesPath(folder_, id), ec);
}

std::optional<CodeGrid> ClipLibrary::codes(const std::string& id) const {
    if (!find(id)) throw ClipLibraryError("no clip '" + id + "' in the library");
    const std::string path = codesPath(folder_, id);
    if (!fs::exists(path)) return std::nullopt;
    return readCodesFile(path);
}

void ClipLibrary::save() const {
    json j = {{"version", kIndexVersion}, {"clips", json::array()}};
    for (const auto& c : clips_)
        j["clips"].push_back(clipToJson(c));
    try {
        models::writeTextAtomically(folder_ + "/" + kIndexName, j.dump(2) + "\n");
    } catch (const std::exception& e) {
        throw ClipLibraryError(e.what());
    }
}

std::string ClipLibrary::sidecarPath(const std::string& path) {
    fs::path p(path);
    return (p.parent_path() / (p.stem().string() + ".recipe.json")).string();
}

void ClipLibrary::exportClip(const std::string& path, const AudioBuffer& audio,
                             const Recipe& recipe, const std::string& title, bool overwrite) {
    if (!isSupportedAudioExtension(path))
        throw AudioFileError("unsupported export format for " + path +
                             " (use .wav, .flac or .ogg)");
    const std::string sidecar = sidecarPath(path);
    if (!overwrite) {
        for (const auto& p : {path, sidecar})
            if (fs::exists(p)) throw AudioFileError(p + " already exists");
    }
    AudioTags tags;
    tags.title = title;
    tags.comment = recipe.toJson(-1);
    tags.software = "MoodSteer " + engineVersion();
    writeAudioFile(path, audio, tags, overwrite);
    models::writeTextAtomically(sidecar, recipe.toJson(2) + "\n", overwrite);
}

} // namespace moodsteer
