// Agreement between target and predicted valence/arousal, as LARA-Gen reports it: CCC, PCC,
// RMSE and the error's mean and sigma, per dimension. Torch-free.
//
// Conventions (population statistics, divisor n, everywhere):
//   PCC  = cov(t, p) / (sd(t) sd(p));   0 when either series is constant (no NaN).
//   CCC  = 2 cov(t, p) / (var(t) + var(p) + (mean(t) - mean(p))^2), from the formula; it is 0
//          when one series is constant and the other is not; when both are constant the
//          denominator is (mean difference)^2: CCC = 0 if the means differ, 1 if the series
//          are identical (perfect agreement; the only 0/0 case).
//   RMSE = sqrt(mean((p - t)^2)); errorMean = mean(p - t); errorSigma = population sd(p - t).
// Fewer than 2 pairs, unequal lengths or non-finite values throw std::invalid_argument.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace moodsteer {

struct DimensionMetrics {
    double ccc = 0;
    double pcc = 0;
    double rmse = 0;
    double errorMean = 0;  ///< mean(predicted - target)
    double errorSigma = 0; ///< population standard deviation of (predicted - target)
    std::size_t n = 0;
};

struct EmotionMetrics {
    DimensionMetrics valence;
    DimensionMetrics arousal;
};

/// One valence/arousal pair on the 1..9 scale.
struct VaPoint {
    double valence = 5;
    double arousal = 5;
};

double concordanceCorrelation(std::span<const double> target, std::span<const double> predicted);
double pearsonCorrelation(std::span<const double> target, std::span<const double> predicted);
double rootMeanSquareError(std::span<const double> target, std::span<const double> predicted);

/// All metrics for one dimension. `dimension` names the data in error messages.
DimensionMetrics computeDimensionMetrics(std::span<const double> target,
                                         std::span<const double> predicted,
                                         const std::string& dimension = "values");

/// Metrics for valence and arousal over paired clips.
EmotionMetrics computeEmotionMetrics(const std::vector<VaPoint>& target,
                                     const std::vector<VaPoint>& predicted);

// ---- Scatter export (predicted vs target), for eval-emotion / bench-emotion --------------

struct EmotionScatterPoint {
    std::string name; ///< clip file or grid label
    VaPoint target;
    VaPoint predicted;
};

/// CSV with header name,target_valence,predicted_valence,target_arousal,predicted_arousal
/// (names quoted when needed). Atomic write; throws std::runtime_error naming `path`.
void writeEmotionScatterCsv(const std::string& path,
                            const std::vector<EmotionScatterPoint>& points);

/// A self-contained SVG: one panel per dimension, predicted vs target on the 1..9 scale, the
/// ideal line y = x, dashed lines at mean error +- sigma, CCC/PCC/RMSE in each panel's title.
/// Needs at least 2 points (the metrics' rule).
std::string emotionScatterSvg(const std::vector<EmotionScatterPoint>& points,
                              const std::string& title = "");
/// Writes emotionScatterSvg() atomically.
void writeEmotionScatterSvg(const std::string& path, const std::vector<EmotionScatterPoint>& points,
                            const std::string& title = "");

} // namespace moodsteer
