// moodsteer-cli train-alignment: trains the text-audio alignment model (a small CLAP) and
// prints its zero-shot genre accuracies on the held-out sets.
#include "AlignmentReport.h"
#include "CliCommand.h"
#include "CliSupport.h"
#include "Interrupt.h"
#include "OptionTable.h"

#include "core/alignment/AlignmentTrainer.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

namespace moodsteer::cli {
namespace {

const char* kHelp =
    R"(usage: moodsteer-cli train-alignment --corpus DIR [--corpus DIR2 ...] [--musifeast DIR]
                                      --out FILE.safetensors [options]

Trains the text-audio alignment model (docs/alignment.md): a word-embedding text encoder and an
MLP audio encoder over 10 s windows of DSP features, symmetric InfoNCE with a learnable
temperature. Pairs: corpus pieces <-> their prompts and a genre caption; real recordings <->
genre captions ("{genre} music", "a {genre} track", mood and vocals captions). One MUSIFEAST
recording in N per genre is held out (listed in the model file). Resumable: FILE.checkpoint is
written every --checkpoint-every steps; rerunning the same command continues from it.

  --corpus DIR          a `moodsteer-cli corpus` folder (tokens-only is fine: SynthCodec
                        renders); give several to train on all
  --musifeast DIR       real recordings with labels.csv (file, genre[, valence, arousal,
                        vocalisation]), e.g. ../shared/data/musifeast17
  --holdout-every N     hold out one recording in N per genre (default 4)
  --out FILE            the model (safetensors, fp16 weights, written atomically)
  --eval-corpus DIR     held-out corpus (another --seed) for the zero-shot report
  --genre-set DIR       labelled clips never trained on (e.g. ../shared/data/genre)
  --steps N             optimizer steps (default 3000)
  --batch N             pairs per step, distinct captions (default 64)
  --lr X                AdamW learning rate (default 0.002)
  --weight-decay X      (default 0.0001)
  --hidden N            hidden units of both encoders (default 128)
  --seed N              (default 1234)
  --checkpoint-every N  steps (default 500)
  --threads N           LibTorch threads (default 1)
  --cache DIR           feature cache (default ~/.cache/moodsteer/alignment-features)
  --no-cache            do not read or write cached features
  --fp32                store fp32 weights instead of fp16
  --json                machine-readable summary on stdout
)";

int run(const std::vector<std::string>& argv) {
    Args args(argv, {"json", "help", "no-cache", "fp32"});
    if (args.has("help")) {
        std::cout << kHelp << optionRangesHelp(kHelp);
        return 0;
    }
    args.allowOnly({"json", "help", "no-cache", "fp32", "corpus", "musifeast", "holdout-every",
                    "out", "eval-corpus", "genre-set", "steps", "batch", "lr", "weight-decay",
                    "hidden", "seed", "checkpoint-every", "threads", "cache"},
                   0);
    AlignmentTrainingOptions o;
    o.corpusDirs = args.all("corpus");
    o.musifeastDir = args.get("musifeast");
    if (o.corpusDirs.empty() && o.musifeastDir.empty())
        throw UsageError("missing required option --corpus (or --musifeast)");
    o.outPath = args.require("out");
    for (const auto& d : o.corpusDirs)
        if (!std::filesystem::is_directory(d))
            throw UsageError("--corpus '" + d + "' is not a folder");
    for (const auto& [name, dir] :
         {std::pair{"musifeast", o.musifeastDir}, std::pair{"eval-corpus", args.get("eval-corpus")},
          std::pair{"genre-set", args.get("genre-set")}})
        if (!dir.empty() && !std::filesystem::is_directory(dir))
            throw UsageError(std::string("--") + name + " '" + dir + "' is not a folder");
    checkWritableTarget(o.outPath);
    o.holdoutEvery = static_cast<int>(args.getInt("holdout-every", o.holdoutEvery));
    o.evalCorpusDir = args.get("eval-corpus");
    o.genreDir = args.get("genre-set");
    o.steps = static_cast<int>(args.getInt("steps", o.steps));
    o.batch = static_cast<int>(args.getInt("batch", o.batch));
    if (o.batch < 2) throw UsageError("--batch must be at least 2 (InfoNCE needs negatives)");
    o.lr = args.getDouble("lr", o.lr);
    o.weightDecay = args.getDouble("weight-decay", o.weightDecay);
    o.hidden = static_cast<int>(args.getInt("hidden", o.hidden));
    o.seed = args.getU64("seed", o.seed);
    o.checkpointEvery = static_cast<int>(args.getInt("checkpoint-every", o.checkpointEvery));
    o.threads = static_cast<int>(args.getInt("threads", o.threads));
    o.cacheDir = args.get("cache");
    o.useCache = !args.has("no-cache");
    o.half = !args.has("fp32");
    const bool json = args.has("json");

    installInterruptHandlers();
    std::string lastStage;
    AlignmentTrainingSummary s;
    try {
        s = trainAlignmentModel(
            o,
            [&](const AlignmentTrainingProgress& p) {
                if (p.stage == "training")
                    std::fprintf(stderr, "\rstep %d/%d  loss %.4f   ", p.done, p.total, p.loss);
                else if (p.done == p.total || p.done % 25 == 0)
                    std::fprintf(stderr, "\r%s: %s %d/%d   ", p.stage.c_str(), p.message.c_str(),
                                 p.done, p.total);
                if (p.done == p.total) std::fprintf(stderr, "\n");
            },
            interruptFlag());
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    } catch (const std::runtime_error& e) {
        if (interrupted())
            throw Interrupted("train-alignment interrupted; the checkpoint " + o.outPath +
                              ".checkpoint holds the steps done (rerun to continue)");
        throw;
    }
    if (json) {
        nlohmann::json j{{"model", o.outPath},
                         {"train_clips", s.trainClips},
                         {"train_windows", s.trainWindows},
                         {"vocabulary", s.vocabulary},
                         {"start_step", s.startStep},
                         {"steps", s.steps},
                         {"feature_seconds", s.featureSeconds},
                         {"train_seconds", s.trainSeconds},
                         {"final_loss", s.finalLoss},
                         {"temperature", s.temperature},
                         {"musifeast_held_out", s.heldOutRecordings},
                         {"zero_shot", zeroShotJson(s.zeroShot)}};
        std::cout << j.dump(1) << "\n";
        return 0;
    }
    std::printf("trained on %d clips (%d windows), vocabulary %d words; steps %d..%d in %.1f s "
                "(features %.1f s); loss %.4f, temperature %.4f\n",
                s.trainClips, s.trainWindows, s.vocabulary, s.startStep, s.steps, s.trainSeconds,
                s.featureSeconds, s.finalLoss, s.temperature);
    if (!s.heldOutRecordings.empty())
        std::printf("MUSIFEAST recordings held out: %zu\n", s.heldOutRecordings.size());
    printZeroShotTable(s.zeroShot);
    std::printf("model written to %s\n", o.outPath.c_str());
    return 0;
}

const CliCommand reg("train-alignment", "train the text-audio alignment model (CLAP objective)",
                     run);

} // namespace
} // namespace moodsteer::cli
