#include "core/library/ClipLibrary.h"

#include "core/io/CodesFile.h"

#include "core/audio/AudioFile.h"
#include "core/io/Version.h"
#include "models/AtomicFile.h"

#include <nlohmann/json.hpp>
#include <sndfile.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

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
constexpr const char* kLockName = "library.lock";

/// The clip's own sidecar: its recipe (usable as `generate --recipe`) plus its name and date,
/// from which a lost index is rebuilt.
std::string clipSidecarPath(const std::string& folder, const std::string& id) {
    return (fs::path(folder) / (id + ".recipe.json")).string();
}

std::string uniqueBackupPath(const std::string& index) {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    std::string path = index + ".corrupt-" + stamp;
    for (int n = 1; fs::exists(path); ++n)
        path = index + ".corrupt-" + stamp + "-" + std::to_string(n);
    return path;
}
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

/// Exclusive lock on <folder>/library.lock for one read-modify-write of the index. A folder
/// where the lock file cannot be created (read-only) is used without one: nothing can be
/// written there anyway.
class ClipLibrary::Lock {
  public:
    explicit Lock(const ClipLibrary& lib) {
        const std::string path = lib.folder_ + "/" + kLockName;
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd_ < 0) return;
        while (::flock(fd_, LOCK_EX) != 0) {
            if (errno == EINTR) continue;
            const std::string why = std::strerror(errno);
            ::close(fd_);
            throw ClipLibraryError("cannot lock the clip library " + path + ": " + why);
        }
    }
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;
    ~Lock() {
        if (fd_ >= 0) ::close(fd_);
    }

  private:
    int fd_ = -1;
};

ClipLibrary::ClipLibrary(std::string folder) : folder_(std::move(folder)) {
    std::error_code ec;
    fs::create_directories(folder_, ec);
    if (ec)
        throw ClipLibraryError("cannot create clip library folder " + folder_ + ": " +
                               ec.message());
    Lock lock(*this);
    models::removeStaleTemporaries(folder_); // left by a writer that was killed
    load();
}

void ClipLibrary::reload() {
    Lock lock(*this);
    load();
}

void ClipLibrary::load() {
    const std::string index = folder_ + "/" + kIndexName;
    std::vector<LibraryClip> clips;
    if (!fs::exists(index)) {
        clips_.clear();
        return;
    }
    try {
        const json j = json::parse(readText(index));
        for (const auto& c : j.at("clips"))
            clips.push_back(clipFromJson(c));
    } catch (const ClipLibraryError&) {
        throw;
    } catch (const std::exception& e) {
        rebuildFromFiles(e.what());
        return;
    }
    clips_ = std::move(clips);
}

