// The default Emotion Predictor head: ridge regressions on standardised window features, one
// per dimension, as an ensemble (member 0 trained on every clip, the others the grouped
// cross-validation's fold heads), each calibrated so that its output spreads like the ratings.
// The ensemble's spread plus the cross-validated error give each prediction an uncertainty;
// a shrunk Mahalanobis distance to the training windows gives the out-of-distribution score.
// Plain C++ (no LibTorch): 237 real clips need a model this small, and it solves in closed
// form. Immutable after construction: safe to share between threads.
#pragma once

#include <array>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace moodsteer {

class RidgeEmotionHead {
  public:
    struct Member {
        std::array<std::vector<double>, 2> weight; ///< per used column, on standardised input
        std::array<double, 2> bias{5, 5};          ///< calibration already folded in
    };
    struct Output {
        double valence = 5, arousal = 5;
        double valenceSpread = 0, arousalSpread = 0; ///< sd over the fold members
        double oodScore = 0;                         ///< distance / threshold
    };

    int featureSize = 0;
    std::vector<int> columns;               ///< used feature columns
    std::vector<double> mean, scale;        ///< standardisation of the used columns
    std::vector<Member> members;            ///< [0] final head, [1..] fold heads
    std::vector<double> precision;          ///< columns x columns, shrunk inverse correlation
    double oodThreshold = 1;                ///< distance at which the score reaches 1
    std::array<double, 2> residualSd{0, 0}; ///< cross-validated RMSE (valence, arousal)
    std::array<double, 2> targetMean{5, 5}; ///< of the training clips

    /// One window's raw features (featureSize values).
    Output predictWindow(std::span<const float> features) const;
    /// Standardised used columns of one window.
    std::vector<double> standardise(std::span<const float> features) const;
    /// Distance (not yet divided by the threshold) of standardised features.
    double distance(const std::vector<double>& z) const;

    /// safetensors (atomic): float64 tensors mean, scale, columns, precision, member.K.weight
    /// (2 x used), member.K.bias (2), stats; metadata as given plus the head kind.
    void save(const std::string& path, const std::map<std::string, std::string>& metadata) const;
    /// Throws std::runtime_error naming the file and tensor on a malformed file.
    static RidgeEmotionHead load(const std::string& path,
                                 std::map<std::string, std::string>* metadata);
};

} // namespace moodsteer
