// moodsteer-cli's table of numeric options: type, range and unit of every numeric option any
// command accepts. Args::getInt/getDouble/getU64 check values against it (full width, no
// wrap, no truncation) and each command's --help prints the rows of its options.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace moodsteer::cli {

enum class OptionKind { Integer, Unsigned64, Real };

struct OptionRule {
    const char* name; ///< without "--"
    OptionKind kind;
    double min;
    bool minExclusive; ///< (min, max] instead of [min, max]
    double max;        ///< for "threads": replaced by the number of cores
    const char* unit;
};

/// The rule for `--name`, or nullptr for options that are not numeric.
const OptionRule* findOptionRule(const std::string& name);
/// Upper bound of a rule (the cores present for --threads).
double optionMax(const OptionRule& rule);
/// "  --steps       integer 1..2147483647 (decode frames)" lines for the numeric ones of `names`.
std::string optionRangesHelp(const std::vector<std::string>& names);
/// The same for every --option a command's help text mentions (in order of first mention).
std::string optionRangesHelp(const char* helpText);
/// Checks `text` against the rule of `--name`; throws UsageError naming the option.
std::int64_t parseIntegerOption(const std::string& name, const std::string& text);
std::uint64_t parseUnsignedOption(const std::string& name, const std::string& text);
double parseRealOption(const std::string& name, const std::string& text);

} // namespace moodsteer::cli
