// The engine's public face: load a model folder (a Hugging Face MusicGen checkpoint or the
// embedded model), generate clips from recipes with progress, streaming audio and
// cancellation. Torch-free (pimpl) so that widgets/ and app/ can use it.
//
// Threading: a MusicEngine is used by one thread at a time (the engine thread). Callbacks run
// on that thread; `cancel` may be set from any thread and is checked between decode steps.
#pragma once

#include "core/audio/AudioBuffer.h"
#include "core/audio/AudioCodec.h"
#include "core/engine/Recipe.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace moodsteer {

class EmotionPredictor;

class EngineError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct ModelInfo {
    std::string id;        ///< e.g. "musicgen (facebook/musicgen-small layout)" or "embedded"
    std::string folder;    ///< where it was loaded from
    std::string codecName; ///< "encodec_32khz" or "synthcodec"
    int sampleRate = 32000;
    double frameRate = 50.0;
    int numCodebooks = 4;
    int cardinality = 2048;
    int numLayers = 0;
    int hiddenSize = 0;
    int maxFrames = 0;               ///< longest clip the positions allow
    bool hasTokenizer = false;       ///< spiece.model present (else prompts must be token ids)
    bool hasAvEncoder = false;       ///< valence/arousal conditioning available
    bool canEncodeAudio = false;     ///< the codec has an encoder for recordings (EnCodec)
    std::vector<std::string> genres; ///< genres the model was trained on (embedded model)
    /// The guidance a recipe gets unless the user sets one: generation_config.json's
    /// `guidance_scale` (as in the Hugging Face layout), else MusicGen's 3.
    double defaultGuidance = 3.0;
    /// The AV token's own guidance unless the user sets one (Recipe::emotionGuidance):
    /// generation_config.json's `emotion_guidance_scale` (our key), else none (plain CFG).
    std::optional<double> defaultEmotionGuidance;
    std::int64_t parameterCount = 0;
    /// The emotion check a new session gets unless the user sets one (Recipe::emotionCheck):
    /// on for models conditioned on valence/arousal, whose path it checks (remaking a window
    /// costs one window's time: the embedded model stays several times faster than real
    /// time); off for models that follow a path only through mood words (MusicGen
    /// checkpoints, already near real time), where `--emotion-check` turns it on.
    double sessionEmotionCheck() const { return hasAvEncoder ? Recipe::kSessionEmotionCheck : 0.0; }
};

struct LoadOptions {
    int threads = 0;               ///< 0: cores - 1 (at least 1): a core stays free for GUI/audio
    std::string precision = "f32"; ///< weightPrecisions(): "f32" | "bf16" | "int8" | "int4"
};

struct GenerationProgress {
    int step = 0;
    int totalSteps = 0;
    double elapsedSeconds = 0;
    double etaSeconds = 0;
    // Windowed generation (sessions, continuations); 0 for a single clip.
    double audioSeconds = 0; ///< audio finished (accepted windows)
    int window = 0;          ///< the window being generated (0-based)
    int windows = 0;         ///< windows in the whole run
};

struct GenerationCallbacks {
    std::function<void(const GenerationProgress&)> onProgress;
    /// Streaming audio: consecutive chunks whose concatenation is the clip's audio (within the
    /// stated streaming tolerance for EnCodec; exactly for the embedded codec).
    std::function<void(const float* samples, std::size_t count)> onAudio;
    const std::atomic<bool>* cancel = nullptr;
    /// false: GenerationResult::audio stays empty and the audio only goes to onAudio (a long
    /// session then holds no audio in memory; the caller writes it as it comes).
    bool keepAudio = true;
    /// The emotion head that judges windows for Recipe::emotionCheck (the caller's, so that the
    /// view and the check agree); null: the engine loads preferredEmotionHeadPath() when a
    /// recipe asks for the check.
    const EmotionPredictor* emotionJudge = nullptr;
};

struct GenerationResult {
    AudioBuffer audio;
    int numCodebooks = 0;
    int frames = 0;
    std::vector<std::int64_t> codes; ///< K x frames, row-major, delay already reverted
    Recipe recipe;                   ///< as resolved (model, seed, steps, engine version)
    bool cancelled = false;
    double generationSeconds = 0;
    /// Windowed generation: frames of the prompt at the start of `codes` (continuations), and
    /// the level of each accepted window in dBFS (the guard's measure).
    int promptFrames = 0;
    std::vector<double> windowLevels;
    /// Windowed generation, per accepted window: the tries it took (1: the first seed was
    /// kept; a replayed window counts 1) and, with the emotion check, the kept try's error
    /// (EmotionFit::error; -1: not judged).
    std::vector<int> windowTries;
    std::vector<double> windowEmotionErrors;
    /// Windowed generation, per accepted window: wall seconds spent before decode steps (each
    /// try's begin and prefill, and the seam choice's, whose candidates' openings count here
    /// too), and the seam candidates tried (0: none chosen). What a seam costs the stream.
    std::vector<double> windowPrepareSeconds;
    /// Of windowPrepareSeconds, the windows' begin and prefill (the context read in one pass);
    /// the rest is the seam candidates' openings and their judging.
    std::vector<double> windowPrefillSeconds;
    std::vector<int> windowSeamCandidates;
    /// Windows made more than once (by the guard or the emotion check).
    int remadeWindows() const {
        return static_cast<int>(std::count_if(windowTries.begin(), windowTries.end(),
                                              [](int tries) { return tries > 1; }));
    }
    /// CPU seconds of the thread that ran the streaming codec beside the LM (EnCodec when a core
    /// is free: see MusicEngine::generate); -1 when the codec ran on the calling thread.
    double decodeThreadCpuSeconds = -1;
    /// CPU seconds of the threads that read windows' contexts ahead (Recipe::readAhead); -1:
    /// none ran.
    double readAheadCpuSeconds = -1;
    /// Per window: the context's columns read ahead while the window before it was made (of
    /// the context's frames + 1; 0: read at its seam).
    std::vector<int> windowAheadColumns;
};

