#include "OptionTable.h"

#include "CliCommand.h"

#include "core/engine/Recipe.h"
#include "core/engine/ValueLimits.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <thread>

namespace moodsteer::cli {
namespace {

using K = OptionKind;
namespace L = moodsteer::limits;
constexpr double kInt = L::kMaxInt;

// Every numeric option of every command. A new numeric option must be added here: getInt,
// getDouble and getU64 refuse options without a row only for these kinds' full width.
const OptionRule kRules[] = {
    {"steps", K::Integer, 1, false, kInt, "decode frames"},
    {"seconds", K::Real, 0, true, L::kMaxSeconds, "seconds"},
    {"max-seconds", K::Real, 0, true, L::kMaxSeconds, "seconds"},
    {"variant", K::Integer, 0, false, 1, "instrument set within the genre"},
    {"brightness", K::Integer, 0, false, 2, "filter brightness: 0 dark, 1 normal, 2 bright"},
    {"window", K::Real, 0, true, L::kMaxSeconds, "seconds"},
    {"seed", K::Unsigned64, 0, false, 18446744073709551615.0, "unsigned 64-bit"},
    {"seed-analysis", K::Unsigned64, 0, false, 18446744073709551615.0, "unsigned 64-bit"},
    {"valence", K::Real, L::kMinEmotion, false, L::kMaxEmotion, "SAM scale"},
    {"arousal", K::Real, L::kMinEmotion, false, L::kMaxEmotion, "SAM scale"},
    {"guidance", K::Real, 0, false, L::kMaxGuidance, "scale; 1 disables"},
    {"emotion-guidance", K::Real, 0, false, L::kMaxGuidance, "scale of the AV token's guidance"},
    {"shift-guidance", K::Real, 0, false, L::kMaxGuidance, "scale; 0 disables"},
    {"summary-dropout", K::Real, 0, false, 1, "probability"},
    {"subspace-dropout", K::Real, 0, false, 1, "probability"},
    {"guidance-scale", K::Real, 0, false, L::kMaxGuidance, "scale; 1 disables"},
    {"temperature", K::Real, 0, true, L::kMaxTemperature, "softmax temperature"},
    {"top-k", K::Integer, 1, false, kInt, "codes; at most the model's vocabulary"},
    {"top-p", K::Real, 0, true, 1, "probability mass"},
    {"threads", K::Integer, 1, false, 0, "threads; at most the cores present"},
    {"layer", K::Integer, 0, false, L::kMaxLayer, "layer index; within the model"},
    {"folds", K::Integer, 2, false, 1000, "folds"},
    {"generate", K::Integer, 2, false, 1000000, "clips per label"},
    {"count", K::Integer, 1, false, 10000000, "pieces"},
    {"rounds", K::Integer, 1, false, 1000000, "rounds"},
    {"clips-per-point", K::Integer, 1, false, 1000000, "clips"},
    {"scorer-pieces", K::Integer, 1, false, 1000000, "pieces per genre"},
    {"epochs", K::Integer, 1, false, 1000000, "epochs"},
    {"patience", K::Integer, 1, false, 1000000, "epochs"},
    {"batch", K::Integer, 1, false, 65536, "items"},
    {"hidden", K::Integer, 1, false, 65536, "units"},
    {"crop", K::Integer, 1, false, 1000000, "frames"},
    {"warmup", K::Integer, 0, false, kInt, "steps"},
    {"checkpoint-every", K::Integer, 1, false, kInt, "steps"},
    {"opening-frames", K::Integer, 0, false, 1000000, "frames"},
    {"lm-width", K::Integer, 1, false, 65536, "units"},
    {"lm-layers", K::Integer, 1, false, L::kMaxLayer, "layers"},
    {"lm-heads", K::Integer, 1, false, 1024, "heads"},
    {"lm-ffn", K::Integer, 1, false, 262144, "units"},
    {"text-width", K::Integer, 1, false, 65536, "units"},
    {"text-layers", K::Integer, 1, false, L::kMaxLayer, "layers"},
    {"minutes", K::Real, 0, true, 1000000, "minutes"},
    {"seam-candidates", K::Integer, 1, false, L::kMaxSeamCandidates, "seeds per window opening"},
    {"accept-seconds", K::Real, 0, false, L::kMaxSeconds, "seconds; 0 = whole windows"},
    {"first-accept-seconds", K::Real, 0, false, L::kMaxSeconds,
     "seconds, at most --accept-seconds"},
    {"accept-pace", K::Real, 0, false, Recipe::kMaxAcceptPace,
     "share of the session's seconds; 0 = doubling"},
    {"emotion-check", K::Real, 0, false, L::kMaxEmotionCheck,
     "tolerance on the 1..9 scale; 0 = off"},
    {"session-minutes", K::Real, 0, false, 1000000, "minutes; 0 skips the session"},
    {"interval", K::Real, 0, true, 3600, "seconds"},
    {"push-frames", K::Integer, 1, false, 100000, "code frames"},
    {"lr", K::Real, 0, true, 10, "learning rate"},
    {"weight-decay", K::Real, 0, false, 10, "decay"},
    {"lara-alpha", K::Real, 0, false, 100, "loss weight; 0 = CE only"},
    {"start-crops", K::Real, 0, false, 1, "share"},
    {"opening-weight", K::Real, 0, false, 1000, "weight"},
    {"transition-share", K::Real, 0, false, 1, "share of crops"},
    {"av-dropout", K::Real, 0, false, 1, "probability"},
    {"text-dropout", K::Real, 0, false, 1, "probability"},
    {"l2", K::Real, 0, false, 1e6, "vector norm"},
    {"rr-lambda", K::Real, 0, false, 1000, "loss weight; 0 = off"},
    {"holdout-every", K::Integer, 2, false, 1000, "recordings per held-out one"},
    {"world-size", K::Integer, 1, false, 65536, "processes"},
    {"rank", K::Integer, 0, false, 65535, "process index; below the world size"},
    {"master-port", K::Integer, 1, false, 65535, "TCP port"},
    {"dist-timeout", K::Real, 0, true, 86400, "seconds"},
    {"vae-steps", K::Integer, 1, false, kInt, "training steps"},
    {"vae-minutes", K::Real, 0, true, 1000000, "minutes"},
    {"diffusion-steps", K::Integer, 1, false, kInt, "training steps"},
    {"diffusion-minutes", K::Real, 0, true, 1000000, "minutes"},
    {"similarity", K::Real, 0, true, 1, "s: 0 = the input, 1 = free"},
    {"shift-arousal", K::Real, -8, false, 8, "rating units (SAM scale)"},
    {"shift-valence", K::Real, -8, false, 8, "rating units (SAM scale)"},
    {"ddim-steps", K::Integer, 1, false, 1000, "denoising steps"},
    {"segments", K::Integer, 1, false, 100000, "segments"},
    {"judge-every", K::Integer, 1, false, 100000, "inputs"},
};

const char* kindName(OptionKind k) {
    switch (k) {
    case K::Integer:
        return "an integer";
    case K::Unsigned64:
        return "an unsigned 64-bit integer";
    case K::Real:
        return "a number";
    }
    return "a value";
}

std::string formatBound(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    return buf;
}

std::string rangeText(const OptionRule& r) {
    if (r.kind == K::Unsigned64) return "0..18446744073709551615";
    return (r.minExclusive ? "(" : "[") + formatBound(r.min) + ", " + formatBound(optionMax(r)) +
           "]";
}

[[noreturn]] void refuse(const OptionRule& r, const std::string& text) {
    throw UsageError("--" + std::string(r.name) + " must be " + kindName(r.kind) + " in " +
                     rangeText(r) + " (" + r.unit + "), got '" + text + "'");
}

const OptionRule& ruleOf(const std::string& name) {
    const OptionRule* r = findOptionRule(name);
    if (!r) throw std::logic_error("option --" + name + " has no row in the option table");
    return *r;
}

bool hasSpace(const std::string& t) {
    return t.empty() || std::isspace(static_cast<unsigned char>(t.front())) ||
           std::isspace(static_cast<unsigned char>(t.back()));
}

} // namespace

const OptionRule* findOptionRule(const std::string& name) {
    for (const auto& r : kRules)
        if (name == r.name) return &r;
    return nullptr;
}

double optionMax(const OptionRule& rule) {
    if (std::string(rule.name) == "threads") {
        const unsigned cores = std::thread::hardware_concurrency();
        return cores > 0 ? cores : 1;
    }
    return rule.max;
}

std::string optionRangesHelp(const std::vector<std::string>& names) {
    std::ostringstream out;
    bool any = false;
    for (const auto& n : names) {
        const OptionRule* r = findOptionRule(n);
        if (!r) continue;
        if (!any) out << "\nNumeric options (anything outside is refused, never clamped):\n";
        any = true;
        char line[200];
        std::snprintf(
            line, sizeof line, "  --%-17s %-28s %s\n", r->name,
            (std::string(r->kind == K::Real ? "number " : "integer ") + rangeText(*r)).c_str(),
            r->unit);
        out << line;
    }
    return out.str();
}

std::string optionRangesHelp(const char* helpText) {
    std::vector<std::string> names;
    const std::string text = helpText;
    for (auto at = text.find("--"); at != std::string::npos; at = text.find("--", at + 2)) {
        auto end = at + 2;
        while (end < text.size() &&
               (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '-'))
            ++end;
        const std::string name = text.substr(at + 2, end - at - 2);
        if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end())
            names.push_back(name);
    }
    return optionRangesHelp(names);
}

