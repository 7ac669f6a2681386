#include "core/Recipe.h"

#include "core/SteeringSchedule.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <stdexcept>

namespace moodsteer {
namespace {

double finiteField(const nlohmann::json& j, const char* key) {
    if (!j.is_number() || !std::isfinite(j.get<double>()))
        throw std::runtime_error(std::string("recipe: field '") + key +
                                 "' must be a finite number");
    return j.get<double>();
}

template <typename T> void read(const nlohmann::json& j, const char* key, T& out) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    try {
        out = it->get<T>();
    } catch (const nlohmann::json::exception&) {
        throw std::runtime_error(std::string("recipe: field '") + key + "' has the wrong type");
    }
}

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
        for (const auto& r : reseeds)
            rs.push_back({{"window", r.window}, {"seed", r.seed}});
        j["reseeds"] = rs;
    }
    if (!continueFrom.empty()) j["continue_from"] = continueFrom;
    if (incomplete) j["incomplete"] = true;
    return j.dump(indent);
}

Recipe Recipe::fromJson(const std::string& text) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(std::string("recipe is not valid JSON: ") + e.what());
    }
    if (!j.is_object()) throw std::runtime_error("recipe is not a JSON object");
    Recipe r;
    read(j, "model", r.model);
    read(j, "prompt", r.prompt);
    read(j, "prompt_ids", r.promptIds);
    double v = 0;
    if (j.contains("valence") && !j["valence"].is_null()) {
        read(j, "valence", v);
        r.valence = v;
    }
    if (j.contains("arousal") && !j["arousal"].is_null()) {
        read(j, "arousal", v);
        r.arousal = v;
    }
    read(j, "seed", r.seed);
    read(j, "guidance", r.guidance);
    read(j, "temperature", r.temperature);
    read(j, "top_k", r.topK);
    read(j, "top_p", r.topP);
    read(j, "greedy", r.greedy);
    read(j, "seconds", r.seconds);
    read(j, "steps", r.steps);
    read(j, "engine_version", r.engineVersion);
    if (auto it = j.find("steering"); it != j.end() && it->is_array()) {
        for (const auto& s : *it) {
            SteeringSpec spec;
            read(s, "vector", spec.vectorPath);
            read(s, "label", spec.label);
            read(s, "layer", spec.layer);
            read(s, "alpha", spec.alpha);
            std::string sched = "constant";
            read(s, "schedule", sched);
            try {
                spec.schedule = steeringScheduleFromName(sched);
            } catch (const std::invalid_argument& e) {
                throw std::runtime_error(std::string("recipe: ") + e.what());
            }
            if (s.contains("from_seconds"))
                spec.fromSeconds = finiteField(s["from_seconds"], "from_seconds");
            if (s.contains("to_seconds"))
                spec.toSeconds = finiteField(s["to_seconds"], "to_seconds");
            if (spec.hasRange() &&
                !(spec.fromSeconds.value_or(0) >= 0 &&
                  spec.fromSeconds.value_or(0) < spec.toSeconds.value_or(INFINITY)))
                throw std::runtime_error("recipe: steering '" + spec.label +
                                         "' needs 0 <= from_seconds < to_seconds");
            r.steering.push_back(spec);
        }
    }
    if (auto it = j.find("emotion_path"); it != j.end() && !it->is_null()) {
        if (!it->is_object() || !it->contains("keyframes") || !(*it)["keyframes"].is_array())
            throw std::runtime_error("recipe: 'emotion_path' needs a 'keyframes' array");
        std::vector<VaKeyframe> keys;
        for (const auto& k : (*it)["keyframes"]) {
            if (!k.is_array() || k.size() != 3)
                throw std::runtime_error(
                    "recipe: each emotion_path keyframe is [time, valence, arousal]");
            keys.push_back({finiteField(k[0], "emotion_path"), finiteField(k[1], "emotion_path"),
                            finiteField(k[2], "emotion_path")});
        }
        std::string interp = "linear";
        read(*it, "interpolation", interp);
        try {
            r.emotionPath = VaPath(std::move(keys), VaPath::interpolationFromName(interp));
        } catch (const std::invalid_argument& e) {
            throw std::runtime_error(std::string("recipe: ") + e.what());
        }
    }
    read(j, "window_seconds", r.windowSeconds);
    read(j, "stride_seconds", r.strideSeconds);
    if (!std::isfinite(r.windowSeconds) || r.windowSeconds < 0 || !std::isfinite(r.strideSeconds) ||
        r.strideSeconds < 0 || (r.windowSeconds > 0 && r.strideSeconds >= r.windowSeconds))
        throw std::runtime_error(
            "recipe: need window_seconds >= 0 and 0 <= stride_seconds < window_seconds");
    if (auto it = j.find("reseeds"); it != j.end() && !it->is_null()) {
        if (!it->is_array()) throw std::runtime_error("recipe: 'reseeds' must be an array");
        for (const auto& e : *it) {
            WindowReseed w;
            read(e, "window", w.window);
            read(e, "seed", w.seed);
            if (w.window < 0) throw std::runtime_error("recipe: a reseed's window must be >= 0");
            r.reseeds.push_back(w);
        }
    }
    read(j, "continue_from", r.continueFrom);
    read(j, "incomplete", r.incomplete);
    return r;
}

} // namespace moodsteer
