// moodsteer-cli's sub-command registry: each sub-command lives in its own file and registers
// itself with a static CliCommand object, so commands never edit a shared list.
#pragma once

#include <cstdint>
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

/// The one option parser every command uses: --name value, --name=value, --flag, positional
/// arguments, with the same errors everywhere:
///  - "unknown option --x" (allowOnly; also for a trailing unknown option without a value),
///  - "option --x needs a value" (also when the next word is another --option),
///  - "option --x is given more than once" (get/getInt/getDouble/getU64 and repeated flags;
///    options read with all() may repeat),
///  - "unexpected argument 'y'" (allowOnly with maxPositional),
///  - numeric options are parsed at full width and checked against OptionTable.h's ranges.
class Args {
  public:
    Args(const std::vector<std::string>& args, const std::vector<std::string>& flags);
    bool has(const std::string& name) const;
    std::string get(const std::string& name, const std::string& fallback = "") const;
    std::string require(const std::string& name) const;
    double getDouble(const std::string& name, double fallback) const;
    long long getInt(const std::string& name, long long fallback) const;
    /// Unsigned 64-bit options (seeds): all of 0..2^64-1, negative numbers refused.
    std::uint64_t getU64(const std::string& name, std::uint64_t fallback) const;
    /// Values of an option given several times (e.g. --steer a --steer b).
    std::vector<std::string> all(const std::string& name) const;
    const std::vector<std::string>& positional() const { return positional_; }
    /// Throws UsageError for any option not in `known` (flags included), then for an option
    /// left without a value, a repeated flag or numeric option, or a numeric option outside
    /// its range (OptionTable.h), so that bad values are refused before any slow work.
    void allowOnly(const std::vector<std::string>& known) const;
    /// As above, and refuses more than `maxPositional` positional arguments.
    void allowOnly(const std::vector<std::string>& known, std::size_t maxPositional) const;
    /// Throws UsageError "--a needs --b" when `a` is given without `b`.
    void requireTogether(const std::string& a, const std::string& b) const;

  private:
    const std::string* single(const std::string& name) const;

    std::multimap<std::string, std::string> values_;
    std::vector<std::string> positional_;
    std::vector<std::string> flags_;
    std::string missingValue_; ///< an option at the end or before another option
};

} // namespace moodsteer::cli