void ClipLibrary::rebuildFromFiles(const std::string& why) {
    const std::string index = folder_ + "/" + kIndexName;
    const std::string backup = uniqueBackupPath(index);
    if (::rename(index.c_str(), backup.c_str()) != 0)
        throw ClipLibraryError("malformed clip library index " + index + " (" + why +
                               ") and it cannot be moved aside: " + std::strerror(errno));
    std::vector<LibraryClip> clips;
    std::vector<std::string> ids;
    for (const auto& e : fs::directory_iterator(folder_)) {
        const std::string name = e.path().filename().string();
        if (e.is_regular_file() && name.rfind("clip-", 0) == 0 && e.path().extension() == ".wav")
            ids.push_back(e.path().stem().string());
    }
    std::sort(ids.begin(), ids.end());
    for (const auto& id : ids) {
        LibraryClip c;
        c.id = id;
        const std::string wav = audioPath(id);
        SF_INFO info{};
        SNDFILE* f = sf_open(wav.c_str(), SFM_READ, &info);
        if (!f) continue; // not a readable clip: left alone, not indexed
        std::string comment;
        if (const char* tag = sf_get_string(f, SF_STR_COMMENT)) comment = tag;
        sf_close(f);
        c.seconds = info.samplerate > 0 ? static_cast<double>(info.frames) / info.samplerate : 0;
        try {
            const std::string sidecar = clipSidecarPath(folder_, id);
            if (fs::exists(sidecar)) {
                c.recipe = Recipe::fromFile(sidecar);
                const json j = json::parse(readText(sidecar));
                if (auto it = j.find("clip"); it != j.end() && it->is_object()) {
                    c.name = it->value("name", "");
                    c.created = it->value("created", "");
                }
            } else if (!comment.empty()) {
                c.recipe = Recipe::fromJson(comment, wav);
            }
        } catch (const std::exception&) {
            // A clip without a readable recipe is still the user's audio: keep it listed.
        }
        if (c.name.empty()) c.name = defaultName(c.recipe);
        clips.push_back(std::move(c));
    }
    clips_ = std::move(clips);
    save();
    recovered_ = "the clip library index " + index + " was unreadable (" + why +
                 "); it was kept as " + backup + " and " + std::to_string(clips_.size()) +
                 " clip(s) were rebuilt from their files";
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
    Lock lock(*this);
    load(); // other writers' clips since we last looked
    // Sortable, unique ids: UTC time to the millisecond plus a counter on collision; the
    // lock makes the choice safe against other writers of this folder.
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    std::string id;
    for (int n = 0;; ++n) {
        char buf[64];
        std::snprintf(buf, sizeof buf, n > 0 ? "clip-%lld-%d" : "clip-%lld",
                      static_cast<long long>(ms), n);
        id = buf;
        if (!find(id) && !fs::exists(audioPath(id)) && !fs::exists(clipSidecarPath(folder_, id)))
            break;
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
    json sidecar = json::parse(recipe.toJson(-1));
    sidecar["clip"] = {{"id", id}, {"name", clip.name}, {"created", clip.created}};
    const std::string codesFile = codesPath(folder_, id);
    const std::string sidecarFile = clipSidecarPath(folder_, id);
    const auto removeFiles = [&]() {
        std::error_code ec;
        fs::remove(audioPath(id), ec);
        fs::remove(codesFile, ec);
        fs::remove(sidecarFile, ec);
    };
    try {
        writeAudioFile(audioPath(id), audio, tags, /*overwrite=*/false);
        if (codes && codes->frames > 0) writeCodesFile(codesFile, *codes);
        models::writeTextAtomically(
            sidecarFile, sidecar.dump(2, ' ', false, json::error_handler_t::replace) + "\n",
            /*overwrite=*/false);
    } catch (...) {
        removeFiles(); // only files with this new, unique id: never another clip's
        throw;
    }
    clips_.push_back(clip);
    try {
        save();
    } catch (...) {
        clips_.pop_back();
        removeFiles();
        throw;
    }
    return clips_.back();
}

AudioBuffer ClipLibrary::audio(const std::string& id) const {
    if (!find(id)) throw ClipLibraryError("no clip \"" + id + "\" in the library " + folder_);
    return readAudioFile(audioPath(id));
}

void ClipLibrary::rename(const std::string& idRef, const std::string& name) {
    // A copy: callers pass clips()[i].id, which load() below replaces.
    const std::string id = idRef;
    Lock lock(*this);
    load();
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

void ClipLibrary::setPredictedEmotion(const std::string& idRef, double valence, double arousal) {
    // A copy: callers pass clips()[i].id, which load() below replaces.
    const std::string id = idRef;
    Lock lock(*this);
    load();
    LibraryClip& c = get(id);
    const auto oldValence = c.predictedValence, oldArousal = c.predictedArousal;
    c.predictedValence = valence;
    c.predictedArousal = arousal;
    try {
        save();
    } catch (...) {
        c.predictedValence = oldValence;
        c.predictedArousal = oldArousal;
        throw;
    }
}

void ClipLibrary::remove(const std::string& idRef) {
    // A copy: callers pass clips()[i].id, which load() below replaces.
    const std::string id = idRef;
    Lock lock(*this);
    load();
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
    fs::remove(clipSidecarPath(folder_, id), ec);
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
        models::writeTextAtomically(folder_ + "/" + kIndexName,
                                    j.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
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
    // One transaction: both files or neither, and a failure keeps the previous pair.
    models::AtomicWriteSet set;
    set.add(
        path, [&](const std::string& tmp) { writeAudioFile(tmp, audio, tags, true); }, overwrite);
    set.add(
        sidecar,
        [&](const std::string& tmp) { models::writeTextAtomically(tmp, recipe.toJson(2) + "\n"); },
        overwrite);
    set.commit();
}

} // namespace moodsteer
