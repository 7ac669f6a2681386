// LARA-Gen's Emotion Predictor: audio -> non-overlapping windows of W seconds -> encoder
// features mean-pooled per window -> 3-layer MLP head -> (valence, arousal) per window on the
// 1..9 scale; the clip's prediction is the mean over its windows. Also its training (CCC loss,
// AdamW, validation split with early stopping, k-fold cross-validation) and the labels.csv
// reader. Torch-free (pimpl); the LibTorch head lives in models/EmotionHead.h.
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
    double valence = 5;
    double arousal = 5;
};

struct ClipPrediction {
    double valence = 5; ///< mean over windows
    double arousal = 5;
    std::vector<WindowPrediction> windows; ///< for a timeline plot
};

/// One clip's features: one mean-pooled vector per window, with the window's span.
struct WindowedFeatures {
    std::vector<std::vector<float>> features;
    std::vector<double> startSeconds, endSeconds;
};

/// Splits `audio` into non-overlapping windows of `windowSeconds`: floor(d / W) full windows,
/// plus the remainder when it is at least W / 2; a clip shorter than W is one window. Each
/// window is encoded on its own and mean-pooled. Throws std::invalid_argument for a silent
/// clip (peak below -100 dBFS), non-finite samples, or a clip too short for the encoder.
WindowedFeatures poolWindows(const AudioFeatureEncoder& encoder, const AudioBuffer& audio,
                             double windowSeconds);

/// What a head file expects (from its metadata).
struct EmotionHeadInfo {
    std::string encoder; ///< "dsp" | "mert"
    int layer = -1;
    double windowSeconds = 5;
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

    EmotionPredictor(EmotionPredictor&&) noexcept;
    EmotionPredictor& operator=(EmotionPredictor&&) noexcept;
    ~EmotionPredictor();

    /// Clip and per-window predictions (see poolWindows for the windowing and the errors).
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
};

/// Reads `csvPath`: a header row naming at least the columns file, valence and arousal (any
/// order, case-insensitive, other columns ignored); RFC 4180 quoting allowed. Values must be
/// finite and within 1..9. Throws std::runtime_error naming the file and line.
std::vector<EmotionLabel> readEmotionLabels(const std::string& csvPath);

struct EmotionExample {
    std::string name;
    WindowedFeatures features;
    VaPoint target;
};

struct EmotionTrainingOptions {
    double windowSeconds = 5.0;
    double learningRate = 1e-4; ///< AdamW, as in LARA-Gen
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

struct EmotionTrainingReport {
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
    std::shared_ptr<const AudioFeatureEncoder> encoder_;
    EmotionTrainingOptions options_;
};

} // namespace moodsteer
