// The two training stages behind runVariationTraining (core/variations/VariationTraining.h).
#pragma once

#include "core/variations/VariationTraining.h"

namespace moodsteer::variations {

using ProgressFn = std::function<void(const VariationTrainProgress&)>;

/// Stage 1; writes outDir (config.json without a diffusion model, vae.safetensors,
/// vae_training_log.csv) at every checkpoint. Resumes from checkpointDir/vae_state.pt.
void trainVaeStage(const VariationTrainOptions& o, const ProgressFn& onProgress,
                   const std::atomic<bool>* cancel);
/// Stage 2 on the VAE in outDir; adds diffusion.safetensors and the latent statistics.
void trainDiffusionStage(const VariationTrainOptions& o, const ProgressFn& onProgress,
                         const std::atomic<bool>* cancel);

} // namespace moodsteer::variations
