// Trains the alignment model (CLAP objective: symmetric InfoNCE between the text and the audio
// encoder, learnable temperature) on corpus pieces <-> their prompts and real recordings <->
// genre captions, then measures zero-shot genre accuracy on the held-out sets. Resumable: a
// checkpoint (weights, optimizer, step) is written atomically every `checkpointEvery` steps
// next to the output and a run with the same options continues from it. Deterministic for a
// seed on one thread. Torch-free header.
#pragma once

#include "core/alignment/AlignmentEvaluation.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace moodsteer {

struct AlignmentTrainingOptions {
    std::vector<std::string> corpusDirs; ///< training corpora (`moodsteer-cli corpus`)
    std::string musifeastDir;            ///< real recordings with genre labels ("" = none)
    int holdoutEvery = 4;                ///< one MUSIFEAST recording in N per genre held out
    std::string outPath; ///< the model (safetensors); checkpoint: outPath.checkpoint
    int steps = 3000;
    int batch = 64;
    double lr = 2e-3;
    double weightDecay = 1e-4;
    int hidden = 128;
    int embedDim = 64;
    double dropout = 0.1;
    std::uint64_t seed = 1234;
    int checkpointEvery = 500;
    bool half = true; ///< store weights as fp16
    int threads = 1;  ///< LibTorch intra-op threads (training is tiny: one is enough)
    /// Held-out evaluation after training (AlignmentEvalOptions; MUSIFEAST's comes from above).
    std::string evalCorpusDir, genreDir;
    std::string cacheDir;
    bool useCache = true;
};

struct AlignmentTrainingProgress {
    std::string stage; ///< "features", "training", "evaluation"
    std::string message;
    int done = 0, total = 0;
    double loss = 0;
};

struct AlignmentTrainingSummary {
    int trainClips = 0, trainWindows = 0, vocabulary = 0;
    int startStep = 0, steps = 0;
    double trainSeconds = 0, featureSeconds = 0;
    double finalLoss = 0;   ///< mean of the last 100 steps' losses
    double temperature = 0; ///< 1 / logit scale at the end
    std::vector<std::string> heldOutRecordings;
    std::vector<ZeroShotResult> zeroShot;
};

/// Throws std::invalid_argument for bad options (one line naming the option),
/// std::runtime_error naming the folder/file for bad data, "cancelled" when `cancel` is set.
AlignmentTrainingSummary
trainAlignmentModel(const AlignmentTrainingOptions& options,
                    const std::function<void(const AlignmentTrainingProgress&)>& progress = {},
                    const std::atomic<bool>* cancel = nullptr);

} // namespace moodsteer
