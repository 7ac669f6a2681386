// `moodsteer-cli bench-session`: how a long session behaves, for the embedded model (speed,
// memory and quality) and for a random-weight MusicGen architecture (speed and memory only).
// Quality is measured on the stream as it is made, so the session's audio is never held:
//   - the emotion head on consecutive blocks (10 s): CCC and mean absolute error of predicted
//     vs target valence/arousal along the path, Spearman of predicted vs target arousal over
//     the blocks of the monotone part (the iso move, before the hold); the session's emotion
//     check (Recipe::emotionCheck) judges its windows with the same head, so beside it the
//     Spearman of each block's level (dBFS, which the head never hears: it normalises
//     loudness) against the target arousal;
//   - seam score: spectral flux at each window seam / the median flux inside the windows;
//   - windows under -50 dBFS (the guard's level of each accepted window);
//   - bar repetition: the share of 2 s bars (codes) that repeat an earlier bar (>= 90 % of the
//     frames identical in every code stream) of the same window, and of an earlier window;
//   - tempo drift: the tempo (core/audio/TempoEstimate.h, on the spectral flux) of the 8 s
//     before each seam against the 8 s after it, in percent with octaves folded, beside the
//     same measure at the middle of each window, and each window's tempo.
// Torch-free.
#pragma once

#include "core/audio/SpectralFlux.h"
#include "core/emotion/EmotionMetrics.h"
#include "core/engine/Recipe.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace moodsteer {

struct SessionBenchOptions {
    double minutes = 3;                             ///< the embedded model's session
    std::pair<double, double> from{5, 8}, to{6, 2}; ///< the iso path (default: calming)
    double holdMinutes = -1;                        ///< < 0: a fifth of the session
    /// No mood word: the path carries the mood. "calm ..." contradicts a calming path's
    /// agitated start and the opening comes out calm (docs/sessions.md, MoodConflict).
    std::string prompt = "ambient piece with piano";
    std::uint64_t seed = 1;
    double windowSeconds = 0; ///< 0: the model's positions
    int seamCandidates = 4;   ///< Recipe::seamCandidates (1: off)
    /// Recipe::acceptSeconds (0: whole windows); unset: as sessions (sessionAcceptSeconds).
    std::optional<double> acceptSeconds;
    std::optional<double> guidance;        ///< unset: the model's default
    std::optional<double> emotionGuidance; ///< Recipe::emotionGuidance; unset: the model's
    double emotionCheck = Recipe::kSessionEmotionCheck; ///< Recipe::emotionCheck (0: off)
    int threads = 0;
    std::string headPath;        ///< "": the default emotion head
    double blockSeconds = 10;    ///< emotion blocks
    double musicgenSeconds = 45; ///< random-weight MusicGen session; 0 skips it
    double musicgenWindowSeconds = 30;
    std::string musicgenConfig; ///< MusicGen config.json (random weights)
    std::string musicgenPrecision = "int8";
};

struct SessionSpeed {
    std::string model;
    std::string precision;
    double audioSeconds = 0;
    double generationSeconds = 0;  ///< without the benchmark's own measuring
    double realTimeFactor = 0;     ///< audio seconds per second of generation
    double firstAudioSeconds = -1; ///< from the request to the first audio (-1: none)
    double rssAt2MinMB = -1;       ///< -1: the session is shorter than 2 minutes
    double rssEndMB = 0;
    double peakRssMB = 0; ///< the process's peak so far
    int windows = 0;
    int reseededWindows = 0; ///< windows whose seed the recipe records
    int remadeWindows = 0;   ///< windows the guard or the emotion check made more than once
    int silentWindows = 0;   ///< accepted windows under -50 dBFS
    std::vector<double> windowLevels;
    std::vector<int> windowTries;            ///< GenerationResult::windowTries
    std::vector<double> windowEmotionErrors; ///< GenerationResult::windowEmotionErrors
};

struct SessionBlock {
    double startSeconds = 0, endSeconds = 0;
    VaPoint target, predicted;
    double levelDbfs = -200; ///< RMS level of the block as generated
    bool monotone = false;   ///< inside the iso move
    std::string genre;       ///< the DSP genre classifier's verdict ("" unchecked or silent)
};

struct SessionBenchReport {
    SessionSpeed embedded;
    std::vector<SessionBlock> blocks;
    DimensionMetrics valence, arousal;
    double valenceMae = 0, arousalMae = 0;
    double arousalSpearman = 0;
    /// Spearman of the blocks' level against the target arousal over the monotone part: a
    /// measure the emotion head (and so the emotion check) cannot see.
    double levelSpearman = 0;
    int monotoneBlocks = 0;
    /// When the prompt names one of the model's genres: that genre and the share of blocks the
    /// DSP genre classifier (core/emotion/GenreClassifier.h) hears as it (-1: not measured), so
    /// that a prompt lost at a seam, or given up to the emotion, shows.
    std::string promptGenre;
    double genreShare = -1;
    double seamScore = 0; ///< mean over seams
    double seamScoreMax = 0;
    int seams = 0;
    std::vector<double> seamScores;  ///< seam by seam
    std::vector<double> seamSeconds; ///< where each seam is in the session
    /// The same measure at the middle of each window (no seam there): what an ordinary moment
    /// of the music scores, to read the seam score against.
    double insideScore = 0;
    double barRepeatWithin = 0, barRepeatAcross = 0;
    int bars = 0;
    /// Tempo change across each seam in percent (-1 where a side has no clear pulse), their
    /// mean and max over the seams measured, and the mean of the same measure at the middle
    /// of each window (what the music's own tempo changes score).
    std::vector<double> seamTempoChanges;
    double seamTempoChange = 0, seamTempoChangeMax = 0, insideTempoChange = 0;
    int tempoSeams = 0;
    std::vector<double> windowTempos; ///< BPM of each window's stretch (0: no clear pulse)
    std::optional<SessionSpeed> musicgen;

    std::string toJson() const;
    std::string toTable() const;
};

/// Spearman's rank correlation (ties get their average rank); throws std::invalid_argument
/// for fewer than 2 pairs or unequal lengths; 0 when either series is constant.
double spearmanCorrelation(std::span<const double> a, std::span<const double> b);

/// Share of bars (`barFrames` long, from frame 0) repeating an earlier bar of the same window
/// and of an earlier window; `windowStarts` are the first frames of the windows' new frames.
/// codes: K x frames, row-major.
std::pair<double, double> barRepetition(const std::vector<std::int64_t>& codes, int numCodebooks,
                                        int frames, const std::vector<int>& windowStarts,
                                        int barFrames);

/// Tempo change (percent, octaves folded: tempoChangePercent) across each of `points`
/// (sample positions): the tempo of `spanSeconds` of flux before the point against the same
/// after it. -1 where either side has too little audio or no clear pulse.
std::vector<double> tempoChangesAt(const SpectralFlux& flux, const std::vector<std::size_t>& points,
                                   int sampleRate, double spanSeconds = 8);

/// The first of `genres` that `prompt` names as a whole word (any case), else "".
std::string promptGenre(const std::string& prompt, const std::vector<std::string>& genres);

/// Throws std::runtime_error (missing model or head, bad options); `cancel` stops early.
SessionBenchReport runSessionBenchmark(const SessionBenchOptions& options,
                                       const std::function<void(const std::string&)>& say,
                                       const std::atomic<bool>* cancel = nullptr);

} // namespace moodsteer
