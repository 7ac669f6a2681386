// The steering benchmark: for source -> target genre pairs, generate from the source prompt
// with the same seeds unsteered (alpha 0) and steered towards the target (a steering-vector
// file per target label) over a range of alphas, and measure the change of the target's genre
// score (the DSP genre classifier, GenreClassifier.h, trained without tempo) and how well the tempo
// is preserved. With a text-audio alignment model (core/alignment/AlignmentModel.h) also the
// cosine of each clip to "{target} music" before (alpha 0) and after steering. Torch-free.
#pragma once

#include "core/emotion/GenreClassifier.h"
#include "core/engine/MusicEngine.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace moodsteer {

class AlignmentModel;

struct SteeringBenchmarkOptions {
    std::vector<std::pair<std::string, std::string>> pairs; ///< (source, target) labels
    std::map<std::string, std::string> vectors;             ///< target label -> vector file
    std::vector<double> alphas{0.0, 0.25, 0.5, 0.75};       ///< 0 is the unsteered baseline
    std::vector<std::uint64_t> seeds{1, 2, 3};
    int layer = -1; ///< -1: each vector's own layer
    std::string promptTemplate = "{label} music";
    /// Per-source prompt ids instead of the template (models without a tokenizer).
    std::map<std::string, std::vector<std::int64_t>> promptIds;
    double seconds = 5.0;
    int steps = 0; ///< decode frames; > 0 overrides seconds
    double guidance = 3.0;
    int topK = 250;
    double temperature = 1.0;
    /// The alignment score beside the DSP classifier; nullptr: not measured (NaN columns).
    /// Must outlive the run.
    const AlignmentModel* alignment = nullptr;
};

struct SteeringBenchmarkRow {
    std::string source, target;
    double alpha = 0;
    std::uint64_t seed = 0;
    double targetScore = 0; ///< P(target) of the generated audio
    double sourceScore = 0; ///< P(source) (when the scorer knows the source genre, else NaN)
    double targetGain = 0;  ///< targetScore - the same seed's unsteered targetScore
    double tempoBpm = 0;
    double tempoRatio = 1;   ///< tempo / the same seed's unsteered tempo
    double codesChanged = 0; ///< share of codes differing from the unsteered clip
    /// Alignment model: cosine of the clip to "{target} music" / "{source} music", and the
    /// target's gain over the same seed's unsteered clip (NaN without a model).
    double alignTarget = 0, alignSource = 0, alignTargetGain = 0;
};

/// Means over seeds for one (source, target, alpha).
struct SteeringBenchmarkSummary {
    std::string source, target;
    double alpha = 0;
    double targetScore = 0, targetGain = 0, sourceScore = 0;
    double tempoRatio = 1;     ///< mean over seeds
    double tempoPreserved = 1; ///< share of seeds whose tempo is within 8 % of the unsteered one
    double codesChanged = 0;
    double alignTarget = 0, alignTargetGain = 0, alignSource = 0; ///< NaN without a model
};

struct SteeringBenchmarkReport {
    std::string modelId;
    std::vector<std::string> scorerGenres;
    double scorerAccuracy = 0;
    std::string alignmentModel; ///< path of the alignment model ("" = none)
    std::vector<SteeringBenchmarkRow> rows;
    std::vector<SteeringBenchmarkSummary> summary;
    std::string toJson(int indent = 2) const;
    std::string toCsv() const; ///< the summary, one row per (source, target, alpha)
};

/// Runs the benchmark (pairs x seeds x alphas generations). Throws EngineError / SteeringError
/// for a missing vector, a vector of another model, or an unknown genre. `progress(done,
/// total)` after each generation; `cancel` is checked between generations and steps.
SteeringBenchmarkReport runSteeringBenchmark(MusicEngine& engine, const GenreClassifier& scorer,
                                             const SteeringBenchmarkOptions& options,
                                             const std::function<void(int, int)>& progress = {},
                                             const std::atomic<bool>* cancel = nullptr);

} // namespace moodsteer