class MusicEngine {
  public:
    /// Prompt limits. T5's tokenizer has model_max_length 512; a longer prompt only costs
    /// memory (the encoder's attention grows with its square: 15,000 characters took 13.6 GB),
    /// so it is refused with a one-line EngineError rather than silently truncated, which
    /// would change what the recipe records. The byte limit stops absurd texts before the
    /// tokenizer sees them.
    static constexpr std::size_t kMaxPromptTokens = 512;
    static constexpr std::size_t kMaxPromptBytes = 16384;

    /// Loads `folder` (config.json, model.safetensors, optional spiece.model). Throws
    /// EngineError with a one-line reason for a missing folder/file or a mismatched checkpoint.
    static std::unique_ptr<MusicEngine> load(const std::string& folder,
                                             const LoadOptions& options = {});
    /// The architecture in `configPath` (a MusicGen config.json) with random weights, for
    /// speed and memory benchmarks (no download). No tokenizer: prompts are token ids.
    /// Throws EngineError naming the file.
    static std::unique_ptr<MusicEngine> withRandomWeights(const std::string& configPath,
                                                          const LoadOptions& options = {});
    /// The folder of the model shipped in resources/ ("" if absent).
    static std::string embeddedModelFolder();

    ~MusicEngine();
    MusicEngine(const MusicEngine&) = delete;
    MusicEngine& operator=(const MusicEngine&) = delete;

    const ModelInfo& info() const;

    /// Generates one clip. Throws EngineError for an invalid recipe (length beyond the
    /// positions, emotion without an AV encoder, a prompt beyond the limits above, ...) and
    /// for running out of memory (one line, never LibTorch's stack trace). A cancelled run
    /// returns the frames made so far with `cancelled` set.
    /// A recipe with `windowSeconds` > 0 or `continueFrom` is generated window by window (any
    /// length; see core/engine/ModelFamily.h and docs/model-families.md): a cancelled one keeps
    /// the finished windows and its recipe is marked `incomplete`.
    /// Streaming (onAudio set) on a single clip runs EnCodec on its own thread when the compute
    /// threads leave a core free (the default on 2 cores): the LM on one core, the codec on the
    /// other; onAudio still runs on the calling thread, between decode steps. With keepAudio
    /// false a streamed clip is not decoded a second time: its audio went to onAudio only.
    GenerationResult generate(const Recipe& recipe, const GenerationCallbacks& callbacks = {});

    /// Generates `takes` clips of one recipe in one batch (a decode step reads every weight
    /// once for all of them): take k (1-based) is the recipe with seed + k - 1, recorded in its
    /// result's recipe with take = k and takes = N, and equals what generate() makes from that
    /// recipe alone (same codes, same audio). Single clips only (not sessions, continuations or
    /// prompt changes); 1..limits::kMaxTakes takes. Streaming (onAudio) plays take 1. A
    /// cancelled run returns every take's frames so far, each with `cancelled` set.
    std::vector<GenerationResult> generateTakes(const Recipe& recipe, int takes,
                                                const GenerationCallbacks& callbacks = {});

    /// The KV cache precision a recipe without one gets on this engine ("f32", "bf16", "int8").
    std::string defaultKvCache() const;

    /// Token ids for a prompt (with </s>), as the text encoder sees them.
    std::vector<std::int64_t> tokenize(const std::string& text) const;

    /// The codes a continuation starts from: a codes file (.safetensors), a clip's recipe
    /// (.json: regenerated, it is exact) or a recording (.wav/.flac/.ogg: mixed to mono,
    /// resampled and encoded; MusicGen checkpoints only). Throws EngineError naming the file.
    CodeGrid promptCodes(const std::string& path);

    /// Decodes K x frames codes (row-major) to audio with the model's codec.
    AudioBuffer decode(const std::vector<std::int64_t>& codes, int frames) const;

    struct Impl;
    /// Engine internals for other core/ components (probing, steering, training).
    Impl& impl() { return *impl_; }

  private:
    explicit MusicEngine(std::unique_ptr<Impl> impl);
    /// Codec, model info and family around a constructed model (load, withRandomWeights).
    static std::unique_ptr<MusicEngine>
    assemble(std::unique_ptr<Impl> impl, const std::string& folder, const LoadOptions& options);
    std::unique_ptr<Impl> impl_;
};

} // namespace moodsteer
