// The project's one DSP genre classifier: bench-emotion's "genre follows the prompt" check and
// the steering benchmark's target-genre score. A softmax linear probe (core/probing/LinearProbe.h)
// on the per-clip mean and standard deviation of the embedded DSP encoder's frame features, trained
// on SynthCodec-rendered Composer pieces of each genre (the procedural corpus' music). Torch-free;
// deterministic for a seed.
#pragma once

#include "core/audio/AudioBuffer.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace moodsteer {

struct GenreTrainingOptions {
    std::vector<std::string> genres; ///< empty: Composer::genres()
    int piecesPerGenre = 24;         ///< Composer pieces rendered per genre
    double seconds = 8.0;            ///< length of each piece
    std::uint64_t seed = 20261122;   ///< piece seeds and their (valence, arousal), uniform 1..9
    double l2 = 1e-2;                ///< probe weight decay
    /// Leave the tempo feature out, so that a genre score says nothing about tempo (the
    /// steering benchmark measures tempo separately).
    bool excludeTempo = false;
    /// > 0: also measure accuracy on a stratified held-out split of this share of the pieces
    /// (heldOutAccuracy()); the classifier itself is then trained on all pieces.
    double testFraction = 0;
};

/// Per-clip feature vector: mean and population standard deviation over frames of the "dsp"
/// encoder's 55 features (110 values). Throws std::invalid_argument like the encoder
/// (empty, too short, non-finite audio).
/// With `excludeTempo` the tempo feature's mean and spread are left out (108 values).
std::vector<float> genreFeatureVector(const AudioBuffer& audio, bool excludeTempo = false);
/// Tempo (BPM) of a clip: the dsp encoder's tempo_bpm feature, mean over frames.
double clipTempoBpm(const AudioBuffer& audio);

class GenreClassifier {
  public:
    /// Trains on given feature vectors (rows of genreFeatureVector) with class indices into
    /// `genres`. Throws std::invalid_argument for mismatched sizes or fewer than two genres.
    static GenreClassifier train(const std::vector<std::vector<float>>& features,
                                 const std::vector<std::int64_t>& labels,
                                 const std::vector<std::string>& genres, double l2 = 1e-2,
                                 bool excludeTempo = false);
    /// Composes, renders and featurises pieces per genre, then trains. `progress(done, total)`
    /// may be empty; a set `cancel` throws std::runtime_error("cancelled").
    static GenreClassifier trainOnComposer(const GenreTrainingOptions& options,
                                           const std::function<void(int, int)>& progress = {},
                                           const std::atomic<bool>* cancel = nullptr);
    /// Loads `cachePath` when it exists and was trained with the same options, else trains on
    /// the composer and writes the cache (atomically; "" = no cache).
    static GenreClassifier loadOrTrain(const std::string& cachePath,
                                       const GenreTrainingOptions& options,
                                       const std::function<void(int, int)>& progress = {},
                                       const std::atomic<bool>* cancel = nullptr);

    /// JSON file (atomic). Throws std::runtime_error naming the file.
    void save(const std::string& path) const;
    static GenreClassifier load(const std::string& path);

    /// The feature vector this classifier reads (genreFeatureVector with its tempo choice).
    std::vector<float> features(const AudioBuffer& audio) const;
    /// Index into genres() of the most likely genre.
    int classify(const std::vector<float>& features) const;
    std::string classify(const AudioBuffer& audio) const;
    /// Class scores (logits) for one feature vector.
    std::vector<double> scores(const std::vector<float>& features) const;
    /// Softmax probabilities over genres() for a clip (any rate, at least the encoder's
    /// minimum length; shorter clips throw std::invalid_argument).
    std::vector<double> probabilities(const AudioBuffer& audio) const;
    /// Index of `genre` in genres(); throws std::invalid_argument naming the choices.
    int genreIndex(const std::string& genre) const;

    const std::vector<std::string>& genres() const { return genres_; }
    /// What it was trained with ("" fields when trained from raw features).
    const std::string& trainingDescription() const { return description_; }
    /// Accuracy on its own training pieces (a sanity value, not a generalisation figure).
    double trainingAccuracy() const { return trainingAccuracy_; }
    /// Accuracy on held-out pieces (GenreTrainingOptions::testFraction); NaN when not measured.
    double heldOutAccuracy() const { return heldOutAccuracy_; }
    bool excludesTempo() const { return excludeTempo_; }

  private:
    std::vector<std::string> genres_;
    std::vector<double> mean_, scale_, weights_, bias_; ///< probe in the standardised space
    std::string description_;
    double trainingAccuracy_ = 0;
    double heldOutAccuracy_ = std::numeric_limits<double>::quiet_NaN();
    bool excludeTempo_ = false;
};

} // namespace moodsteer
