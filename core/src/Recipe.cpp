#include "core/Recipe.h"

#include "core/SteeringSchedule.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace moodsteer {
namespace {

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
    read(j, "precision", r.precision);
    read(j, "model_revision", r.modelRevision);
    read(j, "model_hash", r.modelHash);
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
            r.steering.push_back(spec);
        }
    }
    return r;
}

} // namespace moodsteer
