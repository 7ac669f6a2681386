// The takes part of `moodsteer-cli bench` (see core/bench/Benchmark.h): N clips decoded in one
// batch, against the floor of the weights (read once for all rows) and the KV cache.
#pragma once

#include "core/bench/Benchmark.h"
#include "models/MusicgenDecoder.h"

#include <torch/types.h>

namespace moodsteer {

/// Times generations of options.takes takes (guided, options.steps decode steps) of the prompt
/// memory/mask ([1, S, D] / [1, S]) with `lm` at its current precision; appends one
/// BenchTakesResult per count to report.takes and each bandwidth probe to `bandwidths`.
void benchTakes(models::MusicgenForCausalLM lm, const torch::Tensor& memory,
                const torch::Tensor& mask, const std::string& precision, double frameRate,
                const BenchOptions& options, int threads, BenchReport& report,
                std::vector<double>& bandwidths,
                const std::function<void(const std::string&)>& say);

/// The embedded model making options.takes takes of `seconds` end to end, per precision;
/// fills report.embeddedTakes (nothing when the model is not shipped).
void benchEmbeddedTakes(const std::vector<std::string>& precisions, const std::vector<int>& takes,
                        int threads, double seconds, BenchReport& report,
                        const std::function<void(const std::string&)>& say);

} // namespace moodsteer
