#include "core/engine/Recipe.h"

#include "core/io/FileInput.h"

#include "core/engine/ValueLimits.h"
#include "core/engine/WeightPrecisions.h"
#include "core/steering/SteeringSchedule.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace moodsteer {
namespace {

using nlohmann::json;

/// Error context: the recipe's source (file name or "recipe") for every message.
struct Fields {
    const json& j;
    const std::string& source;

    [[noreturn]] void fail(const std::string& key, const std::string& rule, const json& got) const {
        throw std::runtime_error(source + ": \"" + key + "\" must be " + rule + ", got " +
                                 got.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    const json* find(const char* key) const {
        auto it = j.find(key);
        return it == j.end() || it->is_null() ? nullptr : &*it;
    }
    template <typename T> void read(const char* key, T& out, const char* rule) const {
        const json* v = find(key);
        if (!v) return;
        try {
            out = v->get<T>();
        } catch (const json::exception&) {
            fail(key, rule, *v);
        }
    }
    /// An integer in [lo, hi]; floats (1.5, 2.0) and out-of-range values are refused.
    void integer(const char* key, int& out, long long lo, long long hi) const {
        const json* v = find(key);
        if (!v) return;
        const std::string rule =
            "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
        if (v->is_number_unsigned()) {
            const auto u = v->get<std::uint64_t>();
            if (u > static_cast<std::uint64_t>(hi) || static_cast<long long>(u) < lo)
                fail(key, rule, *v);
            out = static_cast<int>(u);
            return;
        }
        if (!v->is_number_integer()) fail(key, rule, *v);
        const auto n = v->get<std::int64_t>();
        if (n < lo || n > hi) fail(key, rule, *v);
        out = static_cast<int>(n);
    }
    void real(const char* key, double& out, double lo, bool loOpen, double hi) const {
        const json* v = find(key);
        if (!v) return;
        std::ostringstream rule;
        rule << "a number in " << (loOpen ? "(" : "[") << lo << ", " << hi << "]";
        if (!v->is_number()) fail(key, rule.str(), *v);
        const double d = v->get<double>();
        if (!std::isfinite(d) || (loOpen ? !(d > lo) : !(d >= lo)) || d > hi)
            fail(key, rule.str(), *v);
        out = d;
    }
};

} // namespace

std::string Recipe::toJson(int indent) const {
    nlohmann::ordered_json j;
    j["model"] = model;
    j["prompt"] = prompt;
    if (!promptIds.empty()) j["prompt_ids"] = promptIds;
    j["valence"] = valence ? nlohmann::ordered_json(*valence) : nlohmann::ordered_json(nullptr);
    j["arousal"] = arousal ? nlohmann::ordered_json(*arousal) : nlohmann::ordered_json(nullptr);
    j["seed"] = seed;
    j["guidance"] = guidance;
    if (emotionGuidance) j["emotion_guidance"] = *emotionGuidance; // absent in older recipes
    j["temperature"] = temperature;
    j["top_k"] = topK;
    j["top_p"] = topP;
    j["greedy"] = greedy;
    j["seconds"] = seconds;
    j["steps"] = steps;
    auto steer = nlohmann::ordered_json::array();
    for (const auto& s : steering) {
        nlohmann::ordered_json e{{"vector", s.vectorPath},
                                 {"label", s.label},
                                 {"layer", s.layer},
                                 {"alpha", s.alpha},
                                 {"schedule", steeringScheduleName(s.schedule)}};
        if (s.fromSeconds) e["from_seconds"] = *s.fromSeconds;
        if (s.toSeconds) e["to_seconds"] = *s.toSeconds;
        steer.push_back(e);
    }
    j["steering"] = steer;
    j["engine_version"] = engineVersion;
    // Written only when set, so that recipes from before paths and sessions stay unchanged.
    if (!emotionPath.empty()) {
        auto keys = nlohmann::ordered_json::array();
        for (const auto& k : emotionPath.keyframes())
            keys.push_back({k.time, k.valence, k.arousal});
        j["emotion_path"] = {
            {"interpolation", VaPath::interpolationName(emotionPath.interpolation())},
            {"keyframes", keys}};
    }
    if (windowSeconds > 0) {
        j["window_seconds"] = windowSeconds;
        j["stride_seconds"] = strideSeconds;
    }
    if (!reseeds.empty()) {
        auto rs = nlohmann::ordered_json::array();
        for (const auto& r : reseeds) {
            nlohmann::ordered_json one{{"window", r.window}, {"seed", r.seed}};
            if (r.emotionGuidance) one["emotion_guidance"] = *r.emotionGuidance;
            if (r.frames > 0) one["frames"] = r.frames;
            rs.push_back(std::move(one));
        }
        j["reseeds"] = rs;
    }
    if (!continueFrom.empty()) j["continue_from"] = continueFrom;
    if (incomplete) j["incomplete"] = true;
    if (!promptChanges.empty()) {
        auto changes = nlohmann::ordered_json::array();
        for (const auto& c : promptChanges)
            changes.push_back({{"time", c.time}, {"prompt", c.prompt}});
        j["prompt_changes"] = changes;
    }
    if (seamCandidates > 1) j["seam_candidates"] = seamCandidates;
    if (acceptSeconds > 0) j["accept_seconds"] = acceptSeconds;
    if (firstAcceptSeconds > 0) j["first_accept_seconds"] = firstAcceptSeconds;
    if (acceptPace > 0) j["accept_pace"] = acceptPace;
    if (readAhead) j["read_ahead"] = true;
    if (emotionCheck > 0) j["emotion_check"] = emotionCheck;
    if (!precision.empty()) j["precision"] = precision;
    if (!modelRevision.empty()) j["model_revision"] = modelRevision;
    if (!modelHash.empty()) j["model_hash"] = modelHash;
    if (!kvCache.empty()) j["kv_cache"] = kvCache;
    if (take > 0) {
        j["take"] = take;
        j["takes"] = takes;
    }
    if (!importedFrom.empty()) j["imported_from"] = importedFrom;
    if (variation > 0) {
        j["variation_of"] = variationOf;
        j["variation"] = variation;
        j["variations"] = variations;
        j["variation_similarity"] = variationSimilarity;
        j["variation_shift_arousal"] = variationShiftArousal;
        if (variationShiftValence != 0) j["variation_shift_valence"] = variationShiftValence;
        if (restoredTo > restoredFrom) {
            j["restored_from"] = restoredFrom;
            j["restored_to"] = restoredTo;
        }
    }
    // Non-UTF-8 bytes (a prompt or path from a Latin-1 shell) become U+FFFD instead of
    // throwing from the writer after the audio was made.
    return j.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Recipe Recipe::fromJson(const std::string& text) {
    return fromJson(text, "recipe");
}

Recipe Recipe::fromJson(const std::string& text, const std::string& source) {
    namespace L = limits;
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        throw std::runtime_error(source + " is not valid JSON: " + e.what());
    }
    if (!j.is_object()) throw std::runtime_error(source + " is not a JSON object");
    const Fields f{j, source};
    Recipe r;
    f.read("model", r.model, "a string");
    f.read("prompt", r.prompt, "a string");
    f.read("prompt_ids", r.promptIds, "a list of integers");
    for (auto id : r.promptIds)
        if (id < 0) f.fail("prompt_ids", "a list of non-negative integers", j["prompt_ids"]);
    double v = 0;
    if (f.find("valence")) {
        f.real("valence", v, L::kMinEmotion, false, L::kMaxEmotion);
        r.valence = v;
    }
    if (f.find("arousal")) {
        f.real("arousal", v, L::kMinEmotion, false, L::kMaxEmotion);
        r.arousal = v;
    }
    if (const json* s = f.find("seed")) {
        // Seeds are unsigned 64-bit: 1.5, -1 and 2^64 are refused, never rounded or wrapped.
        if (!s->is_number_unsigned()) f.fail("seed", "an unsigned 64-bit integer", *s);
        r.seed = s->get<std::uint64_t>();
    }
    f.real("guidance", r.guidance, 0.0, false, L::kMaxGuidance);
    if (f.find("emotion_guidance")) {
        double e = 0;
        f.real("emotion_guidance", e, 0.0, false, L::kMaxGuidance);
        r.emotionGuidance = e;
    }
    f.real("temperature", r.temperature, 0.0, true, L::kMaxTemperature);
    f.integer("top_k", r.topK, 0, L::kMaxInt); // 0: all codes
    f.real("top_p", r.topP, 0.0, false, 1.0);  // 0: off
    f.read("greedy", r.greedy, "true or false");
    f.real("seconds", r.seconds, 0.0, true, L::kMaxSeconds);
    f.integer("steps", r.steps, 0, L::kMaxInt); // 0: use seconds
    f.read("engine_version", r.engineVersion, "a string");
    f.read("precision", r.precision, "a string");
    if (!r.precision.empty() && !isWeightPrecision(r.precision))
        f.fail("precision", "one of " + weightPrecisionChoices(), j["precision"]);
    f.read("model_revision", r.modelRevision, "a string");
    f.read("model_hash", r.modelHash, "a string");
    if (f.find("kv_cache")) {
        f.read("kv_cache", r.kvCache, "a string");
        if (r.kvCache != "f32" && r.kvCache != "bf16" && r.kvCache != "int8")
            f.fail("kv_cache", "one of f32, bf16, int8", j["kv_cache"]);
    } else if (!r.precision.empty()) {
        // Made before the cache precision was recorded: the cache its weights then used.
        r.kvCache = r.precision == "f32" ? "f32" : "bf16";
    }
    if (f.find("take")) {
        f.integer("take", r.take, 1, L::kMaxTakes);
        f.integer("takes", r.takes, 1, L::kMaxTakes);
        if (r.take > r.takes)
            throw std::runtime_error(source + ": take " + std::to_string(r.take) + " of only " +
                                     std::to_string(r.takes) + " takes");
    }
    f.read("imported_from", r.importedFrom, "a string");
    if (f.find("variation")) {
        f.read("variation_of", r.variationOf, "a string");
        f.integer("variation", r.variation, 1, kMaxVariations);
        f.integer("variations", r.variations, 1, kMaxVariations);
        if (r.variation > r.variations)
            throw std::runtime_error(source + ": variation " + std::to_string(r.variation) +
                                     " of only " + std::to_string(r.variations));
        f.real("variation_similarity", r.variationSimilarity, 0.0, false, 1.0);
        f.real("variation_shift_arousal", r.variationShiftArousal, -8.0, false, 8.0);
        f.real("variation_shift_valence", r.variationShiftValence, -8.0, false, 8.0);
        if (f.find("restored_from") || f.find("restored_to")) {
            f.real("restored_from", r.restoredFrom, 0.0, false, L::kMaxSeconds);
            f.real("restored_to", r.restoredTo, 0.0, true, L::kMaxSeconds);
            if (!(r.restoredTo > r.restoredFrom))
                throw std::runtime_error(source + ": restored_to must be after restored_from");
        }
    }
    if (const json* st = f.find("steering")) {
        if (!st->is_array()) f.fail("steering", "a list", *st);
        for (std::size_t i = 0; i < st->size(); ++i) {
            const json& s = (*st)[i];
            const std::string where = source + ": steering[" + std::to_string(i) + "]";
            if (!s.is_object()) throw std::runtime_error(where + " must be an object");
            const Fields g{s, where};
            SteeringSpec spec;
            g.read("vector", spec.vectorPath, "a string");
            g.read("label", spec.label, "a string");
            g.integer("layer", spec.layer, -1, L::kMaxLayer);
            g.real("alpha", spec.alpha, -L::kMaxAlpha, false, L::kMaxAlpha);
            std::string sched = "constant";
            g.read("schedule", sched, "a string");
            try {
                spec.schedule = steeringScheduleFromName(sched);
            } catch (const std::invalid_argument& e) {
                throw std::runtime_error(where + ": " + e.what());
            }
            double t = 0;
            if (g.find("from_seconds")) {
                g.real("from_seconds", t, 0.0, false, L::kMaxSeconds);
                spec.fromSeconds = t;
            }
            if (g.find("to_seconds")) {
                g.real("to_seconds", t, 0.0, true, L::kMaxSeconds);
                spec.toSeconds = t;
            }
            if (spec.fromSeconds && spec.toSeconds && !(*spec.fromSeconds < *spec.toSeconds))
                throw std::runtime_error(where + ": needs from_seconds < to_seconds");
            r.steering.push_back(spec);
        }
    }
    if (const json* path = f.find("emotion_path")) {
        const std::string where = source + ": emotion_path";
        if (!path->is_object() || !path->contains("keyframes") || !(*path)["keyframes"].is_array())
            throw std::runtime_error(where + " needs a \"keyframes\" list");
        std::vector<VaKeyframe> keys;
        for (const auto& k : (*path)["keyframes"]) {
            if (!k.is_array() || k.size() != 3 || !k[0].is_number() || !k[1].is_number() ||
                !k[2].is_number())
                throw std::runtime_error(where + ": each keyframe is [time, valence, arousal]");
            keys.push_back({k[0].get<double>(), k[1].get<double>(), k[2].get<double>()});
        }
        std::string interp = "linear";
        Fields{*path, where}.read("interpolation", interp, "a string");
        try {
            r.emotionPath = VaPath(std::move(keys), VaPath::interpolationFromName(interp));
        } catch (const std::invalid_argument& e) {
            throw std::runtime_error(where + ": " + e.what());
        }
    }
    f.real("window_seconds", r.windowSeconds, 0.0, false, L::kMaxSeconds);
    f.real("stride_seconds", r.strideSeconds, 0.0, false, L::kMaxSeconds);
    if (r.windowSeconds > 0 && !(r.strideSeconds < r.windowSeconds))
        throw std::runtime_error(source + ": needs 0 <= stride_seconds < window_seconds (got " +
                                 std::to_string(r.strideSeconds) + " and " +
                                 std::to_string(r.windowSeconds) + ")");
    if (const json* rs = f.find("reseeds")) {
        if (!rs->is_array()) f.fail("reseeds", "a list", *rs);
        for (std::size_t i = 0; i < rs->size(); ++i) {
            const std::string where = source + ": reseeds[" + std::to_string(i) + "]";
            if (!(*rs)[i].is_object()) throw std::runtime_error(where + " must be an object");
            const Fields g{(*rs)[i], where};
            WindowReseed w;
            g.integer("window", w.window, 0, L::kMaxInt);
            if (const json* sd = g.find("seed")) {
                if (!sd->is_number_unsigned()) g.fail("seed", "an unsigned 64-bit integer", *sd);
                w.seed = sd->get<std::uint64_t>();
            }
            if (g.find("emotion_guidance")) {
                double e = 0;
                g.real("emotion_guidance", e, 0.0, false, L::kMaxGuidance);
                w.emotionGuidance = e;
            }
            g.integer("frames", w.frames, 0, L::kMaxInt);
            r.reseeds.push_back(w);
        }
    }
    f.integer("seam_candidates", r.seamCandidates, 1, L::kMaxSeamCandidates);
    f.real("accept_seconds", r.acceptSeconds, 0.0, false, L::kMaxSeconds);
    f.real("first_accept_seconds", r.firstAcceptSeconds, 0.0, false, L::kMaxSeconds);
    f.real("accept_pace", r.acceptPace, 0.0, false, Recipe::kMaxAcceptPace);
    f.read("read_ahead", r.readAhead, "true or false");
    f.real("emotion_check", r.emotionCheck, 0.0, false, L::kMaxEmotionCheck);
    f.read("continue_from", r.continueFrom, "a string");
    f.read("incomplete", r.incomplete, "true or false");
    if (const json* pc = f.find("prompt_changes")) {
        if (!pc->is_array()) f.fail("prompt_changes", "a list", *pc);
        for (std::size_t i = 0; i < pc->size(); ++i) {
            const std::string where = source + ": prompt_changes[" + std::to_string(i) + "]";
            if (!(*pc)[i].is_object()) throw std::runtime_error(where + " must be an object");
            const Fields g{(*pc)[i], where};
            PromptChange c;
            g.real("time", c.time, 0.0, false, L::kMaxSeconds);
            g.read("prompt", c.prompt, "a string");
            if (!r.promptChanges.empty() && !(c.time > r.promptChanges.back().time))
                throw std::runtime_error(where + ": times must increase");
            r.promptChanges.push_back(std::move(c));
        }
    }
    return r;
}

std::string Recipe::promptAt(double seconds) const {
    std::string text = prompt;
    for (const auto& c : promptChanges)
        if (c.time <= seconds) text = c.prompt;
    return text;
}

std::optional<std::pair<double, double>> Recipe::emotionAt(double seconds) const {
    if (!emotionPath.empty()) return emotionPath.at(seconds);
    if (valence && arousal) return std::pair{*valence, *arousal};
    return std::nullopt;
}

Recipe Recipe::fromFile(const std::string& path) {
    // Bounded and regular-file-checked (a FIFO or /dev/zero is refused, never read).
    return fromJson(readRecipeFile(path), path);
}

} // namespace moodsteer
