// moodsteer-cli train-variations: trains the variation generator's VAE and latent diffusion
// model on a corpus folder (resumable; scripts/train-variations.sh re-makes the shipped
// weights).
#include "CliCommand.h"
#include "CliSupport.h"
#include "Interrupt.h"
#include "OptionTable.h"

#include "core/variations/VariationTraining.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

namespace moodsteer::cli {
namespace {

const char* kHelp =
    R"(usage: moodsteer-cli train-variations --corpus DIR --out DIR [options]

Trains the variation generator (docs/variations.md) on a corpus made by `moodsteer-cli corpus
--tokens-only`: stage 1, the VAE (random 8 s crops; reconstruction + beta * KL with a linear
beta warm-up and free bits), then stage 2, the conditional latent diffusion model (8 s
segments every 16 s, their latents and attention curves; DDPM with a cosine schedule, condition
dropout for classifier-free guidance). Each stage resumes from DIR/checkpoint. Writes
DIR/{config.json, vae.safetensors, diffusion.safetensors, vae_training_log.csv,
diffusion_training_log.csv}.

  --corpus DIR             training corpus
  --heldout DIR            another corpus (another seed): VAE reconstruction figures
                           (per-stream token accuracy, active units) go into config.json
  --out DIR                the weights folder
  --stage S                vae, diffusion (on the VAE in --out) or both (default)
  --vae-steps N (1800)  --vae-minutes M (20)  --diffusion-steps N (6000)
  --diffusion-minutes M (20): each stage stops at whichever limit comes first
  --seed N (1)  --threads N (1)  --checkpoint-every N (100)
  --summary-dropout P      drop the input-summary tokens alone with probability P (default 0):
                           the model then also samples emotion shifts without them (see the
                           model card for what 0.3 traded)
  --subspace-dropout P     drop each subspace's summary token alone with probability P (default
                           0): an emotion shift then releases only its subspace (arousal: rhythm,
                           valence: harmony) and keeps the source's summary of the others
  --json                   print a summary on stdout
)";

int run(const std::vector<std::string>& argv) {
    Args args(argv, {"json", "help"});
    if (args.has("help")) {
        std::cout << kHelp << optionRangesHelp(kHelp);
        return 0;
    }
    args.allowOnly({"corpus", "heldout", "out", "stage", "vae-steps", "vae-minutes",
                    "diffusion-steps", "diffusion-minutes", "seed", "threads", "checkpoint-every",
                    "summary-dropout", "subspace-dropout", "json", "help"},
                   0);
    VariationTrainOptions o;
    o.corpusDir = args.require("corpus");
    o.outDir = args.require("out");
    o.heldOutDir = args.get("heldout");
    o.stage = args.get("stage", "both");
    if (o.stage != "vae" && o.stage != "diffusion" && o.stage != "both")
        throw UsageError("--stage must be vae, diffusion or both, not '" + o.stage + "'");
    o.vaeSteps = static_cast<int>(args.getInt("vae-steps", o.vaeSteps));
    o.vaeMinutes = args.getDouble("vae-minutes", o.vaeMinutes);
    o.diffusionSteps = static_cast<int>(args.getInt("diffusion-steps", o.diffusionSteps));
    o.diffusionMinutes = args.getDouble("diffusion-minutes", o.diffusionMinutes);
    o.seed = args.getU64("seed", o.seed);
    o.threads = static_cast<int>(args.getInt("threads", 1));
    o.checkpointEvery = static_cast<int>(args.getInt("checkpoint-every", o.checkpointEvery));
    o.summaryDropout = args.getDouble("summary-dropout", o.summaryDropout);
    o.subspaceDropout = args.getDouble("subspace-dropout", o.subspaceDropout);
    std::error_code ec;
    std::filesystem::create_directories(o.outDir, ec);
    if (ec) throw UsageError("cannot create --out '" + o.outDir + "': " + ec.message());
    checkWritableTarget(o.outDir + "/config.json");
    VariationTrainProgress last;
    runVariationTraining(
        o,
        [&last](const VariationTrainProgress& p) {
            if (!p.message.empty()) {
                std::fprintf(stderr, "train-variations: %s\n", p.message.c_str());
                return;
            }
            last = p;
            if ((p.step % 20 == 0 || p.step == p.totalSteps) && p.stage == "diffusion")
                std::fprintf(stderr,
                             "train-variations: diffusion step %d/%d  loss %.4f  %.0f s, ~%.0f s "
                             "left\n",
                             p.step, p.totalSteps, p.loss, p.elapsedSeconds, p.etaSeconds);
            else if (p.step % 20 == 0 || p.step == p.totalSteps)
                std::fprintf(stderr,
                             "train-variations: %s step %d/%d  loss %.4f (rec %.4f, kl %.2f, "
                             "beta %.4f)  %.0f s, ~%.0f s left\n",
                             p.stage.c_str(), p.step, p.totalSteps, p.loss, p.reconstruction, p.kl,
                             p.beta, p.elapsedSeconds, p.etaSeconds);
        },
        interruptFlag());
    if (interrupted())
        throw Interrupted("stopped in the " + last.stage + " stage at step " +
                          std::to_string(last.step) + "; the checkpoint and weights in " +
                          o.outDir + " are saved (rerun to resume)");
    if (args.has("json")) {
        const nlohmann::json j = {{"out", o.outDir},
                                  {"stage", last.stage},
                                  {"steps", last.step},
                                  {"loss", last.loss},
                                  {"seconds", last.elapsedSeconds}};
        std::cout << jsonText(j) << "\n";
    } else {
        std::cerr << "train-variations: wrote " << o.outDir << "\n";
    }
    return 0;
}

const CliCommand registration("train-variations",
                              "train the variation generator (VAE + latent diffusion)", run);

} // namespace
} // namespace moodsteer::cli
