// LARA-Gen's Emotion Predictor: audio -> integrated-loudness normalisation (EBU R128, so the
// volume knob cannot change a prediction) -> overlapping windows of W seconds (hop H) ->
// encoder features mean-pooled per window -> head -> (valence, arousal) per window on the 1..9
// scale, smoothed over neighbouring windows; the clip's prediction is the mean of its windows.
// Two heads: "ridge" (default: an ensemble of ridge regressions, the final one and the
// cross-validation fold heads, calibrated, with an uncertainty per prediction and an
// out-of-distribution score) and LARA-Gen's "mlp" (3-layer MLP, CCC loss). Also the training
// (grouped cross-validation, leave-one-genre-out, baselines) and the labels.csv reader.
// Torch-free (pimpl); the LibTorch MLP lives in models/EmotionHead.h.
#pragma once

#include "core/audio/AudioBuffer.h"
#include "core/emotion/AudioFeatureEncoder.h"
#include "core/emotion/EmotionMetrics.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace moodsteer {

struct WindowPrediction {
    double startSeconds = 0;
    double endSeconds = 0;
    double valence = 5; ///< smoothed over the neighbouring windows (1-2-1)
    double arousal = 5;
    double valenceSd = 0; ///< one standard deviation of the expected error (0: unknown)
    double arousalSd = 0;
    double oodScore = 0; ///< distance from the training windows (1 = the flag's threshold)
};

/// Flags a prediction may carry (ClipPrediction::flags).
inline constexpr const char* kFlagSilent = "silent";
inline constexpr const char* kFlagOutOfDistribution = "out-of-distribution";
inline constexpr const char* kFlagShort = "shorter-than-window";

struct ClipPrediction {
    double valence = 5; ///< mean over windows
    double arousal = 5;
    double valenceSd = 0; ///< one standard deviation of the expected error (0: unknown)
    double arousalSd = 0;
    double oodScore = 0;                   ///< median over windows; > 1 means out of distribution
    bool outOfDistribution = false;        ///< features far from anything the head was trained on
    bool valencePredictable = true;        ///< false: the head does not beat the mean baseline
    bool arousalPredictable = true;        ///< on this dimension; show no number for it
    std::vector<std::string> flags;        ///< kFlag... values
    std::string head;                      ///< which head judged (one line)
    std::vector<WindowPrediction> windows; ///< for a timeline plot
};

/// One clip's features: one mean-pooled vector per window, with the window's span.
struct WindowedFeatures {
    std::vector<std::vector<float>> features;
    std::vector<double> startSeconds, endSeconds;
    /// The clip's integrated loudness before normalisation (LUFS; the only absolute level
    /// known, used by the loudness + tempo baseline, never a feature) and its tempo (BPM).
    double integratedLufs = 0;
    double tempoBpm = 0;
};

/// Normalises `audio` to LoudnessMeter::kReferenceLufs, then cuts windows of `windowSeconds`
/// every `hopSeconds` (0: hop = window): starts 0, H, 2H, ... while a full window fits, plus a
/// last window ending at the clip's end when at least H / 2 is left over; a clip shorter than
/// W is one window. Each window is encoded on its own and mean-pooled. Throws
/// std::invalid_argument for a silent clip (peak below -100 dBFS or loudness below -70 LUFS),
/// non-finite samples, or a clip too short for the encoder.
WindowedFeatures poolWindows(const AudioFeatureEncoder& encoder, const AudioBuffer& audio,
                             double windowSeconds, double hopSeconds = 0);

/// True when `audio` is silent in poolWindows' sense.
bool isSilent(const AudioBuffer& audio);

/// What a head file expects (from its metadata).
struct EmotionHeadInfo {
    std::string kind = "mlp"; ///< "ridge" | "mlp"
    std::string encoder;      ///< "dsp" | "mert"
    int layer = -1;
    std::vector<float> layerWeights; ///< mert, layer kMertWeightedLayers: layers 0..N
    double windowSeconds = 5;
    double hopSeconds = 5;
    int members = 1; ///< ensemble size (ridge: the final head + the fold heads)
    bool valencePredictable = true, arousalPredictable = true;
    int featureSize = 0;
    int hiddenSize = 0;
    std::map<std::string, std::string> metadata; ///< everything, training summary included
};

class EmotionPredictor {
  public:
    /// Loads a head and creates the encoder it names (`modelDir`: the MERT folder, for mert
    /// heads). Throws naming the file on a malformed head.
    static EmotionPredictor load(const std::string& headPath, const std::string& modelDir = "");
    /// Loads a head for an existing encoder; throws std::invalid_argument, naming both, when
    /// the head was trained on another encoder, layer or feature size.
    static EmotionPredictor load(const std::string& headPath,
                                 std::shared_ptr<const AudioFeatureEncoder> encoder);
    /// Reads only a head file's expectations (encoder, layer, window, sizes).
    static EmotionHeadInfo readInfo(const std::string& headPath);
    /// One line naming the head: kind, encoder, data, cross-validated figures.
    static std::string describe(const EmotionHeadInfo& info);

    EmotionPredictor(EmotionPredictor&&) noexcept;
    EmotionPredictor& operator=(EmotionPredictor&&) noexcept;
    ~EmotionPredictor();

    /// Clip and per-window predictions (see poolWindows for the windowing and the errors). A
    /// silent clip is not an error here: it gets the training mean, flags silent and
    /// out-of-distribution and an uncertainty spanning the scale.
    ClipPrediction predict(const AudioBuffer& audio) const;
    /// Predictions from already pooled features (for training, evaluation, benchmarks).
    ClipPrediction predict(const WindowedFeatures& features) const;

