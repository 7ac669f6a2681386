// The training set of the embedded model: pieces from `moodsteer-cli corpus` (tokens,
// prompt, genre, valence, arousal) plus the LARA targets (standardised window features of
// each piece's rendered audio), cached next to the corpus.
#pragma once

#include "core/audio/AudioCodec.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moodsteer {

struct TrainingPiece {
    CodeGrid codes;
    std::string prompt;
    std::string genre;
    double valence = 5, arousal = 5;
    std::vector<std::int64_t> promptIds;     ///< filled once a tokenizer exists
    std::vector<std::vector<float>> windows; ///< LARA targets per window (standardised)
};

struct TrainingCorpus {
    std::vector<TrainingPiece> pieces;
    std::vector<std::string> genres;
    int featureSize = 0;
    int windowFrames = 0;

    /// Reads labels.csv and the token files; throws naming the file at fault.
    static TrainingCorpus load(const std::string& dir);
    /// Computes (or loads the cached) LARA window features for windows of `windowFrames`.
    void computeLaraTargets(const std::string& dir, const AudioCodec& codec, int windowFrames);
};

} // namespace moodsteer
