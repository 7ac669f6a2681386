// Makes a steering vector from an activation-set file (ActivationSet.h): one layer is loaded,
// then the direction comes from a softmax probe, the paper's MSE-on-one-hot probe, the
// difference of class means, or (label "valence"/"arousal") a ridge regression probe on the
// set's emotion values. The vector carries the set's model id, the layer and the pooling.
#pragma once

#include "core/steering/SteeringVector.h"

#include <string>

namespace moodsteer {

struct SteeringMakeOptions {
    std::string label;            ///< a class of the set, or "valence" / "arousal"
    int layer = -1;               ///< required, in [0, num_layers)
    std::string method = "probe"; ///< "probe" (softmax) | "probe-mse" | "means"; ignored
                                  ///< for valence/arousal (always the regression probe)
    double l2 = -1;               ///< < 0: the probe's default (1e-3 class, 1e-2 regression)
    SignPolicy sign = SignPolicy::Fail;
};

/// Throws SteeringError / ActivationSetError naming the file, label (with the choices) or
/// layer, and std::invalid_argument for an unknown method.
SteeringVector makeSteeringVector(const std::string& activationsPath,
                                  const SteeringMakeOptions& options);

} // namespace moodsteer
