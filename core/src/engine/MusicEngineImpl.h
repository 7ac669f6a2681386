// MusicEngine's internals, shared with other core/ components (probing, steering, training)
// that need the LibTorch model directly.
#pragma once

#include "core/AudioCodec.h"
#include "core/MusicEngine.h"
#include "models/MusicgenModel.h"
#include "models/SentencePieceTokenizer.h"

#include <memory>

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

    /// Text (or ids) + optional valence/arousal -> cross-attention memory. Throws EngineError.
    Conditioning condition(const Recipe& recipe);
    /// Frames for a recipe (steps or seconds), validated against the positions.
    int framesFor(const Recipe& recipe) const;
};

} // namespace moodsteer
