// Training of the ridge emotion head (RidgeEmotionHead) and its honest report: grouped k-fold
// cross-validation (an artist never in both train and test), leave-one-genre-out, and two
// baselines fitted on the same training folds (the dataset's mean; ridge on absolute loudness
// + tempo). Inside every training set, an inner grouped cross-validation picks the ridge
// penalty per dimension and the calibration of the output's spread, so the reported folds
// never see their test clips. Deterministic.
#pragma once

#include "core/emotion/EmotionPredictor.h"
#include "emotion/RidgeEmotionHead.h"

#include <array>
#include <string>
#include <vector>

namespace moodsteer {

class RidgeEmotionTrainer {
  public:
    /// `examples` must all have `featureSize` features per window (checked by the caller).
    RidgeEmotionTrainer(const std::vector<EmotionExample>& examples,
                        const EmotionTrainingOptions& options, int featureSize);

    /// Runs the protocols (filling report.protocols, folds and crossValidated), then fits the
    /// final head on every clip and adds the grouped folds' heads as ensemble members.
    RidgeEmotionHead train(EmotionTrainingReport& report) const;

    /// `clips` split into at most k folds that never split a group (EmotionExample::group, or
    /// the clip alone when it has none), largest groups first into the smallest fold.
    std::vector<std::vector<int>> groupFolds(const std::vector<int>& clips, int k,
                                             uint64_t seed) const;

  private:
    struct Standardisation {
        std::vector<double> mean, scale;
    };
    struct Fitted {
        RidgeEmotionHead::Member member;
        Standardisation standardisation;
        std::array<double, 2> lambda{0, 0};
        std::array<double, 2> slope{1, 1};
    };

    /// Weighted normal equations of the centred, standardised windows of `clips`.
    struct Normal {
        int n = 0;
        std::vector<double> gram;              ///< n x n
        std::array<std::vector<double>, 2> xy; ///< n each
        std::vector<double> zMean;
        std::array<double, 2> yMean{0, 0};
        double weight = 0; ///< sum of window weights (= number of clips, weighted)
    };

    Standardisation standardisation(const std::vector<int>& clips) const;
    Normal normal(const std::vector<int>& clips, const Standardisation& s) const;
    /// Ridge solution for one dimension, written into `m`.
    static void solve(const Normal& ne, double lambda, int dim, RidgeEmotionHead::Member& m);
    std::vector<std::array<double, 2>> predict(const RidgeEmotionHead::Member& m,
                                               const Standardisation& s,
                                               const std::vector<int>& clips) const;
    Fitted fitCalibrated(const std::vector<int>& clips, uint64_t seed) const;
    EmotionProtocolResult runProtocol(const std::string& name,
                                      const std::vector<std::vector<int>>& testFolds,
                                      std::vector<Fitted>* foldFits,
                                      std::vector<std::array<double, 2>>* predictions) const;
    static RidgeEmotionHead::Member rebase(const RidgeEmotionHead::Member& m,
                                           const Standardisation& from, const Standardisation& to);

    const std::vector<EmotionExample>& ex_;
    const EmotionTrainingOptions& o_;
    int featureSize_;
    std::vector<int> columns_;
    std::vector<std::string> datasets_; ///< in order of first appearance; [0] is the primary
};

} // namespace moodsteer
