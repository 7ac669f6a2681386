#include "SteerSupport.h"

#include "CliCommand.h"
#include "CliSupport.h"

#include "core/engine/ValueLimits.h"
#include "core/steering/SteeringVector.h"

#include <cmath>
#include <sstream>

namespace moodsteer::cli {

std::vector<std::string> splitList(const std::string& text, char sep, const std::string& what) {
    std::vector<std::string> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, sep)) {
        if (item.empty()) throw UsageError(what + ": empty item in '" + text + "'");
        out.push_back(item);
    }
    if (out.empty()) throw UsageError(what + ": empty list");
    return out;
}

std::unique_ptr<MusicEngine> loadEngineArg(const std::string& model, int threads) {
    checkModelFolder(model);
    const std::string folder =
        model.empty() || model == "embedded" ? MusicEngine::embeddedModelFolder() : model;
    if (folder.empty())
        throw std::runtime_error("no --model given and the embedded model is not installed");
    LoadOptions lo;
    lo.threads = threads;
    return MusicEngine::load(folder, lo);
}

std::vector<std::vector<std::int64_t>> parseLabelIds(const std::string& text,
                                                     const std::vector<std::string>& labels) {
    std::vector<std::vector<std::int64_t>> out(labels.size());
    std::vector<bool> seen(labels.size(), false);
    for (const auto& item : splitList(text, ';', "--label-prompt-ids")) {
        const auto eq = item.find('=');
        if (eq == std::string::npos)
            throw UsageError("--label-prompt-ids: expected label=ids, got '" + item + "'");
        const std::string label = item.substr(0, eq);
        std::size_t i = 0;
        while (i < labels.size() && labels[i] != label)
            ++i;
        if (i == labels.size())
            throw UsageError("--label-prompt-ids: '" + label + "' is not one of the labels");
        out[i] = parseIdList(item.substr(eq + 1));
        seen[i] = true;
    }
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (!seen[i]) throw UsageError("--label-prompt-ids: no ids for label '" + labels[i] + "'");
    return out;
}

namespace {
double parseNumber(const std::string& s, const std::string& what) {
    try {
        std::size_t used = 0;
        const double v = std::stod(s, &used);
        if (used != s.size() || !std::isfinite(v)) throw std::invalid_argument(s);
        return v;
    } catch (const std::exception&) {
        throw UsageError(what + ": '" + s + "' is not a number");
    }
}

double parseAlpha(const std::string& s, const std::string& what) {
    const double a = parseNumber(s, what);
    if (std::fabs(a) > limits::kMaxAlpha)
        throw UsageError(what + " must be a number in [-" + std::to_string(int(limits::kMaxAlpha)) +
                         ", " + std::to_string(int(limits::kMaxAlpha)) + "], got '" + s + "'");
    return a;
}

} // namespace

SteeringSpec parseSteerArg(const std::string& text) {
    const auto parts = splitList(text, ':', "steering spec");
    if (parts.size() < 2 || parts.size() > 3)
        throw UsageError("--steer expects vec.safetensors:alpha[:layer], got '" + text + "'");
    SteeringSpec s;
    s.vectorPath = parts[0];
    s.alpha = parseAlpha(parts[1], "--steer alpha");
    if (parts.size() == 3) {
        const double l = parseNumber(parts[2], "--steer layer");
        if (l < 0 || l != std::floor(l) || l > limits::kMaxLayer)
            throw UsageError("--steer layer must be an integer in [0, " +
                             std::to_string(limits::kMaxLayer) + "], got '" + parts[2] + "'");
        s.layer = static_cast<int>(l);
    }
    s.label = SteeringVector::load(s.vectorPath).label;
    return s;
}

std::vector<SteeringSpec> parseTransitionArg(const std::string& text) {
    const auto parts = splitList(text, ':', "steering spec");
    if (parts.size() < 2 || parts.size() > 3)
        throw UsageError("--transition expects from.safetensors:to.safetensors[:alpha], got '" +
                         text + "'");
    const double alpha = parts.size() == 3 ? parseAlpha(parts[2], "--transition alpha") : 0.5;
    SteeringSpec a, b;
    a.vectorPath = parts[0];
    a.alpha = alpha;
    a.schedule = SteeringSchedule::RampDown;
    a.label = SteeringVector::load(a.vectorPath).label;
    b.vectorPath = parts[1];
    b.alpha = alpha;
    b.schedule = SteeringSchedule::RampUp;
    b.label = SteeringVector::load(b.vectorPath).label;
    return {a, b};
}

} // namespace moodsteer::cli
