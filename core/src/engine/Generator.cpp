#include "engine/Generator.h"
#include "engine/ComputeThreads.h"

#include <torch/torch.h>

#include <algorithm>
#include <optional>
#include <stdexcept>

namespace moodsteer {

Generator::Generator(models::MusicgenForCausalLM lm) : lm_(std::move(lm)) {}

namespace {

/// `c` with `rows(t)` applied to each of its tensors (their first dimension is the batch).
template <typename F>
models::CrossAttentionCache mapRows(const models::CrossAttentionCache& c, const F& rows) {
    models::CrossAttentionCache out = c;
    for (auto* list : {&out.k, &out.v})
        for (auto& t : *list)
            t = rows(t);
    out.additiveMask = rows(out.additiveMask);
    out.fullyMasked = rows(out.fullyMasked);
    return out;
}

/// Each row of `c` `times` times in place of one ([a; b] -> [a; a; b; b] for 2): the takes
/// layout, branch by branch.
models::CrossAttentionCache repeatRows(const models::CrossAttentionCache& c, int times) {
    return mapRows(c, [&](const torch::Tensor& t) { return t.repeat_interleave(times, 0); });
}

/// The rows `rows` of `c` (index_select on the batch).
models::CrossAttentionCache selectRows(const models::CrossAttentionCache& c,
                                       const torch::Tensor& rows) {
    return mapRows(c, [&](const torch::Tensor& t) { return t.index_select(0, rows); });
}

/// copy(to, from) for the keys and values of every layer of two self-attention caches of one
/// precision (and their scales, int8).
template <typename F>
void eachCacheTensor(const models::SelfAttentionCache& to, const models::SelfAttentionCache& from,
                     std::int64_t layers, const F& copy) {
    for (std::int64_t l = 0; l < layers; ++l) {
        copy(to.keys(l), from.keys(l));
        copy(to.values(l), from.values(l));
        if (from.keyScales(l).defined()) {
            copy(to.keyScales(l), from.keyScales(l));
            copy(to.valueScales(l), from.valueScales(l));
        }
    }
}

} // namespace

std::int64_t& Generator::delayedAt(int b, int k, int t) {
    return delayed_[b][static_cast<std::size_t>(k) * pattern_->length() + t];
}

void Generator::start(const torch::Tensor& memory, const torch::Tensor& mask, GeneratorOptions o) {
    torch::NoGradGuard noGrad;
    const auto& cfg = lm_->config();
    o_ = std::move(o);
    k_ = static_cast<int>(cfg.num_codebooks);
    v_ = static_cast<int>(cfg.vocab_size);
    const int takes = std::max(1, o_.takes);
    if (takes > 1) {
        if (memory.size(0) != 1)
            throw std::runtime_error("takes: the memory must hold one item, it holds " +
                                     std::to_string(memory.size(0)));
        if (!o_.prompt.empty()) throw std::runtime_error("takes cannot continue a prompt");
        if (static_cast<int>(o_.seeds.size()) != takes)
            throw std::runtime_error("takes: one seed per take expected");
    }
    branches_ = o_.emotionGuidance ? 3 : o_.guidance > 1.0 ? 2 : 1;
    if (takes > 1 && takes * branches_ > models::kFusedDecodeMaxItems)
        throw std::runtime_error(
            "at most " + std::to_string(models::kFusedDecodeMaxItems / branches_) + " takes with " +
            (branches_ == 3 ? "emotion guidance" : "guidance"));
    if (o_.emotionGuidance && !(o_.avFreeMask.defined() && o_.avFreeMask.sizes() == mask.sizes()))
        throw std::runtime_error("emotion guidance needs the mask without the AV token");
    batch_ = static_cast<int>(memory.size(0)) * takes;
    if (!o_.prompt.empty() && static_cast<int>(o_.prompt.size()) != batch_)
        throw std::runtime_error("prompt: one code grid per batch item expected");
    if (o_.aheadColumns < 0 || (o_.aheadColumns > 0 && (batch_ != 1 || o_.prompt.empty())))
        throw std::runtime_error("a prompt read ahead needs one item with a prompt");
    layout(o_.prompt, o_.frames, o_.seed);
    // Unconditional branch: zero states and an all-zero mask (cross-attention outputs 0). The
    // AV-free branch: the memory with its masked rows zeroed, as the model projects them.
    torch::Tensor mem = memory, msk = mask;
    if (branches_ == 3) {
        const auto avFree = memory * o_.avFreeMask.to(memory.dtype()).unsqueeze(-1);
        mem = torch::cat({memory, avFree, torch::zeros_like(memory)}, 0);
        msk = torch::cat({mask, o_.avFreeMask.to(mask.dtype()), torch::zeros_like(mask)}, 0);
    } else if (branches_ == 2) {
        mem = torch::cat({memory, torch::zeros_like(memory)}, 0);
        msk = torch::cat({mask, torch::zeros_like(mask)}, 0);
    }
    rows_ = static_cast<int>(mem.size(0)) * takes;
    cross_ = lm_->precomputeCross(mem, msk);
    // [cond; (AV-free;) uncond] of the one item -> takes copies of each, in that order: computed
    // once, so that every take sees the very keys/values a generation of the item alone sees.
    if (takes > 1) cross_ = repeatRows(cross_, takes);
    cache_ = o_.kvCache ? lm_->makeCache(rows_, pattern_->length(), *o_.kvCache)
                        : lm_->makeCache(rows_, pattern_->length());
    column_ = torch::full({rows_ * k_, 1}, cfg.pad_token_id, torch::kInt64);
    guided_.assign(static_cast<std::size_t>(batch_) * k_ * v_, 0.0f);
    prefilled_ = false;
    logitsReady_ = false;
    steppedZero_ = false;
}

void Generator::layout(const std::vector<CodeGrid>& prompt, int frames, std::uint64_t seed) {
    const auto& cfg = lm_->config();
    const int T = prompt.empty() ? 0 : prompt.front().frames;
    for (const auto& p : prompt)
        if (p.numCodebooks != k_ || p.frames != T)
            throw std::runtime_error("prompt: every item needs " + std::to_string(k_) +
                                     " codebooks of the same length");
    DelayPattern pattern(k_, T + frames, cfg.pad_token_id);
    if (pattern.length() > cfg.max_position_embeddings)
        throw std::runtime_error("clip of " + std::to_string(pattern.frames()) + " frames needs " +
                                 std::to_string(pattern.length()) + " positions; the model has " +
                                 std::to_string(cfg.max_position_embeddings));
    for (const auto& p : prompt)
        for (const auto code : p.data)
            if (code < 0 || code >= v_)
                throw std::runtime_error("prompt code " + std::to_string(code) + " outside [0, " +
                                         std::to_string(v_) + ")");
    pattern_.emplace(std::move(pattern));
    promptFrames_ = T;
    o_.frames = frames;
    o_.seed = seed;
    delayed_.assign(batch_,
                    std::vector<std::int64_t>(static_cast<std::size_t>(k_) * pattern_->length(),
                                              cfg.pad_token_id));
    // The prompt's forced positions: codebook k carries frame t-k-1 at t in [k+1, k+T].
    for (int b = 0; b < static_cast<int>(prompt.size()); ++b)
        for (int k = 0; k < k_; ++k)
            for (int f = 0; f < T; ++f)
                delayedAt(b, k, f + k + 1) = prompt[b].at(k, f);
    samplers_.clear();
    if (std::max(1, o_.takes) > 1)
        for (const auto s : o_.seeds)
            samplers_.emplace_back(o_.sampling, s);
    else
        samplers_.emplace_back(o_.sampling, seed);
    startDelayed_ = delayed_;
    stepsDone_ = 0;
    framesOut_ = promptFrames_;
}

void Generator::forwardAndGuide(const torch::Tensor& ids) {
    // Only the last position's logits are sampled from (a prefill's T columns included).
    auto logits = lm_->forwardLast(ids, cross_, &cache_, o_.hooks); // [rows, K, 1, V]
    if (logits.size(2) == 1 && logits.scalar_type() == torch::kFloat32 && logits.is_contiguous()) {
        // The usual case: combine the guidance branches in one pass over the logits, into a
        // buffer reused every step (no tensor allocations or dispatches).
        guide(logits.data_ptr<float>());
        return;
    }
    auto last = logits.select(2, logits.size(2) - 1).contiguous().to(torch::kFloat32);
    guide(last.data_ptr<float>()); // [rows, K, V]
}

void Generator::guide(const float* l) {
    const std::size_t n = static_cast<std::size_t>(batch_) * k_ * v_;
    const float g = static_cast<float>(o_.guidance);
    if (branches_ == 3) {
        const float e = static_cast<float>(*o_.emotionGuidance);
        const float *c = l, *t = l + n, *u = l + 2 * n;
        for (std::size_t i = 0; i < n; ++i)
            guided_[i] = u[i] + (t[i] - u[i]) * g + (c[i] - t[i]) * e;
    } else if (branches_ == 2) {
        for (std::size_t i = 0; i < n; ++i)
            guided_[i] = l[n + i] + (l[i] - l[n + i]) * g;
    } else {
        std::copy_n(l, n, guided_.begin());
    }
}

namespace {
/// A prefill of this many frames or more (a session window's context) runs on every core
/// (AllCoresFor): nothing else in the engine runs beside it. musicgen-small, 500 frames of
/// context, two threads against one: int8 (its GEMM) 0.88 against 1.56 s, int4 1.3-1.7
/// against 2.23 s and bf16 1.8 against 2.76 s, since the GEMVs of many rows share their blocks
/// and OpenBLAS's pool stays at one thread for reduced weights (AllCoresFor; docs/performance.md,
/// "The prefill").
constexpr int kAllCoresColumns = 100;
} // namespace

torch::Tensor Generator::promptColumns(int from, int to) {
    // Rows b*K+k, repeated for each guidance branch.
    const int cols = to - from;
    auto ids = torch::empty({rows_ * k_, cols}, torch::kInt64);
    auto* p = ids.data_ptr<std::int64_t>();
    for (int r = 0; r < rows_; ++r)
        for (int k = 0; k < k_; ++k)
            for (int t = 0; t < cols; ++t)
                p[(static_cast<std::size_t>(r) * k_ + k) * cols + t] =
                    delayedAt(r % batch_, k, from + t);
    return ids;
}

int Generator::aheadEnd() const {
    return std::min(o_.aheadColumns, promptFrames_);
}

int Generator::nextColumn(int from) const {
    const int ahead = aheadEnd(), all = promptFrames_ + 1;
    if (ahead <= 0 || from >= ahead) return all;
    // Chunks of kPrefillChunk, the last ahead one at least two columns (a one-column pass is a
    // decode step, with its own kernels and helper thread).
    const int next = (from / kPrefillChunk + 1) * kPrefillChunk;
    return next <= ahead - 2 ? next : ahead;
}

void Generator::readColumns(int from, int to) {
    if (from == 0 && !steppedZero_) {
        if (o_.beforeStep) o_.beforeStep(0);
        steppedZero_ = true;
    }
    // The columns that may be read ahead on one thread are read on one thread here too; the
    // rest on every core when there are many (AllCoresFor), whoever reads them.
    std::optional<OneThreadFor> one;
    std::optional<AllCoresFor> allCores;
    if (to <= aheadEnd())
        one.emplace();
    else if (to - from >= kAllCoresColumns)
        allCores.emplace(lm_->precision());
    forwardAndGuide(promptColumns(from, to));
}

void Generator::dropStale(const CodeGrid& frames) {
    // Column t holds frame t-k-1 of codebook k: the first column read from a frame that
    // `frames` contradicts or lacks, and back to the chunk it starts.
    const int read = static_cast<int>(cache_.length());
    int stale = read;
    for (int k = 0; k < k_; ++k)
        for (int t = k + 1; t < read; ++t) {
            const int f = t - k - 1;
            if (f >= frames.frames || frames.at(k, f) != delayedAt(0, k, t)) {
                stale = std::min(stale, t);
                break;
            }
        }
    if (stale == read) return;
    int keep = 0;
    while (keep < read) {
        const int next = nextColumn(keep);
        if (next > stale) break;
        keep = next;
    }
    cache_.truncate(keep);
}

void Generator::writePrompt(const CodeGrid& frames) {
    const int n = std::min(frames.frames, promptFrames_);
    for (int k = 0; k < k_; ++k)
        for (int f = 0; f < n; ++f)
            delayedAt(0, k, f + k + 1) = frames.at(k, f);
    startDelayed_ = delayed_;
}

bool Generator::readAhead(const CodeGrid& known) {
    torch::NoGradGuard noGrad;
    if (prefilled_) throw std::logic_error("Generator::readAhead after prefill");
    if (aheadEnd() <= 0 || known.numCodebooks != k_) return false;
    dropStale(known);
    const int from = static_cast<int>(cache_.length());
    if (from >= aheadEnd()) return false;
    const int to = nextColumn(from);
    if (known.frames < to - 1) return false; // column to-1 reads frame to-2 of codebook 0
    writePrompt(known);
    readColumns(from, to);
    return true;
}

void Generator::reprompt(const CodeGrid& prompt, int frames, std::uint64_t seed) {
    torch::NoGradGuard noGrad;
    if (prefilled_ || batch_ != 1 || std::max(1, o_.takes) > 1 || o_.prompt.empty())
        throw std::logic_error("Generator::reprompt: one item with a prompt, before prefill");
    // The columns read so far were read from the old prompt's frames: dropped where the new
    // one differs (under the old layout), then the new layout.
    dropStale(prompt);
    std::vector<int> readEnds; // where the chunks read end
    for (int at = 0; (at = nextColumn(at)) <= cache_.length();)
        readEnds.push_back(at);
    layout({prompt}, frames, seed);
    if (pattern_->length() > cache_.capacity())
        throw std::runtime_error("reprompt: " + std::to_string(pattern_->length()) +
                                 " positions exceed the cache's " +
                                 std::to_string(cache_.capacity()));
    o_.prompt = {prompt};
    // Only the chunks the new layout reads too stay (a shorter prompt may end the columns read
    // ahead sooner: the chunk that ran past it is read again, shorter).
    int keep = 0;
    for (int at = 0; (at = nextColumn(at)) <= aheadEnd() &&
                     std::find(readEnds.begin(), readEnds.end(), at) != readEnds.end();)
        keep = at;
    cache_.truncate(keep);
}

void Generator::prefill() {
    torch::NoGradGuard noGrad;
    if (prefilled_) return;
    // The start column and the T prompt columns; with aheadColumns, from the columns read
    // ahead on, in the chunks readAhead() reads.
    const int cols = promptFrames_ + 1;
    for (int from = static_cast<int>(cache_.length()); from < cols;) {
        const int to = nextColumn(from);
        readColumns(from, to);
        from = to;
    }
    prefilled_ = true;
    logitsReady_ = true;
    prefillGuided_ = guided_;
    prefillLength_ = cache_.length();
}

bool Generator::canFork(int candidates) const {
    return prefilled_ && !unforked_ && batch_ == 1 && std::max(1, o_.takes) == 1 && !o_.hooks &&
           !o_.scores && candidates >= 2 && candidates * branches_ <= models::kFusedDecodeMaxItems;
}

void Generator::fork(const std::vector<std::uint64_t>& seeds, int steps) {
    torch::NoGradGuard noGrad;
    const int n = static_cast<int>(seeds.size());
    if (!canFork(n) || steps < 1) throw std::logic_error("Generator::fork: cannot fork here");
    // The prefill's keys and values, each row copied for every candidate (takes layout), in a
    // cache just long enough for the candidates' steps.
    const std::int64_t length = cache_.length();
    models::SelfAttentionCache many =
        lm_->makeCache(static_cast<std::int64_t>(rows_) * n, length + steps, cache_.precision());
    // Row r of the one item becomes rows r*n .. r*n+n-1, copied straight into the new cache (no
    // repeated copy made first: four candidates after 500 frames, 26-40 ms against 39-47 ms).
    const auto replicate = [&](const torch::Tensor& to, const torch::Tensor& one) {
        const auto from = one.narrow(2, 0, length).unsqueeze(1);
        auto sizes = from.sizes().vec();
        sizes[1] = n;
        to.narrow(2, 0, length).unflatten(0, {one.size(0), n}).copy_(from.expand(sizes));
    };
    eachCacheTensor(many, cache_, lm_->config().num_hidden_layers, replicate);
    many.assumeFilled(length);
    unforked_.emplace(std::move(cache_));
    cache_ = std::move(many);
    cross_ = repeatRows(cross_, n);
    batch_ = n;
    rows_ = branches_ * n;
    delayed_.assign(static_cast<std::size_t>(n), startDelayed_.front());
    samplers_.clear();
    for (const auto seed : seeds)
        samplers_.emplace_back(o_.sampling, seed);
    guided_.clear();
    for (int i = 0; i < n; ++i)
        guided_.insert(guided_.end(), prefillGuided_.begin(), prefillGuided_.end());
    column_ = torch::full({rows_ * k_, 1}, lm_->config().pad_token_id, torch::kInt64);
    stepsDone_ = 0;
    framesOut_ = promptFrames_;
    logitsReady_ = true;
}

void Generator::keep(int b) {
    torch::NoGradGuard noGrad;
    if (!unforked_ || b < 0 || b >= batch_)
        throw std::logic_error("Generator::keep: no such candidate of a forked generation");
    const int n = batch_;
    std::vector<std::int64_t> ids;
    for (int br = 0; br < branches_; ++br)
        ids.push_back(static_cast<std::int64_t>(br) * n + b);
    const torch::Tensor rows = torch::tensor(ids, torch::kInt64);
    // What the candidate's steps cached, after the prefill in the one item's (full) cache.
    models::SelfAttentionCache one = std::move(*unforked_);
    unforked_.reset();
    const std::int64_t after = prefillLength_, count = cache_.length() - prefillLength_;
    if (count > 0)
        eachCacheTensor(
            one, cache_, lm_->config().num_hidden_layers,
            [&](const torch::Tensor& to, const torch::Tensor& all) {
                // Only the positions its steps wrote, of its rows.
                to.narrow(2, after, count).copy_(all.narrow(2, after, count).index_select(0, rows));
            });
    one.assumeFilled(cache_.length());
    cache_ = std::move(one);
    cross_ = selectRows(cross_, rows);
    // The ids its last step wrote, for the next forward pass; its codes and random stream.
    auto column = torch::empty({branches_ * k_, 1}, torch::kInt64);
    const std::int64_t* from = column_.data_ptr<std::int64_t>();
    std::int64_t* to = column.data_ptr<std::int64_t>();
    for (int br = 0; br < branches_; ++br)
        for (int k = 0; k < k_; ++k)
            to[br * k_ + k] = from[(static_cast<std::size_t>(br) * n + b) * k_ + k];
    column_ = column;
    std::vector<std::int64_t> codes = std::move(delayed_[static_cast<std::size_t>(b)]);
    delayed_.assign(1, std::move(codes));
    Sampler sampler = std::move(samplers_[static_cast<std::size_t>(b)]);
    samplers_.clear();
    samplers_.push_back(std::move(sampler));
    if (logitsReady_)
        guided_ = prefillGuided_; // no step since the fork: the prefill's logits
    else
        guided_.resize(static_cast<std::size_t>(k_) * v_); // the next forward pass writes it
    batch_ = 1;
    rows_ = branches_;
}

void Generator::restart(std::uint64_t seed) {
    torch::NoGradGuard noGrad;
    if (!prefilled_) throw std::logic_error("Generator::restart before prefill");
    if (std::max(1, o_.takes) > 1) throw std::logic_error("Generator::restart with takes");
    // Forked: back to one item through any candidate (its cross-attention rows hold the
    // conditioning as the last step left it, as after any steps); its steps are cut below.
    if (unforked_) keep(0);
    cache_.truncate(prefillLength_);
    guided_ = prefillGuided_;
    delayed_ = startDelayed_;
    o_.seed = seed;
    samplers_.clear();
    samplers_.emplace_back(o_.sampling, seed);
    stepsDone_ = 0;
    framesOut_ = promptFrames_;
    logitsReady_ = true;
}

bool Generator::step() {
    torch::NoGradGuard noGrad;
    if (done()) return true;
    if (o_.cancel && o_.cancel->load(std::memory_order_relaxed)) return false;
    const int s = stepsDone_;
    if (!prefilled_) {
        prefill();
    } else if (!logitsReady_) {
        if (o_.beforeStep) o_.beforeStep(s);
        forwardAndGuide(column_);
    }
    logitsReady_ = false; // consumed by this step's sampling
    const int B = batch_, K = k_, V = v_;
    const float* data = guided_.data();
    if (o_.scores)
        o_.scores->push_back(
            torch::from_blob(const_cast<float*>(data), {B * K, V}, torch::kFloat32).clone());
    const int t = promptFrames_ + 1 + s; // the column this step writes
    std::int64_t* col = column_.data_ptr<std::int64_t>();
    for (int b = 0; b < B; ++b)
        for (int k = 0; k < K; ++k) {
            const std::size_t row = static_cast<std::size_t>(b) * K + k;
            // Drawn even where the pattern forces the id, as transformers does: the random
            // stream (and so a seeded clip) does not depend on the prompt's length.
            auto& sampler = samplers_.size() > 1 ? samplers_[b] : samplers_.front();
            std::int64_t id = sampler.sample(data + row * V, V);
            if (pattern_->isForced(k, t))
                id = pattern_->padId();
            else if (t <= k + promptFrames_)
                id = delayedAt(b, k, t); // a prompt frame of a delayed codebook
            // Every branch sees the same ids (transformers repeats the decoder ids).
            for (int br = 0; br < branches_; ++br)
                col[static_cast<std::size_t>(br) * B * K + row] = id;
            delayedAt(b, k, t) = id;
        }
    stepsDone_ = s + 1;
    if (o_.onStep) o_.onStep(stepsDone_, totalSteps());
    const int complete = std::max(promptFrames_, pattern_->completeFrames(t));
    if (o_.onFrames && complete > framesOut_) {
        CodeGrid fresh(K, complete - framesOut_);
        for (int k = 0; k < K; ++k)
            for (int f = framesOut_; f < complete; ++f)
                fresh.at(k, f - framesOut_) = delayedAt(0, k, f + k + 1);
        o_.onFrames(fresh);
    }
    framesOut_ = std::max(framesOut_, complete);
    return true;
}

GeneratorOutput Generator::finish(bool cancelled) {
    GeneratorOutput out;
    out.cancelled = cancelled;
    out.stepsDone = stepsDone_;
    for (int b = 0; b < batch_; ++b) {
        if (cancelled || !done()) {
            // Keep the frames that are complete in every codebook.
            const int t = promptFrames_ + stepsDone_;
            const int complete = std::max(promptFrames_, pattern_->completeFrames(t));
            CodeGrid partial(k_, complete);
            for (int k = 0; k < k_; ++k)
                for (int f = 0; f < complete; ++f)
                    partial.at(k, f) = delayedAt(b, k, f + k + 1);
            out.codes.push_back(std::move(partial));
        } else {
            out.codes.push_back(pattern_->revert(delayed_[b]));
        }
    }
    out.delayed = std::move(delayed_);
    delayed_.clear();
    return out;
}

CodeGrid Generator::completeFrames(int b) const {
    const int t = promptFrames_ + stepsDone_; // the last column written
    const int complete = std::max(promptFrames_, pattern_->completeFrames(t));
    CodeGrid out(k_, complete - promptFrames_);
    const auto& row = delayed_.at(b);
    for (int k = 0; k < k_; ++k)
        for (int f = promptFrames_; f < complete; ++f)
            out.at(k, f - promptFrames_) =
                row[static_cast<std::size_t>(k) * pattern_->length() + f + k + 1];
    return out;
}

GeneratorOutput Generator::run(const torch::Tensor& memory, const torch::Tensor& mask,
                               const GeneratorOptions& o) {
    start(memory, mask, o);
    bool cancelled = false;
    while (!done())
        if (!step()) {
            cancelled = true;
            break;
        }
    return finish(cancelled);
}

} // namespace moodsteer
