// The two networks of the variation generator with what ties them together: the weights
// folder's config.json, the latent normalisation (per-channel mean and spread of the VAE's
// posterior means over the training segments, so the diffusion model sees unit-scale
// latents) and the conversions between code grids, fields and tensors. Shared by the
// trainer, the generator and the benchmark. LibTorch inside: core .cpp files only.
// Threading: one thread at a time (modules are stateless in eval mode but not locked).
#pragma once

#include "core/audio/AudioCodec.h"
#include "models/LatentDiffusion.h"
#include "models/VariationVae.h"
#include "variations/AttentionCurveMaker.h"
#include "variations/VariationFields.h"

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <string>
#include <vector>

namespace moodsteer::variations {

/// A batch of segments as the VAE reads them.
struct FieldTensors {
    torch::Tensor categorical; ///< [B, T, kNumFields] int64
    torch::Tensor drums;       ///< [B, T, kDrumBits] float
    torch::Tensor globals;     ///< [B, kNumGlobals] int64
};

FieldTensors toTensors(const std::vector<SegmentFields>& segments);

/// Frames rounded up to the multiple the two models need (VAE x4, U-Net x2): 8.
int paddedFrames(int frames);

class VariationModel {
  public:
    static constexpr const char* kConfigFile = "config.json";
    static constexpr const char* kVaeFile = "vae.safetensors";
    static constexpr const char* kDiffusionFile = "diffusion.safetensors";

    models::VariationVae vae{nullptr};
    models::LatentDiffusion diffusion{nullptr}; ///< null until stage 2 ran
    std::vector<float> latentMean, latentStd;   ///< per latent channel (empty until stage 2)
    nlohmann::json training;                    ///< settings and figures of each stage
    /// Fitted on the diffusion stage's training curves ("curve_coupling" in config.json);
    /// zeros for a model trained before it was (an arousal shift then moves arousal alone).
    CurveCoupling curveCoupling;

    /// Reads `folder`; throws std::runtime_error naming the file. `needDiffusion`: the
    /// diffusion weights and latent statistics must be there.
    static VariationModel load(const std::string& folder, bool needDiffusion);

    /// Writes config.json and the weights present (atomic, half precision on disk).
    void save(const std::string& folder) const;

    /// Posterior means [B, C, T/4] of a batch, normalised when `normalise` (needs the stats).
    torch::Tensor encodeMean(const FieldTensors& batch, bool normalise);
    /// Normalised latents [B, C, L] -> most likely fields (categorical, drums).
    std::pair<torch::Tensor, torch::Tensor>
    decodeFields(const torch::Tensor& latents, const torch::Tensor& globals, bool normalised);
    /// Fields of batch row `row` -> codes, texture globals carried from `source`.
    static CodeGrid toCodes(const std::pair<torch::Tensor, torch::Tensor>& fields, int row,
                            int frames, const CodeGrid& source, int sourceBegin);

    /// The diffusion model was trained with the summary tokens dropped now and then
    /// (training.diffusion.summary_dropout > 0), so it can sample from the curve without them.
    bool trainedWithoutSummary() const;
    /// The diffusion model was trained with each subspace's summary token dropped alone now
    /// and then (training.diffusion.subspace_dropout > 0): it can sample one subspace from the
    /// curve while the others keep the source's summary.
    bool trainedWithoutSubspace() const;

    std::int64_t vaeParameters() const;
    std::int64_t diffusionParameters() const;
};

} // namespace moodsteer::variations
