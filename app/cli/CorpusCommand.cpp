// moodsteer-cli corpus: writes a balanced, labelled corpus of procedural pieces (tokens,
// MIDI, audio, labels.csv) for training the embedded model.
#include "CliCommand.h"
#include "CliSupport.h"
#include "Interrupt.h"
#include "OptionTable.h"

#include "core/corpus/Composer.h"
#include "core/corpus/CorpusWriter.h"

#include <cstdio>
#include <iostream>
#include <sstream>

namespace moodsteer::cli {

namespace {

const char* kHelp =
    R"(usage: moodsteer-cli corpus --out DIR --count N [--seconds S] [--seed X]
                           [--tokens-only] [--genres a,b] [--valence V --arousal A]
                           [--json]

Writes N procedural pieces balanced over genres and over the valence-arousal plane:
  DIR/piece_NNNNN.safetensors  SynthCodec tokens (tensor "codes", int64 [4, frames])
  DIR/piece_NNNNN.mid          the same piece as a Standard MIDI File
  DIR/piece_NNNNN.wav          32 kHz mono audio (not with --tokens-only)
  DIR/labels.csv               file, genre, valence, arousal, tempo, key, mode, seed, prompt

options:
  --out DIR        output folder (created if missing)
  --count N        number of pieces (> 0)
  --seconds S      length of each piece in seconds (default 10)
  --seed X         corpus seed (default 1); the same seed gives the same corpus
  --tokens-only    skip audio rendering
  --genres a,b     subset of: classical, electronic, jazz, rock (default: all)
  --valence V      with --arousal: give every piece this emotion (1..9) instead of
  --arousal A      the balanced valence-arousal grid (for examples)
  --json           print a JSON summary on stdout
)";

int runCorpus(const std::vector<std::string>& argv) {
    Args args(argv, {"tokens-only", "json", "help"});
    if (args.has("help")) {
        std::cout << kHelp << optionRangesHelp(kHelp);
        return 0;
    }
    args.allowOnly({"out", "count", "seconds", "seed", "tokens-only", "genres", "valence",
                    "arousal", "json", "help"},
                   0);
    CorpusOptions options;
    options.outDir = args.require("out");
    const long long count = args.getInt("count", 0);
    if (!args.has("count")) throw UsageError("missing required option --count");
    if (count <= 0 || count > 10000000)
        throw UsageError("--count must be a positive number of pieces, got " +
                         std::to_string(count));
    options.count = static_cast<int>(count);
    options.seconds = args.getDouble("seconds", 10.0);
    if (!(options.seconds > 0.0 && options.seconds <= 600.0))
        throw UsageError("--seconds must be in (0, 600]");
    options.seed = args.getU64("seed", 1);
    options.tokensOnly = args.has("tokens-only");
    if (args.has("genres")) {
        std::stringstream ss(args.get("genres"));
        for (std::string g; std::getline(ss, g, ',');) {
            if (g.empty()) continue;
            try {
                Composer::genreIndex(g);
            } catch (const std::exception& e) {
                throw UsageError(std::string("--genres: ") + e.what());
            }
            options.genres.push_back(g);
        }
        if (options.genres.empty()) throw UsageError("--genres names no genre");
    }

    args.requireTogether("valence", "arousal");
    args.requireTogether("arousal", "valence");
    if (args.has("valence")) {
        options.fixedValence = args.getDouble("valence", 5.0);
        options.fixedArousal = args.getDouble("arousal", 5.0);
        if (!(options.fixedValence >= 1 && options.fixedValence <= 9 && options.fixedArousal >= 1 &&
              options.fixedArousal <= 9))
            throw UsageError("--valence and --arousal must be in [1, 9]");
    }
    CorpusWriter writer(options);
    const auto summary = writer.run([](int done, int total, const CorpusItem& item) {
        throwIfInterrupted("stopped after " + std::to_string(done) + " of " +
                           std::to_string(total) +
                           " pieces; the finished pieces are complete files (no labels.csv)");
        std::fprintf(stderr, "\r[%d/%d] %s %-10s v=%.1f a=%.1f", done, total, item.stem.c_str(),
                     item.label.genre.c_str(), item.label.valence, item.label.arousal);
        if (done == total) std::fputc('\n', stderr);
        std::fflush(stderr);
    });
    std::fprintf(stderr, "wrote %d pieces (%.0f s of music) in %.2f s: %.2f pieces/s\n",
                 summary.pieces, summary.audioSeconds, summary.elapsedSeconds,
                 summary.piecesPerSecond);
    if (args.has("json")) {
        const nlohmann::json j{{"pieces", summary.pieces},
                               {"seconds", summary.elapsedSeconds},
                               {"pieces_per_second", summary.piecesPerSecond},
                               {"audio_seconds", summary.audioSeconds},
                               {"tokens_only", options.tokensOnly},
                               {"out", options.outDir},
                               {"labels", summary.labelsPath}};
        std::printf("%s\n", jsonText(j).c_str());
    } else {
        std::printf("%s\n", summary.labelsPath.c_str());
    }
    return 0;
}

const CliCommand kCorpus("corpus", "write a labelled procedural corpus (tokens, MIDI, audio)",
                         runCorpus);

} // namespace

} // namespace moodsteer::cli
