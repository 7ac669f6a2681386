// The long-context part of `moodsteer-cli bench` (see core/bench/Benchmark.h): one decode step
// at several cached positions, against a floor that counts the KV cache a step reads besides
// the weights.
#pragma once

#include "core/bench/Benchmark.h"
#include "models/MusicgenDecoder.h"

#include <torch/types.h>

namespace moodsteer {

/// Times guided (2-row) decode steps of `lm` at its current weight precision after each of
/// options.positions cached positions, for each cache precision of options.kvCaches (empty:
/// the model's default), and appends one BenchPositionResult per (cache, position) to
/// report.positions. The cache is filled directly with random keys/values of its dtype (the
/// step's time depends only on the cache's length and dtype), not by decoding P steps.
/// memory/mask: the conditional prompt [1, S, D] / [1, S]. Each bandwidth probe is also
/// appended to `bandwidths`.
void benchLongContext(models::MusicgenForCausalLMImpl& lm, const torch::Tensor& memory,
                      const torch::Tensor& mask, const std::string& precision,
                      const BenchOptions& options, int threads, BenchReport& report,
                      std::vector<double>& bandwidths,
                      const std::function<void(const std::string&)>& say);

} // namespace moodsteer
