// moodsteer-cli eval-lm: a trained model's cross-entropy on held-out corpus pieces.
#include "CliCommand.h"
#include "CliSupport.h"
#include "Interrupt.h"

#include "core/training/Training.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

namespace moodsteer::cli {

static const char* kHelp =
    R"(usage: moodsteer-cli eval-lm --model MODEL_DIR --corpus DIR [--threads N] [--json]

Teacher-forced cross-entropy (nats per token, and per code stream) of a model trained by
`train` on the pieces of a corpus folder made by `corpus` (use another --seed than the training
corpus: these are held-out pieces). Each piece is scored whole with its own prompt and
valence/arousal, no conditioning dropout; the tokens the delay pattern forces are not scored.)";

static int runEvalLm(const std::vector<std::string>& argv) {
    Args args(argv, {"json", "help"});
    if (args.has("help")) {
        std::cout << kHelp << "\n";
        return 0;
    }
    args.allowOnly({"model", "corpus", "threads", "json", "help"}, 0);
    const auto model = args.require("model");
    const auto corpus = args.require("corpus");
    if (!std::filesystem::is_directory(model))
        throw std::runtime_error("model folder '" + model + "' does not exist");
    if (!std::filesystem::is_directory(corpus))
        throw std::runtime_error("corpus folder '" + corpus + "' does not exist");
    HeldOutLoss r;
    try {
        r = evaluateHeldOut(model, corpus, static_cast<int>(args.getInt("threads", 1)),
                            interruptFlag());
    } catch (const std::runtime_error&) {
        throwIfInterrupted("stopped before the evaluation finished; nothing was written");
        throw;
    }
    if (args.has("json")) {
        const nlohmann::json j = {{"model", model},     {"corpus", corpus},
                                  {"ce", r.ce},         {"per_codebook", r.perCodebook},
                                  {"pieces", r.pieces}, {"frames", r.frames},
                                  {"tokens", r.tokens}};
        std::cout << jsonText(j) << "\n";
        return 0;
    }
    std::printf("held-out CE %.4f nats/token over %d pieces of %d frames (%lld tokens)\n", r.ce,
                r.pieces, r.frames, r.tokens);
    for (std::size_t k = 0; k < r.perCodebook.size(); ++k)
        std::printf("  stream %zu: %.4f\n", k, r.perCodebook[k]);
    return 0;
}

static CliCommand evalLmCommand("eval-lm", "cross-entropy of a trained model on held-out pieces",
                                runEvalLm);

} // namespace moodsteer::cli
