// The MusicGen decode loop: classifier-free guidance batched as [cond; uncond], the delay
// pattern, sampling, KV-cached incremental decoding, per-step progress, cancellation between
// steps, and completed frames handed out as soon as all K codebooks have them (streaming).
//
// A generation may continue a prompt of T frames (an audio prompt's codes, or the tail of the
// previous window of a long session), exactly as transformers' generate(decoder_input_ids=…):
// the prompt enters the delay pattern as forced positions, the start column and the first T
// columns are read in ONE batched forward pass (prefill), and the forced prompt codes of the
// higher codebooks replace the predictions of the first K-1 steps. The returned codes are the
// prompt followed by the new frames; streaming hands out only the new frames.
//
// Use run() for a whole generation, or start() / prefill() / step() to drive it step by step
// (the model-family seam does, to change the conditioning between steps). One thread.
#pragma once

#include "core/audio/AudioCodec.h"
#include "engine/DelayPattern.h"
#include "engine/Sampler.h"
#include "models/MusicgenDecoder.h"

#include <atomic>
#include <functional>
#include <optional>
#include <vector>

namespace moodsteer {

struct GeneratorOptions {
    int frames = 0;        ///< NEW frames to generate (after the prompt)
    double guidance = 3.0; ///< > 1 enables classifier-free guidance (doubles the batch)
    /// Emotion guidance: set, a third branch reads the memory with its AV row masked
    /// (`avFreeMask`: the mask with that row 0, as AV dropout trained it) and the logits are
    /// u + g (t - u) + e (c - t) with c/t/u the conditional, AV-free and unconditional logits,
    /// g = guidance and e = emotionGuidance: the prompt is guided by g, the valence/arousal
    /// token by e (e == g is plain CFG). The AV-free rows are steered like the conditional
    /// ones, so e scales only what the AV token changes. Rows: [cond; AV-free; uncond].
    std::optional<double> emotionGuidance;
    torch::Tensor avFreeMask; ///< [B, S], required with emotionGuidance
    SamplingSettings sampling;
    std::uint64_t seed = 0;
    /// > 1: generate this many takes of the one memory item (memory [1, S, D]) in one batch,
    /// take i drawing from its own random stream seeded seeds[i] (seeds.size() == takes). The
    /// cross-attention keys/values are computed once and shared, and every row of a decode step
    /// is computed independently of the others (models/ReducedLinear.h), so take i's codes equal
    /// a generation of the memory alone with seed seeds[i]. No prompt.
    int takes = 1;
    std::vector<std::uint64_t> seeds;
    /// The self-attention cache precision; unset: the model's default (makeCache()).
    std::optional<models::KvCachePrecision> kvCache;
    /// Frames to continue, one grid per batch item (all the same length) or none.
    std::vector<CodeGrid> prompt;
    /// > 0 (one item with a prompt): the prefill reads the prompt's first aheadColumns columns
    /// (at most its length) in chunks of kPrefillChunk, then the rest in one pass; readAhead()
    /// reads those chunks before prefill(), as the prompt's frames become known, on any thread.
    /// Both give the same cache and logits bit for bit (the same passes over the same columns;
    /// each row of a pass is computed alone whatever the thread count), so a window read
    /// ahead and one read at once make the same codes. 0: one pass (the columns' results differ
    /// from a chunked read in the last bits).
    int aheadColumns = 0;
    /// Probing/steering hooks; rows [0, B) are the conditional branch ([0, 2B) are steered
    /// with emotion guidance: conditionalRows()).
    const models::DecoderHooks* hooks = nullptr;
    /// Called before the forward pass of each step (step 0: before the prefill).
    std::function<void(int step)> beforeStep;
    std::function<void(int step, int totalSteps)> onStep;
    /// New complete frames of batch item 0 (streaming; prompt frames are not repeated).
    std::function<void(const CodeGrid& newFrames)> onFrames;
    const std::atomic<bool>* cancel = nullptr;
    std::vector<torch::Tensor>* scores = nullptr; ///< per-step guided logits [B*K, V] (tests)
};

struct GeneratorOutput {
    std::vector<std::vector<std::int64_t>> delayed; ///< per batch item: K x length ids
    std::vector<CodeGrid> codes; ///< per batch item, delay reverted: prompt + new frames
    bool cancelled = false;
    int stepsDone = 0;
};

class Generator {
  public:
    /// Columns per pass of a prompt read in chunks (GeneratorOptions::aheadColumns).
    static constexpr int kPrefillChunk = 50;

    explicit Generator(models::MusicgenForCausalLM lm);

    /// memory [B, S, D] (already projected and masked) with mask [B, S].
    GeneratorOutput run(const torch::Tensor& memory, const torch::Tensor& mask,
                        const GeneratorOptions& options);

