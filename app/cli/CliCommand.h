// moodsteer-cli's sub-command registry: each sub-command lives in its own file and registers
// itself with a static CliCommand object, so commands never edit a shared list.
#pragma once

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace moodsteer::cli {

using CommandFn = std::function<int(const std::vector<std::string>& args)>;

struct CommandEntry {
    std::string summary;
    CommandFn run;
};

std::map<std::string, CommandEntry>& commandRegistry();

struct CliCommand {
    CliCommand(const std::string& name, const std::string& summary, CommandFn fn) {
        commandRegistry()[name] = {summary, std::move(fn)};
    }
};

/// Thrown for bad command-line usage; main prints "moodsteer-cli <cmd>: <message>", exits 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Minimal option parser: --name value, --flag, positional arguments.
class Args {
public:
    Args(const std::vector<std::string>& args, const std::vector<std::string>& flags);
    bool has(const std::string& name) const;
    std::string get(const std::string& name, const std::string& fallback = "") const;
    std::string require(const std::string& name) const;
    double getDouble(const std::string& name, double fallback) const;
    long long getInt(const std::string& name, long long fallback) const;
    /// Values of an option given several times (e.g. --steer a --steer b).
    std::vector<std::string> all(const std::string& name) const;
    const std::vector<std::string>& positional() const { return positional_; }
    /// Throws UsageError for any option not in `known` (flags included).
    void allowOnly(const std::vector<std::string>& known) const;

private:
    std::multimap<std::string, std::string> values_;
    std::vector<std::string> positional_;
};

} // namespace moodsteer::cli
