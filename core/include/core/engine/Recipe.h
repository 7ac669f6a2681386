// A clip's full recipe: everything needed to regenerate it exactly (model, prompt, emotion
// target, seed, sampling settings, length, steering). Serialised as JSON in sidecars, file
// tags and the clip library.
#pragma once

#include "core/session/VaPath.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace moodsteer {

/// How a steering strength evolves over the clip.
enum class SteeringSchedule { Constant, RampUp, RampDown };

struct SteeringSpec {
    std::string vectorPath; ///< steering-vector file (safetensors), "" for built-in ones
    std::string label;      ///< class the vector points to (e.g. "jazz")
    int layer = -1;         ///< -1: the layer stored with the vector
    double alpha = 0.5;     ///< strength; negative values push away from the class
    SteeringSchedule schedule = SteeringSchedule::Constant;
    /// Time range in seconds (from the start of the clip or session) where the vector acts;
    /// the schedule then runs over this range. Neither set: the whole clip (as before ranges
    /// existed). Only `from`: to the end; only `to`: from the start.
    std::optional<double> fromSeconds;
    std::optional<double> toSeconds;

    bool hasRange() const { return fromSeconds.has_value() || toSeconds.has_value(); }
};

/// A window the long-form guard resampled (silence, a repeated bar, or off the emotion path),
/// or any window of a session with the emotion check: the seed it used, and the emotion
/// guidance of a window the check remade with the AV token guided harder (unset: the recipe's).
struct WindowReseed {
    int window = 0;
    std::uint64_t seed = 0;
    std::optional<double> emotionGuidance;
    /// New frames the window kept when the guard cut it short (Recipe::acceptSeconds: it had
    /// played the start the guard accepted, then rejected what followed); 0: the whole window.
    int frames = 0;
};

/// A prompt that takes over from `time` seconds on the session clock (windowed generation: from
/// the first window that starts at or after it).
struct PromptChange {
    double time = 0;
    std::string prompt;
};

struct Recipe {
    std::string model;              ///< model folder, or "embedded"
    std::string prompt;             ///< text; empty = unconditional
    std::vector<int64_t> promptIds; ///< token ids instead of text (no tokenizer file)
    std::optional<double> valence;  ///< 1..9; absent = no emotion conditioning
    std::optional<double> arousal;  ///< 1..9
    std::uint64_t seed = 0;
    double guidance = 3.0;
    /// Guidance of the valence/arousal token alone (Generator's emotionGuidance: a third
    /// branch without the AV token); unset = the same as `guidance` (plain CFG, 2 branches).
    /// Needs an emotion target and a model with an AV encoder.
    std::optional<double> emotionGuidance;
    double temperature = 1.0;
    int topK = 250;
    double topP = 0.0; ///< 0 disables nucleus sampling
    bool greedy = false;
    double seconds = 10.0;
    int steps = 0; ///< decode steps; when > 0 it overrides seconds
    std::vector<SteeringSpec> steering;
    std::string engineVersion;
    // Provenance, so that "regenerate exactly" can refuse a different model or precision.
    // `model` is "embedded", a hub repo id or an absolute folder (never a relative path).
    std::string precision;     ///< weightPrecisions(); "" in recipes from before it was kept
    std::string modelRevision; ///< hub commit the weights came from (repo-id models)
    std::string modelHash;     ///< content hash of a local folder / the embedded model
    /// Self-attention cache precision "f32" | "bf16" | "int8" (docs/performance.md); "" = the
    /// engine's default for the weight precision. Generation writes the one it used. A recipe
    /// file from before it was kept reads as the cache its precision then used (f32 with f32
    /// weights, bf16 otherwise), so that it regenerates as it did.
    std::string kvCache;
    /// One of several takes generated in one batch (same recipe, seeds seed, seed + 1, ...):
    /// this clip's 1-based number and how many there were; 0 when not a take. Informational:
    /// the recipe alone (its own seed) regenerates this take exactly.
    int take = 0;
    int takes = 0;

