// Training the embedded default model (issue: "Training in C++ and the embedded default
// model"): a small MusicGen-architecture model (T5-style encoder + LM over SynthCodec tokens
// with the delay pattern + LARA-Gen's AV encoder) trained with CE + alpha * LARA on a corpus
// made by `moodsteer-cli corpus`. The result is a Hugging Face-layout folder that
// MusicEngine::load() reads like any MusicGen checkpoint.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace moodsteer {

/// How a sequence of representations becomes one vector for representation regularisation.
enum class RepresentationPool { Max, Mean };

/// Data-parallel training on PyTorch's distributed engine (c10d, Gloo backend), with PyTorch's
/// conventions: rank 0 hosts the TCPStore rendezvous at masterAddr:masterPort; each of the
/// worldSize processes runs runTraining() with the same options and its own rank. Every rank
/// trains on its slice of each global batch (worldSize x batchSize samples drawn from one
/// seeded stream), gradients are summed over the ranks every step, and only rank 0 writes
/// the checkpoint, the model folder and the log.
struct DistributedOptions {
    int worldSize = 1; ///< 1: a plain single-process run (no process group)
    int rank = 0;
    std::string masterAddr = "127.0.0.1";
    int masterPort = 29500;
    /// Reaching the master, the rendezvous and every collective fail after this long (a dead
    /// or unreachable rank ends the run with a clear message instead of hanging).
    double timeoutSeconds = 60;
};

struct TrainOptions {
    std::string corpusDir;     ///< labels.csv + token files (+ audio) from `corpus`
    std::string outDir;        ///< the model folder written at the end (and at checkpoints)
    std::string checkpointDir; ///< resumable training state; "" = outDir + "/checkpoint"
    int steps = 2000;
    double maxMinutes = 0; ///< > 0: stop (and save) when this wall-clock budget is spent
    int batchSize = 16;    ///< per process: a step sees distributed.worldSize x batchSize samples
    int cropFrames = 200;  ///< frames per training crop (8 s at 25 Hz)
    double learningRate = 1e-3;
    int warmupSteps = 100;
    double weightDecay = 0.01;
    double gradClip = 1.0;
    double laraAlpha = 100.0; ///< 0 disables the LARA loss (ablation)
    double laraWindowSeconds = 2.0;
    bool useAvEncoder = true; ///< false: text-only emotion prompting (ablation)
    double textDropout = 0.1; ///< conditioning dropout for classifier-free guidance
    double avDropout = 0.1;
    /// Representation regularisation (DESIGN.md): on the samples whose text CFG dropped, the
    /// loss adds rrLambda * L_rr, the squared difference of the in-batch cosine-similarity
    /// matrices of pooled text and LM representations. 0 disables it.
    double rrLambda = 0.0;
    RepresentationPool rrPool = RepresentationPool::Max;
    DistributedOptions distributed;
    std::uint64_t seed = 1;
    int threads = 0;
    int checkpointEvery = 200;
    int vocabSize = 400; ///< SentencePiece (BPE) vocabulary for the prompts
    /// Share of crops that start at the piece's first frame. Later in a piece the tokens
    /// already carry genre, tempo and mood (SynthCodec repeats them every frame), so the
    /// opening is the only place where the LM must take them from the conditions.
    double startCropShare = 0.5;
    /// Cross-entropy weight of the first `openingFrames` frames of a crop that starts at the
    /// piece's first frame. Those few tokens are where genre and tempo are decided from the
    /// prompt alone; at weight 1 they are ~1 % of the loss and the text is learned slowly.
    double openingWeight = 5.0;
    int openingFrames = 25;
    /// Share of the crops not at a piece's first frame that get a mood change inside
    /// (sessions: docs/sessions.md): the crop opens with whole LARA windows of another piece of
    /// the same genre (2-4 s of a 6 s crop; not scored) and continues with the piece whose
    /// prompt and (v, a) condition it. Trained only on pieces with one mood throughout, the LM
    /// continues its context and follows a moving AV token in jumps. Openings are left alone:
    /// drawn from all crops (0.25), genre by prompt fell from 85-87 % to 69-79 %.
    double transitionShare = 0.0;
    /// Written to the folder's generation_config.json as `guidance_scale`: the guidance a
    /// recipe gets by default. Chosen after training by sweeping bench-emotion (model card).
    double guidanceScale = 3.0;
    // Architecture of the small model.
    int textWidth = 128, textLayers = 2, textHeads = 4, textFfn = 256;
    int lmWidth = 256, lmLayers = 4, lmHeads = 8, lmFfn = 1024, maxPositions = 1024;
};

struct TrainProgress {
    int step = 0;
    int totalSteps = 0;
    double loss = 0, ce = 0, lara = 0, rr = 0, learningRate = 0;
    double elapsedSeconds = 0, etaSeconds = 0;
    int rank = 0, worldSize = 1;
    /// Time this process spent in the gradient all-reduce (waiting for slower ranks
    /// included), summed over the steps of this call; 0 in a single-process run.
    double allReduceSeconds = 0;
};

/// Trains (resuming from the checkpoint when one exists) and writes the model folder.
/// Throws std::runtime_error with a one-line reason on bad input. With distributed.worldSize
/// > 1 it joins the process group first; every rank calls it with the same options (checked).
void runTraining(const TrainOptions& options,
                 const std::function<void(const TrainProgress&)>& onProgress = {},
                 const std::atomic<bool>* cancel = nullptr);

/// Teacher-forced cross-entropy of a trained model folder on a corpus it did not train on
/// (another seed): each piece whole, with its own prompt and (v, a), no dropout, the delay
/// pattern's forced positions excluded. The ablation table's "CE on held-out pieces".
struct HeldOutLoss {
    double ce = 0;                   ///< mean over all scored tokens (nats)
    std::vector<double> perCodebook; ///< mean per code stream
    int pieces = 0, frames = 0;      ///< pieces scored, frames per piece (the shortest piece)
    long long tokens = 0;
};

/// Throws std::runtime_error with one line naming the folder at fault. `threads` as in
/// TrainOptions; `cancel` is read between batches.
HeldOutLoss evaluateHeldOut(const std::string& modelDir, const std::string& corpusDir,
                            int threads = 1, const std::atomic<bool>* cancel = nullptr);

} // namespace moodsteer
