// bench-emotion: does generation follow the emotion target? Clips are generated over a grid of
// (valence, arousal) targets, with the model's AV conditioning or with LARA-Gen's text
// baseline ("Generate a [word] music.", the nearest emotion word, no AV), each clip's emotion
// is predicted by the Emotion Predictor, and target vs prediction is scored with LARA-Gen's
// Table-1 metrics (CCC, PCC, RMSE per dimension). Also: how often a genre classifier
// recognises the prompted genre, and simple "is it music" measures (silent clips, RMS, bar
// repetition of the tokens vs the procedural corpus), and, with the text-audio alignment model
// (core/alignment/AlignmentModel.h), the cosine of each clip to its prompt and the genre the
// alignment model hears (zero-shot), beside the DSP genre classifier's. Torch-free; the studio runs
// it with a progress callback and a cancel flag.
#pragma once

#include "core/emotion/EmotionMetrics.h"
#include "core/engine/MusicEngine.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace moodsteer {

class AlignmentModel;
class EmotionPredictor;
class GenreClassifier;

struct EmotionBenchmarkOptions {
    int gridValence = 5; ///< points along valence, evenly over 1..9 (5 -> 1, 3, 5, 7, 9)
    int gridArousal = 5;
    /// Prompted genres; empty: the model's genres (ModelInfo::genres), or one genre-less
    /// prompt when the model names none.
    std::vector<std::string> genres;
    int clipsPerPoint = 1; ///< clips per grid point and genre
    double seconds = 10.0;
    std::uint64_t seed = 1; ///< clip i gets seed + i (the same in both conditionings)
    bool textBaseline = false;
    /// AV conditioning's prompt: "{genre}" is replaced by the genre, "{word}" by the mood word
    /// nearest to the target (EmotionLexicon::nearestMood). Without a genre: "music".
    std::string promptTemplate = "{genre} music";
    double guidance = 3.0;
    std::optional<double> emotionGuidance; ///< as Recipe::emotionGuidance (AV conditioning)
    int topK = 250;                        ///< as Recipe::topK
    double temperature = 1.0;              ///< as Recipe::temperature
    double silenceRms = 1e-3;              ///< a clip below this RMS (-60 dBFS) counts as silent
    int corpusReferencePieces = 32;        ///< Composer pieces for the corpus bar-repetition value
};

struct EmotionBenchmarkClip {
    std::string genre; ///< "" when prompted without a genre
    std::string word;  ///< text baseline: the emotion word
    std::string prompt;
    VaPoint target;
    std::uint64_t seed = 0;
    bool predicted = false; ///< false: generation or prediction failed (see error)
    VaPoint prediction;
    std::string error;
    double rms = 0;
    bool silent = false;
    double barRepetition = -1;   ///< see barRepetition(); -1 when the clip is too short
    std::string recognisedGenre; ///< "" without a classifier
    /// Alignment model: cosine of the clip to its prompt (NaN when not measured: no model, a
    /// silent clip) and its zero-shot genre ("" when not measured).
    double alignment = std::numeric_limits<double>::quiet_NaN();
    std::string alignedGenre;
    double generationSeconds = 0;
};

/// What the alignment model says about one clip.
struct EmotionBenchmarkAlignment {
    double promptScore = 0; ///< cosine of the clip to its prompt
    std::string genre;      ///< zero-shot genre ("" when the clip was prompted without one)
};

struct EmotionBenchmarkJob {
    EmotionBenchmarkClip clip;
    Recipe recipe;
};

struct EmotionBenchmarkReport {
    bool textBaseline = false;
    bool cancelled = false;
    std::vector<EmotionBenchmarkClip> clips;
    int predictedClips = 0;
    bool hasMetrics = false; ///< at least two clips predicted
    EmotionMetrics metrics;
    bool hasGenreAccuracy = false;
    double genreAccuracy = 0;                      ///< over clips with a recognisable genre
    std::map<std::string, double> genreAccuracyBy; ///< per prompted genre
    /// Alignment model (hooks.align): mean clip-to-prompt cosine over the non-silent clips,
    /// and the share of prompted genres its zero-shot guess recognises (silent clips: misses).
    bool hasAlignment = false;
    int alignedClips = 0;
    double meanAlignment = 0;
    std::map<std::string, double> meanAlignmentBy; ///< per prompted genre
    bool hasAlignmentGenreAccuracy = false;
    double alignmentGenreAccuracy = 0;
    std::map<std::string, double> alignmentGenreAccuracyBy;
    double silentFraction = 0;       ///< over generated clips
    double meanRms = 0;              ///< over generated clips
    double meanBarRepetition = -1;   ///< over clips where it is defined
    double corpusBarRepetition = -1; ///< the procedural corpus' value (SynthCodec models)
    double generationSeconds = 0;    ///< total
    double audioSeconds = 0;         ///< total generated

