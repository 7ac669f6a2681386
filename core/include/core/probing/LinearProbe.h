// Linear classification probes on standardised activations: the class a layer's activations
// encode is "linearly readable" when a held-out linear probe recovers it.
//  - Softmax: multinomial logistic regression, mean cross-entropy + (l2/2)||W||^2, trained
//    full-batch with L-BFGS.
//  - MseOneHot: the activation-steering paper's variant: a linear map trained with mean squared
//    error against one-hot targets (correct one-hot rows; the paper's public code broadcast
//    the class index instead), + l2 ||W||^2. Its minimum is a ridge regression, solved exactly.
// Features are standardised with the training rows' mean and standard deviation, stored in the
// probe; inputSpaceDirection() maps a class row back to the raw activation space.
#pragma once

#include "core/probing/FeatureMatrix.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace moodsteer {

enum class ProbeKind { Softmax, MseOneHot };
/// "softmax" | "mse-onehot".
const char* probeKindName(ProbeKind kind);
/// Inverse of probeKindName; throws std::invalid_argument naming the value.
ProbeKind probeKindFromName(const std::string& name);

struct ProbeOptions {
    ProbeKind kind = ProbeKind::Softmax;
    double l2 = 1e-3;                ///< weight decay on W (not on the bias); MseOneHot needs > 0
    int maxIterations = 500;         ///< L-BFGS iterations (Softmax)
    double gradientTolerance = 1e-6; ///< stop when the gradient's max-norm falls below
};

class LinearProbe {
  public:
    /// `labels` are class indices in [0, numClasses). Throws std::invalid_argument for a
    /// length mismatch, an out-of-range label, or fewer than two rows.
    static LinearProbe train(const FeatureMatrix& x, std::span<const std::int64_t> labels,
                             int numClasses, const ProbeOptions& options = {});

    ProbeKind kind() const { return kind_; }
    int numClasses() const { return numClasses_; }
    std::int64_t inputSize() const { return static_cast<std::int64_t>(mean_.size()); }

    /// Raw outputs for one raw (unstandardised) activation row: logits (Softmax) or one-hot
    /// regression outputs (MseOneHot).
    std::vector<double> scores(const float* x) const;
    std::int64_t predict(const float* x) const;
    std::vector<std::int64_t> predict(const FeatureMatrix& x) const;

    const std::vector<double>& featureMean() const { return mean_; }
    /// Per-feature standard deviation of the training rows (1 for constant features).
    const std::vector<double>& featureScale() const { return scale_; }
    /// numClasses x inputSize, row-major, in the standardised space.
    const std::vector<double>& weights() const { return weights_; }
    const std::vector<double>& bias() const { return bias_; }
    /// Gradient of class `cls`'s score with respect to the raw activation: w_c / sigma
    /// (element-wise). Not normalised.
    std::vector<double> inputSpaceDirection(int cls) const;

    int iterations() const { return iterations_; }
    double trainingLoss() const { return loss_; }

  private:
    ProbeKind kind_ = ProbeKind::Softmax;
    int numClasses_ = 0;
    std::vector<double> mean_, scale_, weights_, bias_;
    int iterations_ = 0;
    double loss_ = 0;
};

struct TrainTestSplit {
    std::vector<std::int64_t> train;
    std::vector<std::int64_t> test;
};

/// Per class, a seeded shuffle puts round(testFraction x count) rows (at least one when the
/// class has two or more) into the test set. Indices come back sorted.
TrainTestSplit stratifiedSplit(std::span<const std::int64_t> labels, double testFraction,
                               std::uint64_t seed);
/// Stratified k-fold: each class's shuffled rows are dealt round-robin to the folds; fold f is
/// the test set of split f. Throws std::invalid_argument for folds < 2 or > number of rows.
std::vector<TrainTestSplit> stratifiedKFold(std::span<const std::int64_t> labels, int folds,
                                            std::uint64_t seed);

/// C x C counts, row = true class, column = predicted class.
std::vector<std::int64_t> confusionMatrix(std::span<const std::int64_t> truth,
                                          std::span<const std::int64_t> predicted, int numClasses);

struct SplitOptions {
    double testFraction = 0.25; ///< used when folds == 0
    int folds = 0;              ///< >= 2: stratified k-fold, every row predicted once
    std::uint64_t seed = 0;
};

struct ProbeEvaluation {
    double accuracy = 0;                 ///< on held-out rows only
    std::vector<std::int64_t> confusion; ///< numClasses x numClasses over held-out rows
    int numClasses = 0;
    std::int64_t heldOut = 0; ///< number of held-out predictions
};

/// Trains on the training rows of each split and scores the held-out rows.
ProbeEvaluation evaluateProbe(const FeatureMatrix& x, std::span<const std::int64_t> labels,
                              int numClasses, const ProbeOptions& probe, const SplitOptions& split);

} // namespace moodsteer
