// The text-audio alignment score: a small contrastive text-audio model (CLAP objective) trained
// by `moodsteer-cli train-alignment` (docs/alignment.md). It embeds a prompt and a clip in one
// space; their cosine is the alignment score (-1..1, higher = the clip sounds more like the
// text), and zero-shot genre classification picks the genre whose text "{genre} music" is
// nearest. Torch-free (pimpl). Thread contract: const methods may be called from several
// threads at once (inference only, no state is changed).
#pragma once

#include "core/audio/AudioBuffer.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace moodsteer {

/// A dataset's genre label as a word the text encoder reads: lower case, "Hiphop" -> "hip hop",
/// "RnB" -> "rnb", "VG" -> "video game", "Film" -> "film score".
std::string alignmentGenreWord(const std::string& label);

class AlignmentModel {
  public:
    /// Reads a model written by the trainer (safetensors). Throws std::runtime_error with one
    /// line naming the file (missing, damaged, another kind of file, other features).
    static AlignmentModel load(const std::string& path);
    /// resources/alignment/alignment.safetensors (the shipped model).
    static std::string defaultPath();
    /// The text used for a genre in zero-shot classification: "{genre} music" (the genre word
    /// lower-cased as alignmentGenreWord gives it).
    static std::string genrePrompt(const std::string& genre);

    AlignmentModel(AlignmentModel&&) noexcept;
    AlignmentModel& operator=(AlignmentModel&&) noexcept;
    ~AlignmentModel();

    /// Unit-length embedding of a prompt (words outside the vocabulary count as unknown).
    std::vector<float> embedText(const std::string& text) const;
    /// Unit-length embedding of a clip: the mean of its windows' embeddings, renormalised.
    /// Throws std::invalid_argument like alignmentWindowFeatures.
    std::vector<float> embedAudio(const AudioBuffer& audio) const;
    /// The same from precomputed window features (alignmentWindowFeatures).
    std::vector<float> embedWindows(const std::vector<std::vector<float>>& windows) const;
    /// Cosine of the clip's and the prompt's embeddings.
    double score(const AudioBuffer& audio, const std::string& prompt) const;
    /// Cosine of an audio embedding to genrePrompt(g) for each genre.
    std::vector<double> genreScores(const std::vector<float>& audioEmbedding,
                                    const std::vector<std::string>& genres) const;
    /// Index into `genres` of the highest genre score.
    int zeroShotGenre(const std::vector<float>& audioEmbedding,
                      const std::vector<std::string>& genres) const;

    static double cosine(const std::vector<float>& a, const std::vector<float>& b);

    const std::string& path() const { return path_; }
    /// The file's metadata (what it was trained on and with, held-out recordings, figures).
    const std::map<std::string, std::string>& metadata() const { return metadata_; }
    /// The words the text encoder knows.
    const std::vector<std::string>& vocabulary() const { return vocabulary_; }

  private:
    AlignmentModel();
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::string path_;
    std::map<std::string, std::string> metadata_;
    std::vector<std::string> vocabulary_;
};

} // namespace moodsteer