std::int64_t parseIntegerOption(const std::string& name, const std::string& text) {
    const OptionRule& r = ruleOf(name);
    if (r.kind == K::Unsigned64) {
        const std::uint64_t v = parseUnsignedOption(name, text);
        if (v > static_cast<std::uint64_t>(INT64_MAX)) refuse(r, text);
        return static_cast<std::int64_t>(v);
    }
    if (hasSpace(text)) refuse(r, text);
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(text.c_str(), &end, 10);
    if (errno == ERANGE || end != text.c_str() + text.size()) refuse(r, text);
    if (static_cast<double>(v) < r.min || static_cast<double>(v) > optionMax(r)) refuse(r, text);
    return v;
}

std::uint64_t parseUnsignedOption(const std::string& name, const std::string& text) {
    const OptionRule& r = ruleOf(name);
    // strtoull accepts "-1" (and wraps it): only plain digits are an unsigned number here.
    if (text.empty() || text.size() > 20 ||
        text.find_first_not_of("0123456789") != std::string::npos)
        refuse(r, text);
    errno = 0;
    char* end = nullptr;
    const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
    if (errno == ERANGE || end != text.c_str() + text.size()) refuse(r, text);
    return v;
}

double parseRealOption(const std::string& name, const std::string& text) {
    const OptionRule& r = ruleOf(name);
    if (hasSpace(text)) refuse(r, text);
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (errno == ERANGE || end != text.c_str() + text.size() || !std::isfinite(v)) refuse(r, text);
    const bool lowOk = r.minExclusive ? v > r.min : v >= r.min;
    if (!lowOk || v > optionMax(r)) refuse(r, text);
    return v;
}

} // namespace moodsteer::cli
