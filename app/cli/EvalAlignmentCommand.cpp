// moodsteer-cli eval-alignment: the alignment model's zero-shot genre table on held-out sets.
#include "AlignmentReport.h"
#include "CliCommand.h"
#include "CliSupport.h"
#include "Interrupt.h"

#include "core/alignment/AlignmentEvaluation.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

namespace moodsteer::cli {
namespace {

const char* kHelp =
    R"(usage: moodsteer-cli eval-alignment [--model FILE] [--corpus DIR] [--musifeast DIR]
                                     [--genre-set DIR] [--json]

Zero-shot genre accuracy of the alignment model: each clip against the texts "{genre} music" of
its dataset's genres (argmax of the cosine), beside chance (1 / genres); on a corpus folder also
audio -> prompt retrieval. MUSIFEAST is scored on the recordings the model held out of training
(listed in the model file). At least one folder is needed.

  --model FILE      alignment model (default: the shipped resources/alignment/alignment.safetensors)
  --corpus DIR      a held-out `moodsteer-cli corpus` folder (another --seed than training)
  --musifeast DIR   e.g. ../shared/data/musifeast17
  --genre-set DIR   labelled clips (file, genre), e.g. ../shared/data/genre
  --cache DIR       feature cache (default ~/.cache/moodsteer/alignment-features)
  --no-cache        do not read or write cached features
  --json            machine-readable table on stdout
)";

int run(const std::vector<std::string>& argv) {
    Args args(argv, {"json", "help", "no-cache"});
    if (args.has("help")) {
        std::cout << kHelp;
        return 0;
    }
    args.allowOnly(
        {"json", "help", "no-cache", "model", "corpus", "musifeast", "genre-set", "cache"}, 0);
    AlignmentEvalOptions o;
    o.corpusDir = args.get("corpus");
    o.musifeastDir = args.get("musifeast");
    o.genreDir = args.get("genre-set");
    if (o.corpusDir.empty() && o.musifeastDir.empty() && o.genreDir.empty())
        throw UsageError("give at least one of --corpus, --musifeast, --genre-set");
    for (const auto& [name, dir] :
         {std::pair{"corpus", o.corpusDir}, std::pair{"musifeast", o.musifeastDir},
          std::pair{"genre-set", o.genreDir}})
        if (!dir.empty() && !std::filesystem::is_directory(dir))
            throw UsageError(std::string("--") + name + " '" + dir + "' is not a folder");
    o.cacheDir = args.get("cache");
    o.useCache = !args.has("no-cache");
    const auto modelPath = args.get("model", AlignmentModel::defaultPath());
    const auto model = AlignmentModel::load(modelPath);
    installInterruptHandlers();
    o.cancel = interruptFlag();
    o.progress = [](const std::string& what, int done, int total) {
        if (done == total || done % 25 == 0)
            std::fprintf(stderr, "\rfeatures: %s %d/%d   %s", what.c_str(), done, total,
                         done == total ? "\n" : "");
    };
    std::vector<ZeroShotResult> results;
    try {
        results = evaluateZeroShot(model, o);
    } catch (const std::runtime_error&) {
        throwIfInterrupted("eval-alignment interrupted; nothing was written");
        throw;
    }
    if (args.has("json")) {
        std::cout
            << nlohmann::json{{"model", modelPath}, {"zero_shot", zeroShotJson(results)}}.dump(1)
            << "\n";
        return 0;
    }
    std::printf("model %s\n", modelPath.c_str());
    printZeroShotTable(results);
    return 0;
}

const CliCommand reg("eval-alignment", "zero-shot genre accuracy of the alignment model", run);

} // namespace
} // namespace moodsteer::cli
