#include "CliCommand.h"

#include "OptionTable.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace moodsteer::cli {

std::map<std::string, CommandEntry>& commandRegistry() {
    static std::map<std::string, CommandEntry> registry;
    return registry;
}

namespace {
bool isOptionWord(const std::string& a) {
    return a.rfind("--", 0) == 0 && a.size() > 2;
}
} // namespace

Args::Args(const std::vector<std::string>& args, const std::vector<std::string>& flags)
    : flags_(flags) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (isOptionWord(a)) {
            std::string name = a.substr(2);
            const auto eq = name.find('=');
            if (eq != std::string::npos) {
                values_.emplace(name.substr(0, eq), name.substr(eq + 1));
            } else if (std::find(flags.begin(), flags.end(), name) != flags.end()) {
                values_.emplace(name, "1");
            } else if (i + 1 >= args.size() || isOptionWord(args[i + 1])) {
                // Reported by allowOnly after unknown options, so that a mistyped trailing
                // option says "unknown option" rather than "needs a value". A value that
                // starts with "--" is given as --name=--value.
                values_.emplace(name, "");
                if (missingValue_.empty()) missingValue_ = name;
            } else {
                values_.emplace(name, args[++i]);
            }
        } else {
            positional_.push_back(a);
        }
    }
}

bool Args::has(const std::string& name) const {
    return values_.count(name) > 0;
}

const std::string* Args::single(const std::string& name) const {
    auto [b, e] = values_.equal_range(name);
    if (b == e) return nullptr;
    if (std::next(b) != e) throw UsageError("option --" + name + " is given more than once");
    if (name == missingValue_) throw UsageError("option --" + name + " needs a value");
    return &b->second;
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
    const std::string* v = single(name);
    return v ? *v : fallback;
}

std::string Args::require(const std::string& name) const {
    if (!has(name)) throw UsageError("missing required option --" + name);
    return get(name);
}

double Args::getDouble(const std::string& name, double fallback) const {
    const std::string* v = single(name);
    if (!v) return fallback;
    if (const OptionRule* r = findOptionRule(name)) {
        if (r->kind == OptionKind::Real) return parseRealOption(name, *v);
        return static_cast<double>(parseIntegerOption(name, *v));
    }
    std::size_t used = 0;
    double d = 0;
    try {
        d = std::stod(*v, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != v->size() || !std::isfinite(d))
        throw UsageError("--" + name + " expects a number, got '" + *v + "'");
    return d;
}

long long Args::getInt(const std::string& name, long long fallback) const {
    const std::string* v = single(name);
    if (!v) return fallback;
    if (findOptionRule(name)) return parseIntegerOption(name, *v);
    std::size_t used = 0;
    long long n = 0;
    try {
        n = std::stoll(*v, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != v->size())
        throw UsageError("--" + name + " expects an integer, got '" + *v + "'");
    return n;
}

std::uint64_t Args::getU64(const std::string& name, std::uint64_t fallback) const {
    const std::string* v = single(name);
    if (!v) return fallback;
    if (findOptionRule(name)) return parseUnsignedOption(name, *v);
    if (v->empty() || v->find_first_not_of("0123456789") != std::string::npos)
        throw UsageError("--" + name + " expects an unsigned integer, got '" + *v + "'");
    try {
        std::size_t used = 0;
        const unsigned long long n = std::stoull(*v, &used);
        if (used == v->size()) return n;
    } catch (const std::exception&) {
    }
    throw UsageError("--" + name + " expects an unsigned 64-bit integer, got '" + *v + "'");
}

std::vector<std::string> Args::all(const std::string& name) const {
    if (name == missingValue_) throw UsageError("option --" + name + " needs a value");
    std::vector<std::string> out;
    auto [b, e] = values_.equal_range(name);
    for (auto it = b; it != e; ++it)
        out.push_back(it->second);
    return out;
}

void Args::allowOnly(const std::vector<std::string>& known) const {
    for (const auto& [k, v] : values_)
        if (std::find(known.begin(), known.end(), k) == known.end())
            throw UsageError("unknown option --" + k);
    if (!missingValue_.empty()) throw UsageError("option --" + missingValue_ + " needs a value");
    for (const auto& f : flags_)
        if (values_.count(f) > 1) throw UsageError("option --" + f + " is given more than once");
    // Every numeric option is checked here, before any slow work (loading a model), whatever
    // the command reads later.
    for (const auto& [k, v] : values_) {
        const OptionRule* r = findOptionRule(k);
        if (!r) continue;
        if (values_.count(k) > 1) throw UsageError("option --" + k + " is given more than once");
        switch (r->kind) {
        case OptionKind::Integer:
            parseIntegerOption(k, v);
            break;
        case OptionKind::Unsigned64:
            parseUnsignedOption(k, v);
            break;
        case OptionKind::Real:
            parseRealOption(k, v);
            break;
        }
    }
}

void Args::allowOnly(const std::vector<std::string>& known, std::size_t maxPositional) const {
    allowOnly(known);
    if (positional_.size() > maxPositional)
        throw UsageError("unexpected argument '" + positional_[maxPositional] + "'");
}

void Args::requireTogether(const std::string& a, const std::string& b) const {
    if (has(a) && !has(b)) throw UsageError("--" + a + " needs --" + b);
}

} // namespace moodsteer::cli
