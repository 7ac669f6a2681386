#include "core/engine/Recipe.h"

#include "core/io/FileInput.h"

#include "core/steering/SteeringSchedule.h"
#include "core/engine/ValueLimits.h"

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
            if (u > static_cast<std::uint64_t>(hi)) fail(key, rule, *v);
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
    j["temperature"] = temperature;
    j["top_k"] = topK;
    j["top_p"] = topP;
    j["greedy"] = greedy;
    j["seconds"] = seconds;
    j["steps"] = steps;
    auto steer = nlohmann::ordered_json::array();
    for (const auto& s : steering)
        steer.push_back({{"vector", s.vectorPath},
                         {"label", s.label},
                         {"layer", s.layer},
                         {"alpha", s.alpha},
                         {"schedule", steeringScheduleName(s.schedule)}});
    j["steering"] = steer;
    j["engine_version"] = engineVersion;
    if (!precision.empty()) j["precision"] = precision;
    if (!modelRevision.empty()) j["model_revision"] = modelRevision;
    if (!modelHash.empty()) j["model_hash"] = modelHash;
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
    f.real("temperature", r.temperature, 0.0, true, L::kMaxTemperature);
    f.integer("top_k", r.topK, 0, L::kMaxInt); // 0: all codes
    f.real("top_p", r.topP, 0.0, false, 1.0);  // 0: off
    f.read("greedy", r.greedy, "true or false");
    f.real("seconds", r.seconds, 0.0, true, L::kMaxSeconds);
    f.integer("steps", r.steps, 0, L::kMaxInt); // 0: use seconds
    f.read("engine_version", r.engineVersion, "a string");
    f.read("precision", r.precision, "a string");
    if (!r.precision.empty() && r.precision != "f32" && r.precision != "bf16" &&
        r.precision != "int8")
        f.fail("precision", "one of f32, bf16, int8", j["precision"]);
    f.read("model_revision", r.modelRevision, "a string");
    f.read("model_hash", r.modelHash, "a string");
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
            r.steering.push_back(spec);
        }
    }
    return r;
}

Recipe Recipe::fromFile(const std::string& path) {
    // Bounded and regular-file-checked (a FIFO or /dev/zero is refused, never read).
    return fromJson(readRecipeFile(path), path);
}

} // namespace moodsteer