    /// Sets up one generation (cross-attention keys/values, cache, delay pattern with the
    /// prompt). Throws std::runtime_error when prompt + frames exceed the positions.
    void start(const torch::Tensor& memory, const torch::Tensor& mask, GeneratorOptions options);
    /// Runs step 0's forward pass over the start column and the prompt at once (with
    /// aheadColumns: the columns not read ahead, in the same chunks).
    void prefill();
    /// Before prefill(), with options.aheadColumns: reads the next chunk of the prompt's first
    /// aheadColumns columns if `known` (the prompt's first frames as far as they are known)
    /// holds the frames it reads. Columns read from frames `known` contradicts or lacks are
    /// dropped first and read again. Returns whether a chunk was read. The model's weights are
    /// only read, so this may run on another thread than the one that started the generation
    /// (one thread at a time; no other member meanwhile; never a one-column pass, which is a
    /// decode step's and may use its helper thread).
    bool readAhead(const CodeGrid& known);
    /// Before prefill(), one item with a prompt: the prompt and new frames this generation
    /// makes after all, and its seed (start()'s prompt was a plan of the prompt's length). The
    /// columns read ahead from frames `prompt` keeps stay; the result is what start() with
    /// these would give. Throws std::runtime_error when they need more positions than the
    /// cache start() made holds.
    void reprompt(const CodeGrid& prompt, int frames, std::uint64_t seed);
    /// Back to just after prefill(), sampling from there with `seed`: the steps a start() with
    /// that seed and prefill() would make, without the prefill's forward pass (its logits and
    /// cache positions are kept; what later steps cached is dropped). One take only. Throws
    /// std::logic_error before prefill() or with takes.
    void restart(std::uint64_t seed);
    /// After prefill() of one item without takes: `seeds.size()` candidates of it stepped
    /// together for at most `steps` steps (one step reads the weights once for all of them),
    /// candidate i drawing from seeds[i]. Every row of a step is computed alone (as takes are),
    /// so completeFrames(i) holds exactly the frames restart(seeds[i]) and as many steps give.
    /// The cache's rows are copied per candidate (musicgen-small, int8 cache, four candidates
    /// after 500 frames: about 220 MB while forked); restart() goes back to the one item.
    /// Throws std::logic_error where it cannot (check canFork()).
    void fork(const std::vector<std::uint64_t>& seeds, int steps);
    /// Whether fork() can take `candidates`: prefilled, one item, no takes, hooks or score
    /// recording (which act on a fixed set of rows), and a fused step for all the rows.
    bool canFork(int candidates) const;
    bool forked() const { return unforked_.has_value(); }
    /// While forked: candidate `b` goes on alone from where the candidates are (its cache rows,
    /// codes and random stream), exactly as restart(seeds[b]) and as many steps leave it.
    void keep(int b);
    bool prefilled() const { return prefilled_; }
    /// The prompt's columns read so far (by readAhead() before prefill(); all after it).
    int columnsRead() const {
        return prefilled_ ? promptFrames_ + 1 : static_cast<int>(cache_.length());
    }
    /// One decode step (prefills first if needed). Returns false when cancelled.
    bool step();
    bool done() const { return stepsDone_ >= pattern_->steps() - promptFrames_; }
    int totalSteps() const { return pattern_->steps() - promptFrames_; }
    int stepsDone() const { return stepsDone_; }
    int promptFrames() const { return promptFrames_; }
    /// Finishes: the codes per item (prompt + the frames complete so far).
    GeneratorOutput finish(bool cancelled);
    /// Item b's new frames (after the prompt) complete in every codebook so far.
    CodeGrid completeFrames(int b) const;

    /// The cross-attention memory in use (the family seam rewrites the AV row in place).
    models::CrossAttentionCache& cross() { return cross_; }
    int batch() const { return batch_; }
    /// Rows that steering hooks act on: the conditional branch (and the AV-free one).
    static int conditionalRows(const GeneratorOptions& o) {
        return std::max(1, o.takes) * (o.emotionGuidance ? 2 : 1);
    }

  private:
    /// The layout of a generation of `frames` new frames after `prompt` (the delay pattern,
    /// the forced prompt codes, the random streams); throws std::runtime_error for a prompt or
    /// length the model cannot take.
    void layout(const std::vector<CodeGrid>& prompt, int frames, std::uint64_t seed);
    /// The ids of prompt columns [from, to) for every row.
    torch::Tensor promptColumns(int from, int to);
    /// Where the chunk of prompt columns starting at `from` ends (the prompt's end + 1 past the
    /// columns read ahead).
    int nextColumn(int from) const;
    int aheadEnd() const;
    void readColumns(int from, int to);
    /// Drops the chunks read from frames `frames` contradicts or lacks.
    void dropStale(const CodeGrid& frames);
    /// The prompt's first frames (item 0) into the delay pattern.
    void writePrompt(const CodeGrid& frames);
    /// Forward over `ids` ([rows*K, T]) and the guided last-position logits into guided_.
    void forwardAndGuide(const torch::Tensor& ids);
    /// Combines the branches of contiguous float logits [rows, K, V] into guided_.
    void guide(const float* logits);
    std::int64_t& delayedAt(int b, int k, int t);

    models::MusicgenForCausalLM lm_;
    GeneratorOptions o_;
    std::optional<DelayPattern> pattern_;
    models::CrossAttentionCache cross_;
    models::SelfAttentionCache cache_;
    std::vector<Sampler> samplers_; ///< one per take, or one shared by every item
    std::vector<std::vector<std::int64_t>> delayed_;
    std::vector<float> guided_;
    torch::Tensor column_;
    int batch_ = 0, rows_ = 0, k_ = 0, v_ = 0, promptFrames_ = 0, stepsDone_ = 0, framesOut_ = 0;
    int branches_ = 1; ///< 1: no guidance; 2: [cond; uncond]; 3: [cond; AV-free; uncond]
    bool prefilled_ = false;
    bool logitsReady_ = false; ///< the prefill's logits wait for step 0
    bool steppedZero_ = false; ///< beforeStep(0) ran (before the prefill's first pass)
    // What restart() goes back to: the ids before any step, the prefill's guided logits and
    // the cache length after it.
    std::vector<std::vector<std::int64_t>> startDelayed_;
    std::vector<float> prefillGuided_;
    std::int64_t prefillLength_ = 0;
    /// While forked: the one item's cache after its prefill (restart() takes it back).
    std::optional<models::SelfAttentionCache> unforked_;
};

} // namespace moodsteer
