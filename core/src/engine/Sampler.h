// Token sampling: greedy, or temperature + top-k + top-p with a seeded generator. Draws use
// our own std::mt19937_64 stream (not torch's RNG), so the same seed gives the same clip
// across runs, processes and LibTorch versions.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace moodsteer {

struct SamplingSettings {
    bool greedy = false;
    double temperature = 1.0;
    int topK = 250;    ///< <= 0 disables
    double topP = 0.0; ///< <= 0 or >= 1 disables
};

class Sampler {
  public:
    Sampler(const SamplingSettings& settings, std::uint64_t seed);

    /// Picks one id from `logits` (length V). Order as in transformers: temperature, top-k,
    /// top-p, then a draw from the softmax; greedy takes the first maximum.
    std::int64_t sample(const float* logits, int vocab);

  private:
    SamplingSettings s_;
    std::mt19937_64 rng_;
    std::vector<std::pair<float, int>> scratch_;
    std::vector<double> probs_;
};

} // namespace moodsteer
