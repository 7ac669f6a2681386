#include "CliCommand.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace moodsteer::cli {

std::map<std::string, CommandEntry>& commandRegistry() {
    static std::map<std::string, CommandEntry> registry;
    return registry;
}

Args::Args(const std::vector<std::string>& args, const std::vector<std::string>& flags) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.rfind("--", 0) == 0 && a.size() > 2) {
            std::string name = a.substr(2);
            const auto eq = name.find('=');
            if (eq != std::string::npos) {
                values_.emplace(name.substr(0, eq), name.substr(eq + 1));
            } else if (std::find(flags.begin(), flags.end(), name) != flags.end()) {
                values_.emplace(name, "1");
            } else {
                if (i + 1 >= args.size())
                    throw UsageError("option --" + name + " needs a value");
                values_.emplace(name, args[++i]);
            }
        } else {
            positional_.push_back(a);
        }
    }
}

bool Args::has(const std::string& name) const { return values_.count(name) > 0; }

std::string Args::get(const std::string& name, const std::string& fallback) const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
}

std::string Args::require(const std::string& name) const {
    if (!has(name))
        throw UsageError("missing required option --" + name);
    return get(name);
}

double Args::getDouble(const std::string& name, double fallback) const {
    if (!has(name))
        return fallback;
    const std::string v = get(name);
    std::size_t used = 0;
    double d = 0;
    try {
        d = std::stod(v, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != v.size() || !std::isfinite(d))
        throw UsageError("--" + name + " expects a number, got '" + v + "'");
    return d;
}

long long Args::getInt(const std::string& name, long long fallback) const {
    if (!has(name))
        return fallback;
    const std::string v = get(name);
    std::size_t used = 0;
    long long n = 0;
    try {
        n = std::stoll(v, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != v.size())
        throw UsageError("--" + name + " expects an integer, got '" + v + "'");
    return n;
}

std::vector<std::string> Args::all(const std::string& name) const {
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
}

} // namespace moodsteer::cli