    /// Predicted clips as scatter points (name: "v=.. a=.. genre #seed").
    std::vector<EmotionScatterPoint> scatter() const;
};

/// n values evenly from 1 to 9 (n = 1: {5}). Throws std::invalid_argument for n < 1.
std::vector<double> emotionGridValues(int n);
/// "5x5" -> {5, 5} (valence x arousal). Throws std::invalid_argument naming the text.
std::pair<int, int> parseEmotionGrid(const std::string& text);
/// "Generate a [word] music." (LARA-Gen's baseline; "a [word] [genre] music" with a genre,
/// "an" before a vowel).
std::string textBaselinePrompt(const std::string& word, const std::string& genre = "");

/// Fraction of frames whose K codes equal those of the frame one bar earlier, maximised over
/// the bar lengths of 4/4 at the SynthCodec tempi (62.5, 75, 93.75, 125, 187.5 BPM) at
/// `frameRate`. 1 = a loop of one bar. -1 when the clip is shorter than the shortest bar + 1
/// frame. `codes` is K x frames, row-major.
double barRepetition(const std::vector<std::int64_t>& codes, int numCodebooks, int frames,
                     double frameRate);
/// Mean barRepetition of `pieces` Composer pieces (genres round-robin, VA uniform), the
/// reference value of the procedural corpus.
double corpusBarRepetition(const std::vector<std::string>& genres, double seconds, int pieces,
                           std::uint64_t seed);

/// The clips to generate, in order. Throws std::invalid_argument with a one-line reason for
/// a bad grid / count / length, AV conditioning on a model without an AV encoder, or the
/// text baseline on a model without a tokenizer (spiece.model).
std::vector<EmotionBenchmarkJob> planEmotionBenchmark(const EmotionBenchmarkOptions& options,
                                                      const ModelInfo& info);

/// The pieces the benchmark runs with, replaceable for tests and other back ends.
struct EmotionBenchmarkHooks {
    std::function<GenerationResult(const Recipe&, const std::atomic<bool>* cancel)> generate;
    std::function<VaPoint(const AudioBuffer&)> predict;           ///< may throw (e.g. silent clip)
    std::function<std::string(const AudioBuffer&)> classifyGenre; ///< empty: no genre check
    /// Empty: no alignment column. May throw (recorded as the clip's error).
    std::function<EmotionBenchmarkAlignment(const AudioBuffer&, const EmotionBenchmarkClip&)> align;
    std::function<void(int done, int total, const EmotionBenchmarkClip&)> progress;
    const std::atomic<bool>* cancel = nullptr; ///< checked between clips and decode steps
};

/// Runs `jobs`. A clip whose generation or prediction throws is recorded with its error and
/// left out of the metrics; a set cancel flag ends the run early with `cancelled`.
EmotionBenchmarkReport runEmotionBenchmark(const std::vector<EmotionBenchmarkJob>& jobs,
                                           const ModelInfo& info,
                                           const EmotionBenchmarkOptions& options,
                                           const EmotionBenchmarkHooks& hooks);

/// The alignment hook: the clip's cosine to its prompt and the zero-shot genre among
/// `candidates` (texts "{genre} music"). `model` must outlive the hook.
std::function<EmotionBenchmarkAlignment(const AudioBuffer&, const EmotionBenchmarkClip&)>
alignmentJudge(const AlignmentModel& model, std::vector<std::string> candidates);
/// The zero-shot candidates for a plan: the Composer genres plus every prompted genre.
std::vector<std::string> alignmentCandidates(const std::vector<EmotionBenchmarkJob>& jobs);

/// Plans and runs with a loaded engine, the Emotion Predictor, an optional classifier and an
/// optional alignment model.
EmotionBenchmarkReport
runEmotionBenchmark(MusicEngine& engine, const EmotionPredictor& predictor,
                    const GenreClassifier* classifier, const EmotionBenchmarkOptions& options,
                    const std::function<void(int, int, const EmotionBenchmarkClip&)>& progress = {},
                    const std::atomic<bool>* cancel = nullptr,
                    const AlignmentModel* alignment = nullptr);

} // namespace moodsteer
