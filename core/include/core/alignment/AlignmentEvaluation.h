// Zero-shot genre accuracy of an alignment model: each clip's embedding against the texts
// "{genre} music" of the dataset's genres, argmax of the cosine, beside chance (1 / genres).
// Held-out sets only: a corpus folder of another seed, the MUSIFEAST recordings the model's
// metadata lists as held out (all of them for a model trained without MUSIFEAST), and the
// genre set (never trained on). Torch-free.
#pragma once

#include "core/alignment/AlignmentModel.h"

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace moodsteer {

struct ZeroShotResult {
    std::string dataset; ///< "corpus", "musifeast", "genre"
    std::string folder;
    int clips = 0;
    std::vector<std::string> genres; ///< the candidates
    double accuracy = 0;
    double chance = 0; ///< 1 / genres
    /// Mean cosine of each clip to its own genre's text and to the other genres' texts.
    double ownGenreCosine = 0, otherGenreCosine = 0;
    /// Corpus only: audio -> prompt retrieval among the set's own prompts (top 1 / top 5 hit
    /// rate, chance 1/N and 5/N) and the mean cosine of each clip to its own prompt.
    double retrievalTop1 = -1, retrievalTop5 = -1, retrievalChance1 = -1, retrievalChance5 = -1;
    double promptCosine = -1;
    std::vector<std::vector<int>> confusion; ///< [true][predicted]
};

struct AlignmentEvalOptions {
    std::string corpusDir;    ///< "" = skip
    std::string musifeastDir; ///< "" = skip
    std::string genreDir;     ///< "" = skip
    std::string cacheDir;     ///< feature cache ("" = the default)
    bool useCache = true;
    std::function<void(const std::string& stage, int done, int total)> progress;
    const std::atomic<bool>* cancel = nullptr;
};

/// One result per folder given. Throws std::runtime_error naming the folder or file at fault.
std::vector<ZeroShotResult> evaluateZeroShot(const AlignmentModel& model,
                                             const AlignmentEvalOptions& options);

} // namespace moodsteer
