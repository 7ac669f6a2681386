// The model-family seam: what a kind of generative model implements so that the engine, the
// long-session planner, the CLI and the studio drive it without knowing what it is.
//
// Today one family carries two kinds of checkpoints: MusicgenFamily (core/src/engine) runs
// real MusicGen checkpoints (EnCodec) and the embedded model (SynthCodec) — same transformer
// LM, different codec. A new family (e.g. a VAE + latent-diffusion variation generator,
// which is not autoregressive) implements these two classes and returns itself from
// MusicEngine::load for the folders it recognises; nothing in widgets/ or app/ changes.
//
// The contract, in the order the engine uses it:
//  1. info() / codec(): what the model is (sample rate, frame rate, K code streams, which
//     conditioning it supports) and how its codes become audio. Codes are the lingua franca:
//     every family emits K x frames integer codes that its codec decodes, streaming.
//  2. begin(WindowRequest): one window of at most windowFrames() frames (context + new). The
//     request carries the conditioning, every input of which may vary with time:
//       - text: Recipe::prompt / promptIds (constant over the window),
//       - valence/arousal: Recipe::valence/arousal (a value) or Recipe::emotionPath (a path),
//         evaluated per decode step at that step's time on the SESSION clock (startFrame),
//       - steering: Recipe::steering, each spec over the whole clip or a range in seconds,
//       - audio prompt: `context`, frames this window continues (a user's recording encoded
//         by codec().encode, a library clip's stored codes, or the previous window's tail).
//     begin() validates the conditioning against the model and throws EngineError with a
//     one-line reason; nothing is decoded before it returns.
//  3. WindowDecoder::prefill(): reads the whole context in ONE batched pass (an AR family
//     fills its KV cache; a diffusion family would encode the context latents).
//  4. WindowDecoder::step() until done(): each call returns the frames that became final
//     (an AR family: 0 or 1 per step; a diffusion family may return the whole window from
//     its last denoising step). The engine streams them to codec().streamDecoder(), so the
//     code stream across windows is continuous and decoded once, with no re-rendered overlap.
//  5. Cancellation is the caller's: it stops calling step(); newCodes() holds what is final.
//
// Threading: a family and its decoders belong to the engine thread; nothing here is
// thread-safe. Torch-free, so a family's header never drags LibTorch into a Qt unit.
#pragma once

#include "core/audio/AudioCodec.h"
#include "core/engine/MusicEngine.h"
#include "core/engine/Recipe.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace moodsteer {

/// One window of generation: `newFrames` frames after `context`.
struct WindowRequest {
    const Recipe* recipe = nullptr; ///< conditioning and sampling (not owned; outlives the window)
    CodeGrid context;               ///< frames to continue (read by prefill); may be empty
    int newFrames = 0;
    /// Session-clock frame of the first new frame: paths and steering ranges are evaluated at
    /// (startFrame + i) / frameRate for new frame i.
    int startFrame = 0;
    /// Frames of the whole clip or session (clip-relative steering schedules run over it);
    /// 0: this window alone.
    int totalFrames = 0;
    std::uint64_t seed = 0;
    /// > 1: this many takes of the window in one batch, take i (0-based) seeded seed + i (the
    /// same codes as a window of that seed alone); no context. A family that cannot batch
    /// takes throws EngineError from begin().
    int takes = 1;
    /// Session-clock frame whose conditioning (emotion target, steering time) the prefill
    /// reads; -1: startFrame. A window read ahead is conditioned before its start is known.
    int conditionFrame = -1;
    /// > 0: the context's first aheadColumns columns (column t holds the context's frames
    /// before t) are read in fixed chunks, ahead by readAhead() or at prefill(), both giving
    /// the same window bit for bit; 0: one pass.
    int aheadColumns = 0;
};

/// A window being generated. Not copyable; one thread.
class WindowDecoder {
  public:
    virtual ~WindowDecoder() = default;
    /// Reads the context in one batched pass. step() calls it when the caller did not.
    virtual void prefill() = 0;
    /// One decode step; returns the new frames that became final (possibly none).
    virtual CodeGrid step() = 0;
    virtual bool done() const = 0;
    virtual int stepsDone() const = 0;
    virtual int totalSteps() const = 0;
    /// Every final new frame so far (context excluded), e.g. after a cancel.
    virtual CodeGrid newCodes() const = 0;
    /// Back to just after prefill() with another seed: the window that begin() with that seed
    /// and prefill() would give, without a second prefill (seam candidates share one). false:
    /// this family or window cannot (not prefilled, takes); begin anew.
    virtual bool restart(std::uint64_t /*seed*/) { return false; }
    /// After prefill(): seeds.size() candidates of this window stepped together for at most
    /// `steps` steps (a step reads the weights once for all of them), candidate i making
    /// exactly the codes restart(seeds[i]) would; takeCodes() has each one's frames and
    /// restart() goes back to one window. false: this family or window cannot (nothing
    /// changed; restart() each candidate in turn).
    virtual bool fork(const std::vector<std::uint64_t>& /*seeds*/, int /*steps*/) { return false; }
    /// After fork(): candidate `i` goes on alone from where it is (its frames so far in
    /// newCodes()), exactly as restart(seeds[i]) and as many steps leave the window. false:
    /// this family or window cannot (restart() instead).
    virtual bool keep(int /*candidate*/) { return false; }
    /// The same for each take (WindowRequest::takes; take 0 is newCodes()).
    virtual std::vector<CodeGrid> takeCodes() const { return {newCodes()}; }
    /// A window begun before its context is known (WindowRequest::aheadColumns > 0, the
    /// request's context a plan of its length): reads the next chunk of its first columns if
    /// `known` (the context's first frames so far) holds their frames; what was read from
    /// frames `known` contradicts or lacks is read again. false: nothing to read now, or this
    /// family cannot. May run on a thread of its own: one thread at a time, and no other
    /// member meanwhile.
    virtual bool readAhead(const CodeGrid& /*known*/) { return false; }
    /// Before prefill(): the request this window makes after all (its context complete, its
    /// start, length and seed known), with the recipe, conditionFrame and aheadColumns it was
    /// begun with. The columns read ahead from frames the context keeps stay; the window is
    /// then the one begin(request) gives. false: this family or window cannot (begin anew).
    virtual bool settle(const WindowRequest& /*request*/) { return false; }
    /// Before prefill(): the context's columns read so far (by readAhead(), kept by settle()).
    virtual int contextColumnsRead() const { return 0; }
};

class ModelFamily {
  public:
    virtual ~ModelFamily() = default;
    virtual const ModelInfo& info() const = 0;
    virtual const AudioCodec& codec() const = 0;
    /// Longest window (context + new frames) one begin() may ask for: W.
    virtual int windowFrames() const = 0;
    /// Starts a window; throws EngineError for conditioning the model cannot honour.
    virtual std::unique_ptr<WindowDecoder> begin(const WindowRequest& request) = 0;
};

} // namespace moodsteer
