// Training the variation generator (issue #21) on the procedural corpus (`moodsteer-cli
// corpus --tokens-only`): stage "vae" (reconstruction + KL with a linear warm-up of beta and
// free bits per latent channel, random 8 s crops), then stage "diffusion" (the latents of
// fixed 8 s segments under the trained VAE, their attention curves, DDPM epsilon loss with the
// cosine schedule and condition dropout for classifier-free guidance). Each stage checkpoints
// atomically and resumes where it stopped. The result is a folder VariationGenerator::load()
// reads: config.json, vae.safetensors, diffusion.safetensors, one training log per stage.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace moodsteer {

struct VariationTrainOptions {
    std::string corpusDir;      ///< labels.csv + token files from `corpus --tokens-only`
    std::string heldOutDir;     ///< optional: another corpus (another seed) for the figures
    std::string outDir;         ///< the weights folder (written at every checkpoint)
    std::string checkpointDir;  ///< "" = outDir + "/checkpoint"
    std::string stage = "both"; ///< "vae", "diffusion" (needs a trained VAE in outDir), "both"
    int segmentFrames = 200;    ///< 8 s at 25 frames/s
    int threads = 1;
    std::uint64_t seed = 1;
    int checkpointEvery = 100;
    // VAE
    int vaeSteps = 1800;
    double vaeMinutes = 20; ///< > 0: stop the stage (and save) after this wall-clock budget
    int vaeBatch = 16;
    double vaeLearningRate = 2e-3;
    double betaMax = 0.02; ///< weight of the KL term after the warm-up
    int betaWarmupSteps = 800;
    double freeBits = 0.1; ///< nats per latent channel and latent frame below which KL is free
    int latentPerSubspace = 8;
    int encoderWidth = 64, decoderWidth = 128, blocksPerStage = 2;
    // Diffusion
    int diffusionSteps = 6000;
    double diffusionMinutes = 20;
    int diffusionBatch = 32;
    double diffusionLearningRate = 1e-3;
    double conditionDropout = 0.1;
    /// The input-summary tokens alone are dropped this often (independently), so that the
    /// model also learns to follow the attention curve without them; an emotion shift then
    /// samples without them (the source's summary pins its dynamics). 0 (the shipped model):
    /// off; 0.3 made arousal shifts work at s = 1 but free variations keep the emotion less
    /// well (resources/variations/MODEL_CARD.md).
    double summaryDropout = 0;
    /// Each subspace's summary token alone is dropped this often (independently of the
    /// others): the model learns to sample one subspace from the curve while the others keep
    /// the source's summary, so a shift releases only the subspace that carries it (arousal:
    /// rhythm; valence: harmony). 0: off.
    double subspaceDropout = 0;
    /// Diffusion data: segments every this many frames of each piece. Rendering each segment
    /// for its attention curve is the stage's cost (~0.2 CPU-s a segment), so the default takes
    /// one segment (the first 8 s) of each 16 s corpus piece.
    int segmentHopFrames = 400;
    int timesteps = 1000;
    int width = 64, conditionWidth = 64, heads = 4;
};

struct VariationTrainProgress {
    std::string stage;
    int step = 0, totalSteps = 0;
    double loss = 0, reconstruction = 0, kl = 0, beta = 0;
    double elapsedSeconds = 0, etaSeconds = 0;
    std::string message; ///< data preparation lines
};

/// Per-stream token accuracy and active units, measured on held-out pieces.
struct VaeFigures {
    int segments = 0;
    std::vector<double> streamAccuracy; ///< K = 4 streams, share of frames whose code is exact
    double tokenAccuracy = 0;           ///< all streams
    std::vector<std::string> subspaces;
    std::vector<int> activeUnits, unitsPerSubspace; ///< Var_x(E[z|x]) > 0.01
};

/// Trains the stages asked for (resuming each from its checkpoint) and writes the folder.
/// Throws std::runtime_error with a one-line reason on bad input.
void runVariationTraining(const VariationTrainOptions& options,
                          const std::function<void(const VariationTrainProgress&)>& onProgress = {},
                          const std::atomic<bool>* cancel = nullptr);

/// Reconstruction figures of the VAE in `modelDir` on the pieces of `corpusDir` (8 s segments
/// every 8 s, at most `maxSegments`).
VaeFigures measureVae(const std::string& modelDir, const std::string& corpusDir,
                      int maxSegments = 400);

} // namespace moodsteer
