// "Variations of this" (issue #21): a two-stage generator that makes new music like a given
// piece. Stage 1, a VAE (models/VariationVae.h), compresses SynthCodec codes into a latent
// sequence of three subspaces (melody, rhythm, harmony) at 25 / 4 = 6.25 latent frames/s;
// stage 2, a conditional latent diffusion model (models/LatentDiffusion.h: 1D U-Net with
// cross-attention, DDIM sampling, classifier-free guidance), generates new latents
// conditioned on the input's coarse latent and its attention curve (arousal, onset density,
// loudness over time). The VAE decodes them back to codes that play through SynthCodec.
// Details and figures: docs/variations.md and resources/variations/MODEL_CARD.md.
//
// Torch-free (pimpl): widgets/ and app/ include it.
//
// Threading: a VariationGenerator is used by one thread at a time (the engine thread in the
// studio). Callbacks run on that thread; `cancel` may be set from any thread and is read
// between denoising steps. Separate generators share nothing and may run concurrently.
#pragma once

#include "core/audio/AudioCodec.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace moodsteer {

/// Bad input (one line naming the value) or a malformed weights folder (naming the file).
class VariationError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct VariationRequest {
    /// SynthCodec codes (K = 4 streams at 25 frames/s): a clip's stored codes, the codes a
    /// recipe.json regenerates, or an imported MIDI file. At least kMinFrames and at most
    /// kMaxFrames frames; any length in between (the models are convolutional over time).
    /// Genre, instrument variant and tempo (stream 3) are carried over to every variation.
    CodeGrid source;
    int count = 4; ///< variations to make, 1..kMaxCount
    /// s in (0, 1]: start from the source's latent noised to t = s * T. Small s keeps the
    /// piece's structure (close variations); 1 generates freely under the conditioning.
    double similarity = 0.5;
    /// Moves the conditioning attention curve's arousal (and valence) by this many rating
    /// units (SAM scale 1..9, as Recipe::valence/arousal); 0 keeps the source's emotion.
    /// |shift| <= kMaxShift; a valence shift needs canShiftValence().
    double shiftArousal = 0;
    double shiftValence = 0;
    /// Restoration: when set, only frames in [restoreBeginSeconds, restoreEndSeconds) are
    /// regenerated, consistent with the rest (the known latent frames are re-imposed, noised
    /// to the current step, at every denoising step); every other frame keeps the source's
    /// codes exactly. The range must lie inside the source and be at least 0.16 s long.
    std::optional<double> restoreBeginSeconds;
    std::optional<double> restoreEndSeconds;
    int steps = 20;        ///< DDIM steps over the [0, s * T] range, 1..kMaxSteps
    double guidance = 2.0; ///< classifier-free guidance scale, 0..limits::kMaxGuidance (1: none)
    /// With a shift: eps += shiftGuidance * (eps(shifted curve) - eps(the source's curve)), one
    /// more U-Net row per step, so that the shift is not drowned by everything else the
    /// condition says about the source. 0..limits::kMaxGuidance; 0: off.
    double shiftGuidance = kDefaultShiftGuidance;
    /// Variation i (0-based) uses seed + i, so each one can be remade alone: the same source,
    /// settings and seed give the same codes bit for bit on the same machine and build.
    std::uint64_t seed = 1;

    static constexpr double kDefaultShiftGuidance = 0;
    static constexpr int kMinFrames = 50;   ///< 2 s
    static constexpr int kMaxFrames = 1500; ///< 60 s
    static constexpr int kMaxCount = 16;
    static constexpr int kMaxSteps = 1000;
    static constexpr double kMaxShift = 8.0;
};

struct Variation {
    CodeGrid codes;         ///< K = 4 x source.frames, SynthCodec
    std::uint64_t seed = 0; ///< request.seed + index
};

/// The attention curve of a piece: one value per latent frame (0.16 s) of each channel.
struct AttentionCurve {
    double framesPerSecond = 6.25;
    std::vector<float> arousal;      ///< emotion predictor (dsp head), 1..9 scale
    std::vector<float> valence;      ///< same windows, 1..9 (not a model input; for reports)
    std::vector<float> onsetDensity; ///< note and drum onsets per second
    std::vector<float> loudnessDb;   ///< RMS of the rendered audio in dBFS
};

struct VariationResult {
    std::vector<Variation> variations; ///< count of them, or fewer when cancelled
    AttentionCurve sourceCurve;        ///< the conditioning before the shift
    bool cancelled = false;
    double seconds = 0; ///< wall time of generate()
};

struct VariationProgress {
    int step = 0; ///< denoising steps done over all variations
    int totalSteps = 0;
    double elapsedSeconds = 0;
    double etaSeconds = 0;
    std::string message; ///< e.g. "variation 2 of 4"
};

struct VariationModelInfo {
    std::string folder;
    std::int64_t vaeParameters = 0, diffusionParameters = 0;
    int latentChannels = 0; ///< melody + rhythm + harmony channels per latent frame
    int timeDownsample = 4; ///< code frames per latent frame
    int diffusionSteps = 0; ///< T of the training schedule
    std::string summary;    ///< one line for `models` / the studio
};

class VariationGenerator {
  public:
    /// Loads vae.safetensors + diffusion.safetensors + config.json from `folder`, and the
    /// embedded dsp emotion head (for the attention curve). Throws VariationError naming the
    /// file. `threads` 0: LibTorch's current setting.
    static std::unique_ptr<VariationGenerator> load(const std::string& folder, int threads = 0);
    /// resources/variations ("" if absent).
    static std::string shippedFolder();

    ~VariationGenerator();
    VariationGenerator(const VariationGenerator&) = delete;
    VariationGenerator& operator=(const VariationGenerator&) = delete;

    const VariationModelInfo& info() const;
    /// The model conditions on valence too (its attention curve has a valence channel), so a
    /// request may shift it; the first shipped model's curve had arousal only.
    bool canShiftValence() const;

    /// Checks a request without running anything; throws VariationError with one line naming
    /// the bad value (count, similarity, steps, guidance, shift, restore range, source codes).
    void validate(const VariationRequest& request) const;

    /// Makes request.count variations (validate() first). Cancel: returns the finished
    /// variations with `cancelled` set. Never clamps a value silently.
    VariationResult generate(const VariationRequest& request,
                             const std::function<void(const VariationProgress&)>& onProgress = {},
                             const std::atomic<bool>* cancel = nullptr);

    /// The attention curve of a code grid (renders it with SynthCodec and runs the emotion
    /// predictor per window).
    AttentionCurve attentionCurve(const CodeGrid& codes) const;

    /// VAE round trip (encode to the posterior mean, decode the most likely fields): for
    /// reconstruction figures.
    CodeGrid reconstruct(const CodeGrid& codes) const;

    struct Impl;
    Impl& impl() { return *impl_; }

  private:
    explicit VariationGenerator(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

} // namespace moodsteer
