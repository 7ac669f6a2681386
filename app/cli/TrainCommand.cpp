// moodsteer-cli train: trains the embedded model (or an ablation) on a corpus folder.
#include "CliCommand.h"
#include "CliSupport.h"
#include "Interrupt.h"
#include "OptionTable.h"

#include "core/training/Training.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace moodsteer::cli {

static const char* kHelp = R"(usage: moodsteer-cli train --corpus DIR --out MODEL_DIR [options]

Trains a small MusicGen-architecture model (T5-style text encoder, LM over SynthCodec tokens
with the delay pattern, LARA-Gen AV encoder) with CE + alpha * LARA (+ lambda * RR). Resumes from
MODEL_DIR/checkpoint when present. Writes MODEL_DIR/{config.json, model.safetensors,
generation_config.json, spiece.model, training_log.csv}.

  --steps N (2000)  --minutes M (stop after M minutes)  --batch B (16)  --crop FRAMES (200)
  --lr X (1e-3)  --warmup N (100)  --lara-alpha A (1; 0 = CE only)  --no-av (text-only ablation)
  --start-crops F (0.5: share of crops that start at the piece's first frame)
  --opening-weight W (5) --opening-frames N (25): CE weight of those crops' first N frames
  --transition-share P (0): share of the crops not at a piece's first frame that open with
      whole 2 s windows of another piece of the same genre (not scored) before the conditioned
      piece: the LM learns to move between moods, as a session's path asks
  --av-dropout P (0.1) --text-dropout P (0.1): conditioning dropout for classifier-free guidance
  --guidance-scale G (3): the model's default guidance (generation_config.json)
  --rr-lambda L (0 = off) --rr-pool max|mean (max): representation regularisation on the
      samples whose text CFG dropped (cosine-similarity matrices of pooled text and LM states)
  --seed N (1)  --threads N  --checkpoint-every N (200)
  --lm-width 256 --lm-layers 4 --lm-heads 8 --lm-ffn 1024 --text-width 128 --text-layers 2
  --json (print a summary on stdout)
Data-parallel (c10d/Gloo, PyTorch's conventions; flags override the environment):
  --world-size N (WORLD_SIZE, 1)  --rank R (RANK, 0)  --master-addr HOST (MASTER_ADDR,
  127.0.0.1)  --master-port P (MASTER_PORT, 29500)  --dist-timeout S (60: rendezvous and
  collectives fail after S seconds). Start the same command once per rank; --batch is per
  rank (each step sees N x B samples); rank 0 writes the folder. See docs/training.md and
  scripts/train-distributed.sh.
Ctrl-C / SIGTERM: stops after the current step, saves the checkpoint and the model, exits
130/143; rerun the same command to resume.)";

// clang-format off
static const std::vector<std::string> kKnown = {"corpus", "out", "steps", "minutes", "batch", "crop", "lr", "warmup",
                    "lara-alpha", "start-crops", "opening-weight", "opening-frames", "no-av", "transition-share",
                    "av-dropout", "text-dropout", "guidance-scale", "seed", "threads", "checkpoint-every",
                    "lm-width", "lm-layers", "lm-heads", "lm-ffn", "text-width", "text-layers",
                    "rr-lambda", "rr-pool", "world-size", "rank", "master-addr", "master-port",
                    "dist-timeout", "help", "json"};
// clang-format on

/// A distributed setting from its flag, else from PyTorch's environment variable, else the
/// default; a bad environment value is refused naming the variable.
static long long distributedInt(const Args& args, const char* flag, const char* env,
                                long long fallback) {
    if (args.has(flag)) return args.getInt(flag, fallback);
    const char* text = std::getenv(env);
    if (!text || !*text) return fallback;
    try {
        return parseIntegerOption(flag, text);
    } catch (const UsageError& e) {
        throw UsageError(std::string("environment variable ") + env + "='" + text +
                         "': " + e.what());
    }
}

static int runTrain(const std::vector<std::string>& argv) {
    Args args(argv, {"no-av", "json", "help"});
    if (args.has("help")) {
        std::cout << kHelp << "\n" << optionRangesHelp(kKnown);
        return 0;
    }
    args.allowOnly(kKnown, 0);
    TrainOptions o;
    o.corpusDir = args.require("corpus");
    o.outDir = args.require("out");
    // Checked before the trainer creates the output folder: a bad corpus leaves nothing.
    if (!std::filesystem::is_directory(o.corpusDir))
        throw std::runtime_error("corpus folder '" + o.corpusDir + "' does not exist");
    o.steps = static_cast<int>(args.getInt("steps", o.steps));
    o.maxMinutes = args.getDouble("minutes", 0);
    o.batchSize = static_cast<int>(args.getInt("batch", o.batchSize));
    o.cropFrames = static_cast<int>(args.getInt("crop", o.cropFrames));
    o.learningRate = args.getDouble("lr", o.learningRate);
    o.warmupSteps = static_cast<int>(args.getInt("warmup", o.warmupSteps));
    o.laraAlpha = args.getDouble("lara-alpha", 1.0);
    o.startCropShare = args.getDouble("start-crops", o.startCropShare);
    if (o.startCropShare < 0 || o.startCropShare > 1)
        throw UsageError("--start-crops must be in [0, 1]");
    o.openingWeight = args.getDouble("opening-weight", o.openingWeight);
    o.openingFrames = static_cast<int>(args.getInt("opening-frames", o.openingFrames));
    if (o.openingWeight <= 0 || o.openingFrames < 0)
        throw UsageError("--opening-weight must be > 0 and --opening-frames >= 0");
    o.transitionShare = args.getDouble("transition-share", o.transitionShare);
    o.useAvEncoder = !args.has("no-av");
    o.avDropout = args.getDouble("av-dropout", o.avDropout);
    o.textDropout = args.getDouble("text-dropout", o.textDropout);
    if (o.avDropout < 0 || o.avDropout > 1 || o.textDropout < 0 || o.textDropout > 1)
        throw UsageError("--av-dropout and --text-dropout must be in [0, 1]");
    o.guidanceScale = args.getDouble("guidance-scale", o.guidanceScale);
    if (!(o.guidanceScale >= 0) || !std::isfinite(o.guidanceScale))
        throw UsageError("--guidance-scale must be a finite number >= 0");
    o.seed = args.getU64("seed", 1);
    o.threads = static_cast<int>(args.getInt("threads", 0));
    o.checkpointEvery = static_cast<int>(args.getInt("checkpoint-every", o.checkpointEvery));
    o.rrLambda = args.getDouble("rr-lambda", o.rrLambda);
    const auto pool = args.get("rr-pool", "max");
    if (pool != "max" && pool != "mean")
        throw UsageError("--rr-pool must be 'max' or 'mean', not '" + pool + "'");
    o.rrPool = pool == "max" ? RepresentationPool::Max : RepresentationPool::Mean;
    auto& d = o.distributed;
    d.worldSize = static_cast<int>(distributedInt(args, "world-size", "WORLD_SIZE", 1));
    d.rank = static_cast<int>(distributedInt(args, "rank", "RANK", 0));
    d.masterPort = static_cast<int>(distributedInt(args, "master-port", "MASTER_PORT", 29500));
    const char* addr = std::getenv("MASTER_ADDR");
    d.masterAddr = args.get("master-addr", addr && *addr ? addr : "127.0.0.1");
    if (d.masterAddr.empty()) throw UsageError("--master-addr must not be empty");
    d.timeoutSeconds = args.getDouble("dist-timeout", d.timeoutSeconds);
    if (d.rank >= d.worldSize)
        throw UsageError("rank " + std::to_string(d.rank) + " is outside world size " +
                         std::to_string(d.worldSize) + " (--rank/RANK must be below " +
                         "--world-size/WORLD_SIZE)");
    o.lmWidth = static_cast<int>(args.getInt("lm-width", o.lmWidth));
    o.lmLayers = static_cast<int>(args.getInt("lm-layers", o.lmLayers));
    o.lmHeads = static_cast<int>(args.getInt("lm-heads", o.lmHeads));
    o.lmFfn = static_cast<int>(args.getInt("lm-ffn", o.lmFfn));
    o.textWidth = static_cast<int>(args.getInt("text-width", o.textWidth));
    o.textLayers = static_cast<int>(args.getInt("text-layers", o.textLayers));
    TrainProgress last;
    runTraining(
        o,
        [&last](const TrainProgress& p) {
            last = p;
            if (p.rank == 0 && (p.step % 10 == 0 || p.step == p.totalSteps))
                std::fprintf(stderr,
                             "train: step %d/%d  loss %.4f (ce %.4f, lara %.4f, rr %.4f)  lr "
                             "%.2e  %.0f s, ~%.0f s left\n",
                             p.step, p.totalSteps, p.loss, p.ce, p.lara, p.rr, p.learningRate,
                             p.elapsedSeconds, p.etaSeconds);
        },
        interruptFlag());
    if (interrupted())
        throw Interrupted("stopped after step " + std::to_string(last.step) + " of " +
                          std::to_string(o.steps) + "; the checkpoint and model in " + o.outDir +
                          " are saved (rerun to resume)");
    if (args.has("json")) {
        const nlohmann::json j = {{"out", o.outDir},
                                  {"steps", last.step},
                                  {"total_steps", o.steps},
                                  {"loss", last.loss},
                                  {"ce", last.ce},
                                  {"lara", last.lara},
                                  {"rr", last.rr},
                                  {"rank", last.rank},
                                  {"world_size", last.worldSize},
                                  {"allreduce_seconds", last.allReduceSeconds},
                                  {"seconds", last.elapsedSeconds}};
        std::cout << jsonText(j) << "\n";
    } else if (o.distributed.rank == 0) {
        std::cerr << "train: wrote " << o.outDir << "\n";
    }
    return 0;
}

static CliCommand
    trainCommand("train", "train the embedded model (CE + LARA + RR, data-parallel) on a corpus",
                 runTrain);

} // namespace moodsteer::cli
