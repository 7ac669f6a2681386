// A random unit steering vector for tests (Gaussian direction, normalised), so steering tests
// need no trained probe. Core tests only (includes core/steering/SteeringVector.h).
#pragma once

#include "core/steering/SteeringVector.h"

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace moodsteer::test {

inline SteeringVector randomSteeringVector(const std::string& modelId, int dim, int layer,
                                           std::uint64_t seed, const std::string& label,
                                           std::vector<std::string> labelSet = {"a", "b"}) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> n;
    SteeringVector v;
    v.modelId = modelId;
    v.layer = layer;
    v.pooling = "mean";
    v.label = label;
    v.labelSet = std::move(labelSet);
    v.method = "mean-difference";
    v.signProjection = 1;
    double norm = 0;
    for (int i = 0; i < dim; ++i) {
        v.direction.push_back(static_cast<float>(n(rng)));
        norm += double(v.direction.back()) * v.direction.back();
    }
    for (auto& x : v.direction)
        x = static_cast<float>(x / std::sqrt(norm));
    return v;
}

} // namespace moodsteer::test
