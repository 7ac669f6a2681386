// A genre score for audio, for the steering benchmark: a softmax probe (LinearProbe.h) on the
// clip-mean of the "dsp" feature encoder's frame features (tempo excluded, so that the genre
// score and the tempo measurement stay separate), trained on corpus pieces of the embedded
// model's domain (Composer pieces rendered by SynthCodec in memory; no files). Also the tempo
// of a clip from the same encoder. Torch-free; deterministic for a seed.
#pragma once

#include "core/AudioBuffer.h"
#include "core/LinearProbe.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace moodsteer {

struct GenreScorerOptions {
    int piecesPerGenre = 24;
    double seconds = 6.0;
    std::uint64_t seed = 1;
    double testFraction = 0.25; ///< held-out share for the reported accuracy
};

class GenreScorer {
  public:
    /// Composes piecesPerGenre pieces of every Composer genre at random (valence, arousal),
    /// renders them, trains on a stratified split and reports held-out accuracy, then retrains
    /// on all pieces. `progress(done, total)` after each rendered piece.
    static GenreScorer trainOnCorpus(const GenreScorerOptions& options = {},
                                     const std::function<void(int, int)>& progress = {});

    const std::vector<std::string>& genres() const { return genres_; }
    double heldOutAccuracy() const { return heldOutAccuracy_; }
    /// Softmax probabilities over genres() for a clip (any sample rate, >= the encoder's
    /// minimum length). Throws std::invalid_argument for a too-short clip.
    std::vector<double> probabilities(const AudioBuffer& audio) const;
    /// Index of `genre` in genres(); throws std::invalid_argument naming the choices.
    int genreIndex(const std::string& genre) const;
    /// Tempo estimate (BPM) of the dsp encoder, mean over the clip's frames.
    static double tempoBpm(const AudioBuffer& audio);

  private:
    std::vector<float> features(const AudioBuffer& audio) const;
    std::vector<std::string> genres_;
    std::vector<int> featureIndex_; ///< dsp features used (all but tempo)
    LinearProbe probe_;
    double heldOutAccuracy_ = 0;
};

} // namespace moodsteer
