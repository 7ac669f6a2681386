#include "AlignmentData.h"

#include "core/alignment/AlignmentFeatures.h"
#include "core/alignment/AlignmentModel.h"
#include "core/audio/AudioFile.h"
#include "core/emotion/EmotionLexicon.h"
#include "core/io/CodesFile.h"
#include "core/synth/SynthCodec.h"
#include "io/CsvTable.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <stdexcept>

namespace fs = std::filesystem;

namespace moodsteer {
namespace {

std::string lower(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool endsWith(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && lower(s.substr(s.size() - tail.size())) == tail;
}

// Window features of one file: from the cache when the file's content and the feature
// definition are unchanged, else computed (and stored).
std::vector<std::vector<float>> featuresOf(const std::string& path, bool tokens,
                                           const AlignmentLoadContext& ctx) {
    const std::string signature =
        alignmentFeatureSignature() + (tokens ? "|synthcodec render" : "|audio file");
    std::unique_ptr<EmotionFeatureCache> cache;
    if (ctx.useCache)
        cache = std::make_unique<EmotionFeatureCache>(
            ctx.cacheDir.empty() ? defaultAlignmentCacheDir() : ctx.cacheDir);
    if (cache)
        if (auto hit = cache->load(path, signature)) return hit->features;
    AudioBuffer audio;
    try {
        audio = tokens ? SynthCodec().decode(readCodesFile(path)) : readAudioFile(path);
    } catch (const std::exception& e) {
        throw std::runtime_error("cannot read '" + path + "': " + e.what());
    }
    WindowedFeatures wf;
    try {
        wf.features = alignmentWindowFeatures(audio);
        // The cache stores window times; these are nominal (10 s windows from 0).
        for (std::size_t w = 0; w < wf.features.size(); ++w) {
            wf.startSeconds.push_back(static_cast<double>(w) * kAlignmentWindowSeconds);
            wf.endSeconds.push_back(std::min(audio.seconds(), (w + 1) * kAlignmentWindowSeconds));
        }
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error("'" + path + "': " + e.what());
    }
    if (cache) {
        try {
            cache->store(path, signature, wf);
        } catch (const std::exception&) {
            // The cache only saves time; an unwritable cache folder is not an error.
        }
    }
    return wf.features;
}

void checkCancel(const AlignmentLoadContext& ctx) {
    if (ctx.cancel && ctx.cancel->load()) throw std::runtime_error("cancelled");
}

CsvTable readLabels(const std::string& dir) {
    const auto path = (fs::path(dir) / "labels.csv").string();
    if (!fs::is_directory(dir)) throw std::runtime_error("'" + dir + "' is not a folder");
    if (!fs::is_regular_file(path)) throw std::runtime_error("'" + dir + "' has no labels.csv");
    auto t = CsvTable::read(path);
    for (const char* col : {"file", "genre"})
        if (!t.hasColumn(col))
            throw std::runtime_error("'" + path + "' has no '" + col + "' column");
    return t;
}

} // namespace

std::string defaultAlignmentCacheDir() {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    const std::string base = xdg && *xdg ? xdg : std::string(home ? home : "/tmp") + "/.cache";
    return base + "/moodsteer/alignment-features";
}

std::vector<std::string> genreCaptions(const std::string& g) {
    return {g + " music",
            "a " + g + " track",
            g + " song",
            "a piece of " + g + " music",
            g,
            "music in the style of " + g,
            "some " + g,
            g + " recording"};
}

std::vector<AlignmentClip> loadAlignmentCorpus(const std::string& dir,
                                               const AlignmentLoadContext& ctx) {
    const auto t = readLabels(dir);
    if (!t.hasColumn("prompt"))
        throw std::runtime_error("'" + dir + "/labels.csv' has no 'prompt' column (not a corpus)");
    std::vector<AlignmentClip> out;
    const int n = static_cast<int>(t.rows());
    for (std::size_t r = 0; r < t.rows(); ++r) {
        checkCancel(ctx);
        AlignmentClip c;
        c.dataset = "corpus";
        c.file = t.at(r, "file");
        c.genre = t.at(r, "genre");
        const bool tokens = endsWith(c.file, ".safetensors");
        const auto path = (fs::path(dir) / c.file).string();
        c.windows = featuresOf(path, tokens, ctx);
        c.texts.push_back(t.at(r, "prompt"));
        const auto word = alignmentGenreWord(c.genre);
        const auto caps = genreCaptions(word);
        // One genre caption per piece (varying with the piece), beside its own prompt.
        c.texts.push_back(caps[r % caps.size()]);
        out.push_back(std::move(c));
        if (ctx.progress) ctx.progress("corpus " + dir, static_cast<int>(r) + 1, n);
    }
    return out;
}

std::vector<AlignmentClip> loadAlignmentRecordings(const std::string& dir,
                                                   const std::string& dataset,
                                                   const AlignmentLoadContext& ctx) {
    const auto t = readLabels(dir);
    const bool emotion = t.hasColumn("valence") && t.hasColumn("arousal");
    const bool voice = t.hasColumn("vocalisation");
    const auto& lexicon = EmotionLexicon::builtin();
    std::vector<AlignmentClip> out;
    const int n = static_cast<int>(t.rows());
    for (std::size_t r = 0; r < t.rows(); ++r) {
        checkCancel(ctx);
        AlignmentClip c;
        c.dataset = dataset;
        c.file = t.at(r, "file");
        c.genre = t.at(r, "genre");
        const auto path = (fs::path(dir) / c.file).string();
        c.windows = featuresOf(path, false, ctx);
        const auto word = alignmentGenreWord(c.genre);
        c.texts = genreCaptions(word);
        if (emotion) {
            const double v = t.number(r, "valence"), a = t.number(r, "arousal");
            for (const auto& m : lexicon.nearestMood(v, a, 3)) {
                c.texts.push_back(m.word + " " + word + " music");
                c.texts.push_back(word + " that feels " + m.word);
            }
        }
        if (voice) {
            const bool sung = lower(t.at(r, "vocalisation")) == "yes";
            c.texts.push_back(sung ? word + " song with vocals"
                                   : "instrumental " + word + " music");
        }
        out.push_back(std::move(c));
        if (ctx.progress) ctx.progress(dataset + " " + dir, static_cast<int>(r) + 1, n);
    }
    return out;
}

std::vector<std::string> heldOutRecordings(const std::vector<AlignmentClip>& clips, int every) {
    if (every < 2) throw std::invalid_argument("held-out share: every must be at least 2");
    std::map<std::string, std::vector<std::string>> byGenre;
    for (const auto& c : clips)
        byGenre[c.genre].push_back(c.file);
    std::vector<std::string> out;
    for (auto& [g, files] : byGenre) {
        std::sort(files.begin(), files.end());
        for (std::size_t i = static_cast<std::size_t>(every / 2); i < files.size();
             i += static_cast<std::size_t>(every))
            out.push_back(files[i]);
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace moodsteer
