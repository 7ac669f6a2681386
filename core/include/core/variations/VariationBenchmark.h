// bench-variations (issue #21): the variation generator's trade-off curve measured on held-out
// corpus segments — similarity (OA of pitch, duration and inter-onset distributions, after
// Mittal et al. 2021) against two references, novelty, diversity, emotion kept (the Emotion
// Predictor's valence/arousal and the PCC of the arousal curves), restoration of a masked gap
// with and without context, how far an emotion shift moves the judged emotion, speed and peak
// memory. Torch-free.
#pragma once

#include "core/variations/VariationGenerator.h"

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace moodsteer {

struct VariationBenchOptions {
    std::string modelDir;  ///< the variation weights folder
    std::string corpusDir; ///< held-out corpus (another seed than training)
    int segments = 100;    ///< 8 s segments (the first 8 s of each piece)
    int count = 4;         ///< variations per segment and similarity
    std::vector<double> similarities{0.3, 0.6, 1.0};
    int steps = 20;
    double guidance = 2.0;
    double gapBeginSeconds = 3.0, gapEndSeconds = 5.0;
    int speedRuns = 3;
    int emotionEvery = 4; ///< the emotion columns judge inputs 0, 4, 8, ... (rendering is slow)
    /// Shift rows: one variation of each judged input at each of these similarities with the
    /// arousal moved by -2 and (a model with a valence channel) the valence by +2.
    std::vector<double> shiftSimilarities{0.6, 1.0};
    double shiftGuidance = VariationRequest::kDefaultShiftGuidance; ///< for the shift rows
    std::uint64_t seed = 1;
    int threads = 1;
};

struct VariationBenchRow {
    std::string name; ///< "s = 0.3", "random piece, same genre", "input itself", ...
    double oaPitch = 0, oaDuration = 0, oaInterOnset = 0;
    double novelty = 0;
    double diversity = -1; ///< mean pairwise OA (mean of the three features); -1: not measured
    double valenceError = 0, arousalError = 0; ///< mean |Δ| against the input (1..9 scale)
    double arousalPcc = 0;                     ///< mean PCC of the arousal curves
    int pairs = 0;                             ///< (input, output) pairs of the similarity columns
    int emotionPairs = 0; ///< of the emotion columns (the first variation of each input)
};

/// What an emotion shift did: the mean signed change of the judged valence and arousal of the
/// variation against its input, for a shift of (askedValence, askedArousal).
struct VariationShiftRow {
    std::string name;
    double similarity = 0;
    double askedValence = 0, askedArousal = 0;
    double valenceChange = 0, arousalChange = 0;
    int pairs = 0;
};

struct VariationBenchReport {
    int segments = 0, count = 0, steps = 0;
    double guidance = 0;
    std::vector<VariationBenchRow> rows;        ///< one per similarity, then the references
    std::vector<VariationBenchRow> restoration; ///< with context, without context
    std::vector<VariationShiftRow> shifts;      ///< arousal -2, then valence +2 where possible
    double speedSeconds = 0; ///< mean wall time of `count` variations of one 8 s segment at s = 1
    int speedThreads = 1;
    double peakRssMb = 0;
    double totalSeconds = 0;
};

/// Throws std::runtime_error with one line on bad options or folders.
VariationBenchReport runVariationBenchmark(const VariationBenchOptions& options,
                                           const std::function<void(const std::string&)>& log = {},
                                           const std::atomic<bool>* cancel = nullptr);

} // namespace moodsteer