    const EmotionHeadInfo& info() const;
    const AudioFeatureEncoder& encoder() const;
    std::shared_ptr<const AudioFeatureEncoder> sharedEncoder() const;
    /// Writes the head (safetensors, atomic) with its metadata plus `extraMetadata`.
    void save(const std::string& path,
              const std::map<std::string, std::string>& extraMetadata = {}) const;

    struct Impl; ///< opaque (LibTorch inside)

  private:
    friend class EmotionTrainer;
    explicit EmotionPredictor(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

/// One row of labels.csv.
struct EmotionLabel {
    std::string file; ///< as written in the CSV (relative to the CSV's folder)
    VaPoint target;
    std::string genre;  ///< optional column "genre" (leave-one-genre-out)
    std::string artist; ///< optional column "artist" (grouped cross-validation)
};

/// Reads `csvPath`: a header row naming at least the columns file, valence and arousal (any
/// order, case-insensitive, other columns ignored except the optional genre and artist); RFC
/// 4180 quoting allowed. Values must be finite and within 1..9. Throws std::runtime_error
/// naming the file and line.
std::vector<EmotionLabel> readEmotionLabels(const std::string& csvPath);

struct EmotionExample {
    std::string name;
    WindowedFeatures features;
    VaPoint target;
    std::string dataset = "data"; ///< figures are reported per dataset
    std::string group;            ///< clips of one group (artist) stay in one fold; "" = own
    std::string genre;            ///< leave-one-genre-out folds; "" = always trained on
    double weight = 1;            ///< per-dataset weight of the clip in training
};

struct EmotionTrainingOptions {
    std::string head = "ridge"; ///< "ridge" (ensemble, calibrated, uncertainty) or "mlp"
    double windowSeconds = 5.0;
    double hopSeconds = 0; ///< 0: half the window (ridge) / the window (mlp)
    /// Ridge: penalties tried by the inner grouped cross-validation (per dimension).
    std::vector<double> ridgeLambdas{0.3, 1, 3, 10, 30, 100, 300, 1000, 3000};
    /// Ridge calibration of the output scale: "ccc" (spread matched to the targets', the
    /// CCC-optimal slope), "rmse" (least squares, shrinks toward the mean), "balanced"
    /// (geometric mean of the two slopes) or "none".
    std::string calibration = "balanced";
    bool leaveOneGenreOut = true;      ///< ridge: also report leave-one-genre-out
    std::vector<int> excludedFeatures; ///< ridge: columns left out (ablation)
    double learningRate = 1e-4;        ///< AdamW, as in LARA-Gen
    double weightDecay = 1e-5;
    int epochs = 300;   ///< upper bound; early stopping usually ends sooner
    int patience = 30;  ///< epochs without a better validation loss before stopping
    int batchSize = 32; ///< windows per step (CCC needs a batch to be meaningful)
    int hiddenSize = 256;
    double dropout = 0.1;
    double validationFraction = 0.15; ///< of the training clips, for early stopping
    int folds = 5;                    ///< k of the cross-validation report (0 or 1: none)
    uint64_t seed = 1234;
    /// Progress lines (epochs, folds); may be empty.
    std::function<void(const std::string&)> log;
};

struct EmotionFoldResult {
    int fold = 0;
    int trainClips = 0, testClips = 0;
    int epochs = 0;
    EmotionMetrics metrics; ///< clip level, on the held-out fold
};

/// Clip-level figures on one dataset under one protocol, beside the two baselines (trained on
/// the same training folds): the mean of the dataset's training targets, and ridge on the
/// clip's absolute integrated loudness + tempo.
struct EmotionDatasetScore {
    std::string dataset;
    int clips = 0;
    EmotionMetrics model, meanBaseline, loudnessTempoBaseline;
};

struct EmotionProtocolResult {
    std::string name; ///< "grouped-5-fold", "leave-one-genre-out"
    int folds = 0;
    std::vector<EmotionDatasetScore> datasets;
};

struct EmotionTrainingReport {
    std::vector<EmotionProtocolResult> protocols; ///< ridge only
    std::vector<EmotionFoldResult> folds;
    /// Pooled over every held-out clip of the k folds (valid when folds is non-empty).
    EmotionMetrics crossValidated;
    std::vector<std::string> cvNames;
    std::vector<VaPoint> cvTargets, cvPredictions;
    /// The final model (trained on all clips): per-epoch losses, epochs run, best val loss.
    std::vector<double> trainLoss, validationLoss;
    int epochs = 0;
    double bestValidationLoss = 0;
};

class EmotionTrainer {
  public:
    EmotionTrainer(std::shared_ptr<const AudioFeatureEncoder> encoder,
                   EmotionTrainingOptions options);

    /// Pools one labelled clip's windows with the trainer's encoder and window length.
    EmotionExample prepare(const std::string& name, const AudioBuffer& audio, VaPoint target) const;

    /// k-fold cross-validation (clips split into folds, each fold held out once) followed by
    /// the final model trained on every clip; both with the validation split and early
    /// stopping. Throws std::invalid_argument when there are too few clips (< 2 per fold, or
    /// < 4 in all).
    EmotionPredictor train(const std::vector<EmotionExample>& examples,
                           EmotionTrainingReport* report = nullptr) const;

    const EmotionTrainingOptions& options() const { return options_; }

  private:
    EmotionPredictor trainRidge(const std::vector<EmotionExample>& examples,
                                EmotionTrainingReport* report) const;

    std::shared_ptr<const AudioFeatureEncoder> encoder_;
    EmotionTrainingOptions options_;
};

} // namespace moodsteer
