// MusicEngine's internals, shared with other core/ components (probing, steering, training)
// that need the LibTorch model directly.
#pragma once

#include "core/audio/AudioCodec.h"
#include "core/emotion/EmotionPredictor.h"
#include "core/engine/ModelFamily.h"
#include "core/engine/MusicEngine.h"
#include "models/MusicgenDecoder.h"
#include "models/MusicgenModel.h"
#include "models/SentencePieceTokenizer.h"

#include <functional>
#include <memory>
#include <optional>
#include <utility>

namespace moodsteer {

/// Conditioning tensors for one prompt (batch 1): projected memory and its mask.
struct Conditioning {
    torch::Tensor memory; ///< [1, S, D_dec]
    torch::Tensor mask;   ///< [1, S]
};

struct MusicEngine::Impl {
    ModelInfo info;
    models::MusicgenModel model{nullptr};
    std::unique_ptr<models::SentencePieceTokenizer> tokenizer;
    std::unique_ptr<AudioCodec> codec;
    /// Stream the codec on its own thread when a core is free (EnCodec: heavy per frame;
    /// SynthCodec renders faster than it would pay to hand frames over).
    bool pipelineCodec = false;
    /// The seam every generation goes through (MusicgenFamily over the parts above).
    std::unique_ptr<ModelFamily> family;

    /// Text (or ids) + optional valence/arousal -> cross-attention memory. Throws EngineError.
    /// An emotion path is read at its start.
    Conditioning condition(const Recipe& recipe);
    /// The same with the emotion given explicitly (nullopt: none, whatever the recipe says).
    Conditioning condition(const Recipe& recipe, std::optional<std::pair<double, double>> va);
    /// Frames for a recipe (steps or seconds), validated against the positions.
    int framesFor(const Recipe& recipe) const;
    /// MusicEngine::promptCodes.
    CodeGrid promptCodes(const std::string& path);
    /// MusicEngine::generate with the recipe's steering applied (SteeringPlan on the
    /// conditional rows, schedule evaluated per step), plus an optional observer of the
    /// decoder (onResidual/onAttention, after the steering) and a per-step callback (decode
    /// step s feeds delayed position s), for activation collection while generating.
    GenerationResult generate(const Recipe& recipe, const GenerationCallbacks& callbacks,
                              const models::DecoderHooks* observer = nullptr,
                              const std::function<void(int step)>& beforeStep = {});
    /// One window of `takes` takes (1: a single clip) from its start, streamed as generate()
    /// does (take 1); one result per take.
    std::vector<GenerationResult> generateClips(const Recipe& recipe, int takes,
                                                const GenerationCallbacks& callbacks,
                                                const models::DecoderHooks* observer,
                                                const std::function<void(int step)>& beforeStep);
    /// The recipe's cache precision, or the model's default for its weights.
    std::string kvCacheFor(const Recipe& recipe) const;
    /// The emotion check's head when the caller gives none: preferredEmotionHeadPath(), loaded
    /// on first use and kept. Throws EngineError when no head is installed.
    const EmotionPredictor& emotionJudge();
    std::unique_ptr<EmotionPredictor> judge;
};

} // namespace moodsteer
