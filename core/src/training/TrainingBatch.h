// One training step's samples: drawn for the whole global batch from the run's seeded stream
// (so every rank of a data-parallel run, and a single process with the same global batch,
// draws the same samples), then built into tensors for one rank's slice.
// Reentrant (no state); the caller owns the random stream.
#pragma once

#include "engine/DelayPattern.h"
#include "training/TrainingCorpus.h"

#include <torch/types.h>

#include <random>
#include <span>
#include <vector>

namespace moodsteer {

struct SampleDraw {
    const TrainingPiece* piece = nullptr;
    int window = 0; ///< the crop starts at window * windowFrames
    bool dropAv = false;
    bool dropText = false; ///< classifier-free guidance: the text condition is masked
    /// A mood change inside the crop (BatchShape::transitionShare): the crop opens with
    /// `contextFrames` frames of `context` (another piece of the same genre, from its window
    /// `contextWindow`), then continues with `piece` from `window`. The context frames are not
    /// scored, so the LM learns to move from music in one mood to the one its conditions
    /// (`piece`'s prompt and (v, a)) ask for, as a session's path asks it to. Such a crop keeps
    /// both conditions (no CFG dropout): the unconditional branch should continue its context.
    const TrainingPiece* context = nullptr;
    int contextWindow = 0, contextFrames = 0;
};

struct BatchShape {
    int cropFrames = 0, windowFrames = 0;
    double startCropShare = 0.5, avDropout = 0, textDropout = 0;
    double openingWeight = 1;
    int openingFrames = 0;
    /// Share of the crops not at a piece's first frame that open with another piece's music.
    double transitionShare = 0;
};

/// Draws `count` samples in the order single-process runs always drew them (piece, crop,
/// AV dropout per sample, then the text dropout of every sample, then, only with a
/// transitionShare, the mood changes), so a run's stream does not depend on how many
/// processes share the batch, and runs without mood changes draw as they always did.
std::vector<SampleDraw> drawBatch(const TrainingCorpus& corpus, int count, const BatchShape& s,
                                  std::mt19937_64& rng);

/// Cross-entropy weight of every target token of one sample ([K * T], row k * T + t): 0 for
/// the tokens the delay pattern forces and those of a mood change's context frames,
/// openingWeight for a crop's opening frames.
std::vector<float> tokenWeights(const SampleDraw& d, const DelayPattern& pattern,
                                const BatchShape& s);

struct TrainingBatch {
    torch::Tensor ids, textMask; ///< [B, S] prompt ids and the mask after CFG dropout
    torch::Tensor promptMask;    ///< [B, S] the prompts' real tokens (for RR's text side)
    torch::Tensor va, avMask;    ///< [B, 2], [B] (undefined without the AV encoder)
    torch::Tensor input;         ///< [B * K, T] delayed tokens
    torch::Tensor target;        ///< [B * K * T], -100 where forced
    torch::Tensor weight;        ///< [B * K * T] tokenWeights of each sample
    torch::Tensor laraTarget;    ///< [B, windows, features] (undefined without LARA)
};

TrainingBatch buildBatch(std::span<const SampleDraw> draws, const DelayPattern& pattern,
                         const BatchShape& s, bool withAv, bool withLara);

} // namespace moodsteer
