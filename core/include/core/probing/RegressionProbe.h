// A ridge-regression probe for a continuous label (valence or arousal) on standardised
// activations, with the scores used to judge it (R^2, Lin's concordance CCC, Pearson r).
// Its direction in the raw activation space is the signed emotion-steering direction.
#pragma once

#include "core/emotion/EmotionMetrics.h" // concordanceCorrelation, pearsonCorrelation

#include "core/probing/FeatureMatrix.h"
#include "core/probing/LinearProbe.h"

#include <cstdint>
#include <span>
#include <vector>

namespace moodsteer {

class RegressionProbe {
  public:
    /// Minimises (1/N) sum (w.z_i + b - y_i)^2 + l2 ||w||^2 exactly (closed form). Throws
    /// std::invalid_argument for a length mismatch, non-finite targets or l2 <= 0.
    static RegressionProbe train(const FeatureMatrix& x, std::span<const float> targets,
                                 double l2 = 1e-2);

    double predict(const float* x) const;
    std::vector<double> predict(const FeatureMatrix& x) const;

    std::int64_t inputSize() const { return static_cast<std::int64_t>(mean_.size()); }
    const std::vector<double>& featureMean() const { return mean_; }
    const std::vector<double>& featureScale() const { return scale_; }
    const std::vector<double>& weights() const { return weights_; } ///< standardised space
    double bias() const { return bias_; }
    /// d prediction / d raw activation = w / sigma (element-wise); points to higher values.
    std::vector<double> inputSpaceDirection() const;

  private:
    std::vector<double> mean_, scale_, weights_;
    double bias_ = 0;
};

/// 1 - SS_res / SS_tot; for constant targets 1 when exact, else 0 (sklearn r2_score).
double rSquared(std::span<const double> truth, std::span<const double> predicted);

struct RegressionEvaluation {
    double r2 = 0;
    double ccc = 0;
    double pearson = 0;
    std::int64_t heldOut = 0;
};

/// Held-out evaluation with the same stratified split (or k-fold) as the class probe, so that
/// the class balance of train and test matches; `strata` are the class labels.
RegressionEvaluation evaluateRegression(const FeatureMatrix& x, std::span<const float> targets,
                                        std::span<const std::int64_t> strata, double l2,
                                        const SplitOptions& split);

} // namespace moodsteer
