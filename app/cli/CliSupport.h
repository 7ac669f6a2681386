// Small helpers shared by moodsteer-cli's sub-commands.
#pragma once

#include "core/emotion/EmotionMetrics.h"
#include "core/engine/MusicEngine.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace moodsteer::cli {

/// Throws UsageError unless the folder of `path` exists and is writable.
void checkWritableTarget(const std::string& path);
/// A small text file (regular files only, at most 16 MB).
std::string readTextFile(const std::string& path);
/// "3,17,1" -> {3, 17, 1}; throws UsageError on junk.
std::vector<std::int64_t> parseIdList(const std::string& text);
/// "0,500,1000" -> {0, 500, 1000} for `--option`: each a whole number in [lo, hi]; throws
/// UsageError naming the option and the value otherwise (empty items and junk included).
std::vector<int> parseIntList(const std::string& option, const std::string& text, int lo, int hi);
/// "bf16,int8" -> {"bf16", "int8"} for `--option`: each one of `allowed`; throws UsageError
/// naming the option and the value otherwise.
std::vector<std::string> parseNameList(const std::string& option, const std::string& text,
                                       const std::vector<std::string>& allowed);
/// The value of --kv-cache: "f32", "bf16" or "int8"; throws UsageError otherwise.
std::string kvCacheOption(const std::string& value);
std::string jsonString(const std::string& s);
/// CCC, PCC, RMSE, error mean/sigma and n of one dimension, for --json output.
nlohmann::json metricsJson(const DimensionMetrics& m);
void writeTextFileAtomically(const std::string& path, const std::string& text);

/// Several output files that succeed or fail together (one WriteTransaction): commit() runs
/// every writer on a temporary next to its target, and only when all of them succeeded renames
/// them together under a lock on the folder; if anything fails, the user's previous files are
/// left exactly as they were. With `overwrite` false an existing target is an error.
class OutputSet {
  public:
    void add(const std::string& path, std::function<void(const std::string& path)> write);
    void commit(bool overwrite = true);

  private:
    std::vector<std::pair<std::string, std::function<void(const std::string&)>>> items_;
};

/// Checks a clip's output targets before any work: `out` has an audio extension, and `out`,
/// its recipe sidecar and `codesOut` (when not empty) are writable and do not exist unless
/// `force`. Throws UsageError naming the file.
void checkClipTargets(const std::string& out, const std::string& codesOut, bool force);

/// Take k's file name: "dir/clip.wav" -> "dir/clip-take3.wav" (the same for any extension).
std::string takePath(const std::string& path, int take);

/// Adds a generated clip's files to `outputs`: the audio at `out` (the recipe in its tags,
/// `title` as its title), the recipe sidecar, and the codes file when `codesOut` is not empty.
void addClipOutputs(OutputSet& outputs, const std::string& out, const GenerationResult& result,
                    const std::string& title, const std::string& codesOut);

/// The recipe sidecar of `out` and the codes file (when `codesOut` is not empty) alone, for a
/// caller that writes the audio itself (a session streams it to disk).
void addRecipeAndCodesOutputs(OutputSet& outputs, const std::string& out,
                              const GenerationResult& result, const std::string& codesOut);

/// Refuses (UsageError) to replace an existing `path` unless `force`: "'x.wav' exists (use
/// --force)".
void checkNotExisting(const std::string& path, bool force);
/// Throws UsageError when `--model` names a file rather than a model folder.
void checkModelFolder(const std::string& model);
/// Text for JSON output that never throws on non-UTF-8 bytes (they become U+FFFD).
std::string jsonText(const nlohmann::json& j, int indent = -1);
/// Throws UsageError "--what is not valid UTF-8" for invalid byte sequences.
void requireUtf8(const std::string& text, const std::string& what);

class Args;
/// The AV token's guidance (Recipe::emotionGuidance): --emotion-guidance E when given (a clip
/// without an emotion target is refused), else, unless the recipe came from a file (it keeps
/// its own), the model's default (generation_config.json) for a clip with a target.
void applyEmotionGuidance(const Args& args, const ModelInfo& info, Recipe& r, bool fromFile);

/// ../shared/parity/musicgen-small-config.json: the architecture the benchmarks build by default
/// (defined in BenchCommand.cpp, the one file that knows the checkout's shared folder).
std::string musicgenSmallConfigPath();

} // namespace moodsteer::cli
