// A steering vector: a unit-norm direction in one layer's residual stream that points to a
// class (a genre) or to higher valence/arousal, with the context it is valid in (model, layer,
// pooling, label set, method). Made from a probe row (mapped back to the raw activation space),
// from the difference of class means, or from a regression probe; its sign is checked on the
// data it was made from. Also the steering arithmetic itself, as pure functions the engine's
// decoder hook calls per position.
#pragma once

#include "core/probing/FeatureMatrix.h"
#include "core/probing/LinearProbe.h"
#include "core/probing/RegressionProbe.h"

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace moodsteer {

class SteeringError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// What to do when a direction points away from its class on the data it was made from.
enum class SignPolicy { Fail, Flip };

/// Where the activations came from: stored with the vector.
struct SteeringContext {
    std::string modelId;
    int layer = -1;
    std::string pooling = "mean"; ///< "mean" | "last"
    std::vector<std::string> labelSet;
};

struct SteeringVector {
    std::string modelId;
    int layer = -1;
    std::string pooling;
    std::string label;                 ///< the class, or "valence" / "arousal"
    std::vector<std::string> labelSet; ///< the classes the probe was trained on
    std::string method;                ///< "probe-softmax" | "probe-mse-onehot" |
                                       ///< "mean-difference" | "regression"
    std::vector<float> direction;      ///< unit norm, length = hidden size
    /// Sign check value at creation: (class mean - overall mean) . v (classes), or
    /// cov(x . v, target) (regression); > 0 after any flip.
    double signProjection = 0;
    bool flipped = false; ///< the raw direction pointed away and SignPolicy::Flip reversed it

    std::int64_t hiddenSize() const { return static_cast<std::int64_t>(direction.size()); }

    /// v = the probe's row for `classIndex` in the raw activation space (w_c / sigma),
    /// normalised. `x`/`labels` are the activations used for the sign check (the training set).
    static SteeringVector fromProbe(const LinearProbe& probe, int classIndex,
                                    const FeatureMatrix& x, std::span<const std::int64_t> labels,
                                    const SteeringContext& context,
                                    SignPolicy policy = SignPolicy::Fail);
    /// v = mean of class `classIndex` minus the mean of all other rows, normalised.
    static SteeringVector fromClassMeans(const FeatureMatrix& x,
                                         std::span<const std::int64_t> labels, int classIndex,
                                         const SteeringContext& context,
                                         SignPolicy policy = SignPolicy::Fail);
    /// v = the regression probe's raw-space weight vector, normalised; points to higher
    /// target values (checked: cov(x . v, target) > 0). `target` is "valence" or "arousal".
    static SteeringVector fromRegression(const RegressionProbe& probe, const FeatureMatrix& x,
                                         std::span<const float> targets, const std::string& target,
                                         const SteeringContext& context,
                                         SignPolicy policy = SignPolicy::Fail);

    /// Safetensors: tensor "direction" F32 [D]; context in __metadata__. Atomic write.
    void save(const std::string& path) const;
    /// Throws SteeringError naming the file for a malformed file or a non-unit direction, and,
    /// when `expectedModelId` is non-empty, for a vector made for another model.
    static SteeringVector load(const std::string& path, const std::string& expectedModelId = "");
    /// Throws SteeringError when the vector does not fit the loaded model ("vector was made for
    /// model X, the loaded model is Y", or the hidden sizes differ).
    void checkCompatible(const std::string& loadedModelId, std::int64_t loadedHiddenSize) const;
};

/// One vector's contribution: h += alpha * ||h|| * unitDirection.
struct SteeringTerm {
    const float* unitDirection = nullptr;
    double alpha = 0;
};

/// h <- h + alpha * ||h|| * v, then rescaled to the original ||h|| (per position). The public
/// code of the paper divides by (1 + alpha) instead, which keeps the norm only when h and v
/// are parallel. Leaves h unchanged when ||h|| = 0 or the sum vanishes. Real-time safe (no
/// allocation, no exceptions).
void applySteering(float* h, int dim, const float* unitDirection, double alpha);
/// Several vectors at once: h <- h + ||h|| * sum_i alpha_i v_i, then renormalised to ||h||.
void applySteering(float* h, int dim, std::span<const SteeringTerm> terms);
/// The same on `count` consecutive positions of width `dim` (e.g. the conditional half of a
/// [B, T, D] residual, flattened).
void applySteeringRows(float* rows, std::int64_t count, int dim,
                       std::span<const SteeringTerm> terms);

} // namespace moodsteer
