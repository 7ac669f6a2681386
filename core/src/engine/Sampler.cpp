#include "engine/Sampler.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace moodsteer {

Sampler::Sampler(const SamplingSettings& settings, std::uint64_t seed) : s_(settings), rng_(seed) {
    if (!settings.greedy && !(settings.temperature > 0))
        throw std::invalid_argument("temperature must be > 0 (use greedy for argmax)");
}

std::int64_t Sampler::sample(const float* logits, int vocab) {
    if (s_.greedy) {
        int best = 0;
        for (int i = 1; i < vocab; ++i)
            if (logits[i] > logits[best]) best = i;
        return best;
    }
    scratch_.resize(vocab);
    for (int i = 0; i < vocab; ++i)
        scratch_[i] = {static_cast<float>(logits[i] / s_.temperature), i};
    // Descending logit, ties by index: a strict total order, so the kept candidates and their
    // order do not depend on how they are found.
    const auto before = [](const auto& a, const auto& b) {
        return a.first > b.first || (a.first == b.first && a.second < b.second);
    };
    int keep = vocab;
    if (s_.topK > 0 && s_.topK < vocab) {
        keep = s_.topK;
        // Select, then sort only the kept ones: O(vocab + k log k) instead of partial_sort's
        // O(vocab log k) (4 codebooks x 2048 codes per decode step).
        std::nth_element(scratch_.begin(), scratch_.begin() + (keep - 1), scratch_.end(), before);
        std::sort(scratch_.begin(), scratch_.begin() + keep, before);
    } else {
        std::sort(scratch_.begin(), scratch_.end(), before);
    }
    const double maxLogit = scratch_[0].first;
    probs_.resize(keep);
    double total = 0;
    for (int i = 0; i < keep; ++i) {
        probs_[i] = std::exp(double(scratch_[i].first) - maxLogit);
        total += probs_[i];
    }
    if (s_.topP > 0 && s_.topP < 1) {
        // Smallest prefix (by descending probability) whose mass reaches top_p; at least one.
        double cum = 0;
        int n = 0;
        while (n < keep) {
            cum += probs_[n] / total;
            ++n;
            if (cum >= s_.topP) break;
        }
        keep = n;
        total = 0;
        for (int i = 0; i < keep; ++i)
            total += probs_[i];
    }
    std::uniform_real_distribution<double> uni(0.0, total);
    double r = uni(rng_);
    for (int i = 0; i < keep; ++i) {
        r -= probs_[i];
        if (r < 0) return scratch_[i].second;
    }
    return scratch_[keep - 1].second;
}

} // namespace moodsteer