    // Time-varying conditioning and long-form generation. Each field is written to JSON only
    // when set, so recipes made before they existed read and regenerate unchanged.
    /// Valence/arousal over time; when non-empty it replaces `valence`/`arousal`.
    VaPath emotionPath;
    /// > 0: windowed generation (a session or a continuation longer than one window): windows
    /// of `windowSeconds`, each re-prompted with its last (window - stride) seconds of codes.
    double windowSeconds = 0;
    double strideSeconds = 0; ///< 0: two thirds of the window (a third stays context)
    /// Windows the guard resampled, with the seed each finally used (regeneration replays them).
    std::vector<WindowReseed> reseeds;
    /// Codes (.safetensors codes file) or a clip's recipe this generation continues; "" none.
    std::string continueFrom;
    /// Cancelled before the end: the audio holds the windows finished so far.
    bool incomplete = false;
    /// Prompt changes over time (sessions), strictly increasing times >= 0; `prompt` holds
    /// before the first.
    std::vector<PromptChange> promptChanges;
    /// A piece imported from a MIDI file (`import-midi`, the studio's Import MIDI…): the file it
    /// came from. Its codes are the clip: there is nothing to regenerate. "" otherwise.
    std::string importedFrom;
    /// One of several variations of a piece made in one request (VariationGenerator): what it
    /// varies (a library clip id, a recipe or MIDI file), its 1-based number and the count,
    /// the similarity s and the arousal and valence shifts asked for; variation 0: not a
    /// variation.
    std::string variationOf;
    int variation = 0;
    int variations = 0;
    double variationSimilarity = 0;
    double variationShiftArousal = 0;
    double variationShiftValence = 0;
    /// A restoration regenerated only [restoredFrom, restoredTo) seconds of `variationOf`;
    /// both 0 otherwise.
    double restoredFrom = 0;
    double restoredTo = 0;
    static constexpr int kMaxVariations = 16;
    /// Windowed generation: each window after the first tries this many seeds for its opening
    /// frames and keeps the first whose onset at the seam is no louder (spectral flux) than
    /// the music before it, else the quietest (session/SeamChoice.h); the seed kept is recorded in
    /// `reseeds`. 1: off (recipes from before it existed).
    int seamCandidates = 1;
    /// What new sessions use (CLI `session`, the studio's Session view, bench-session).
    static constexpr int kSessionSeamCandidates = 4;
    /// Windowed generation: the guard judges each window every this many seconds as it is made
    /// (all of it so far, as it judges a whole window), and the part it accepted plays at
    /// once, so a session's first audio comes after one stretch rather than a whole window. A
    /// window it rejects after accepting its start ends there (recorded in `reseeds`) and the
    /// next continues from it; one rejected at its first check is made again as before. The
    /// emotion check judges the window so far at each check too: a try off the path at its
    /// first stretch costs seconds, not a window, and a window drifting off later ends there;
    /// when every try misses at the first stretch, the closest goes on to the window's end.
    /// The last stretch of each window (at least this long) is judged with the whole window.
    /// Needs a codec whose stream can be copied (EnCodec, SynthCodec); decodes on the engine
    /// thread. 0: whole windows (recipes from before it existed).
    double acceptSeconds = 0;
    /// What new sessions without the emotion check use (CLI `session`, the studio's Session
    /// view, bench-session, bench-stream).
    static constexpr double kSessionAcceptSeconds = 5.0;
    /// Early acceptance: the session's first window is first judged after this many seconds,
    /// its next checks (without acceptPace) at twice as much each time until they are
    /// acceptSeconds apart (1, 2, 4, 8, 13 s...), so that the first note comes after a short
    /// stretch rather than acceptSeconds of music made in silence, and each stretch is made while
    /// the one before it plays; later windows start while the previous one plays and keep
    /// acceptSeconds. The guard hears a short stretch for silence (its loops only from twice the
    /// shortest bar). At most acceptSeconds; 0: the first check after acceptSeconds (recipes from
    /// before it existed).
    double firstAcceptSeconds = 0;
    /// What new sessions use: kSessionFirstAcceptSeconds, or acceptSeconds where that is
    /// shorter (0 for whole windows).
    static constexpr double kSessionFirstAcceptSeconds = 1.0;
    /// Early acceptance, paced to a listener: instead of doubling, the guard's checks come
    /// firstAcceptSeconds + acceptPace x (the session's seconds made so far) apart, at most
    /// acceptSeconds, in every window, the last one where only the stretch a seam's cut back
    /// hears is left (session/WindowedGeneration.h, WindowPlan). Each stretch plays once the
    /// guard accepts it, so playback started at the first note never waits for the next one
    /// while the session is made faster than real time by more than acceptPace: at 0.05 the
    /// checks are 1.05, 1.1 ... 2.5 s apart in the first 30 s (doubling, 1, 2, 4, 8 s, needs
    /// about 2x real time). Needs firstAcceptSeconds; at most kMaxAcceptPace. 0: doubling
    /// (recipes from before it existed).
    double acceptPace = 0;
    static constexpr double kSessionAcceptPace = 0.05;
    static constexpr double kMaxAcceptPace = 1.0;
    /// What new sessions use: kSessionAcceptPace with a first stretch, else 0.
    static double sessionAcceptPace(double firstAcceptSeconds) {
        return firstAcceptSeconds > 0 ? kSessionAcceptPace : 0.0;
    }
    /// Windowed generation: each window's context is read while the window before it is still
    /// being made (session/ContextReadAhead.h), on the other core, so that a seam no longer
    /// waits ~1.1 s for a 10 s context (musicgen-small). For that the context is fixed before
    /// the window ends: it starts where it would start had the window before it ended uncut
    /// (a seam-aware cut back, at most SeamChoice::kMaxCutSeconds, shortens the context rather
    /// than moving it), its conditioning (emotion target, steering time, prompt and mood word)
    /// is read at the earliest such a cut lets the window start, and it is read in fixed chunks
    /// (the same whether read ahead or at once). A window after one the guard cut short
    /// continues as before. false: recipes from before it existed.
    bool readAhead = false;
    static double sessionFirstAcceptSeconds(double acceptSeconds) {
        return acceptSeconds < kSessionFirstAcceptSeconds ? acceptSeconds
                                                          : kSessionFirstAcceptSeconds;
    }
    /// What a new session with this emotion check uses: kSessionAcceptSeconds without the
    /// check; whole windows with it, whose four tries are then each judged over all of the
    /// window and the closest kept (the path followed closer: docs/sessions.md, 2026-12-07).
    static double sessionAcceptSeconds(double emotionCheck) {
        return emotionCheck > 0 ? 0.0 : kSessionAcceptSeconds;
    }
    /// The guard's checks every acceptSeconds (0: whole windows) with the first stretch and the
    /// pace new sessions take with them (sessionFirstAcceptSeconds, sessionAcceptPace): the one
    /// place the studio, bench-session and bench-stream set them.
    void useSessionChecks(double everySeconds) {
        acceptSeconds = everySeconds;
        firstAcceptSeconds = sessionFirstAcceptSeconds(everySeconds);
        acceptPace = sessionAcceptPace(firstAcceptSeconds);
    }
    /// Windowed generation with an emotion target: the emotion check's tolerance (on the 1..9
    /// scale). Each window is judged by the emotion head (session/EmotionCheck.h) over its 5 s
    /// stretches against the target there; a window whose mean arousal error (and valence
    /// error, when the head predicts valence) exceeds it is made again, up to the guard's
    /// tries, each with the next seed and (models with an AV encoder) the AV token's own
    /// guidance raised by kEmotionCheckGuidanceStep per retry, and the closest try is kept.
    /// Every window's seed (and raised guidance) is then recorded in `reseeds`, so the recipe
    /// regenerates the session without the head. 0: off (recipes from before it existed, and
    /// plain continuations).
    double emotionCheck = 0;
    /// What new sessions use (CLI `session`, the studio's Session view, bench-session).
    static constexpr double kSessionEmotionCheck = 1.0;
    /// Retry k of a window the emotion check remakes guides the AV token at E + k * this (E:
    /// `emotionGuidance`, else `guidance`): the model's context holds the mood it had, and a
    /// stronger pull of the token is what moves it (docs/sessions.md).
    static constexpr double kEmotionCheckGuidanceStep = 2.0;

    /// The text prompt in force at `seconds`: the last change at or before it, else `prompt`.
    std::string promptAt(double seconds) const;
    /// The {valence, arousal} target at `seconds`: the path's value there, else the fixed
    /// valence/arousal; none when neither is given (or only one of the two).
    std::optional<std::pair<double, double>> emotionAt(double seconds) const;

    /// true when the emotion target is given (a value or a path).
    bool hasEmotion() const { return !emotionPath.empty() || valence.has_value(); }

    std::string toJson(int indent = 2) const;
    /// Throws std::runtime_error with the offending field on malformed input.
    static Recipe fromJson(const std::string& json);
    /// As above; errors start with `source` (the file name): `r.json: "seed" must be ...`.
    /// Every numeric field is checked at full width against core/engine/ValueLimits.h.
    static Recipe fromJson(const std::string& json, const std::string& source);
    /// Reads and parses a recipe file (a regular file of at most 16 MiB).
    static Recipe fromFile(const std::string& path);
};

} // namespace moodsteer
