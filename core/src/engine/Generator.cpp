#include "engine/Generator.h"
#include "engine/ComputeThreads.h"

#include <torch/torch.h>

#include <optional>
#include <stdexcept>

namespace moodsteer {

Generator::Generator(models::MusicgenForCausalLM lm) : lm_(std::move(lm)) {}

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
    promptFrames_ = o_.prompt.empty() ? 0 : o_.prompt.front().frames;
    if (!o_.prompt.empty() && static_cast<int>(o_.prompt.size()) != batch_)
        throw std::runtime_error("prompt: one code grid per batch item expected");
    for (const auto& p : o_.prompt)
        if (p.numCodebooks != k_ || p.frames != promptFrames_)
            throw std::runtime_error("prompt: every item needs " + std::to_string(k_) +
                                     " codebooks of the same length");
    pattern_.emplace(k_, promptFrames_ + o_.frames, cfg.pad_token_id);
    if (pattern_->length() > cfg.max_position_embeddings)
        throw std::runtime_error("clip of " + std::to_string(pattern_->frames()) +
                                 " frames needs " + std::to_string(pattern_->length()) +
                                 " positions; the model has " +
                                 std::to_string(cfg.max_position_embeddings));
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
    if (takes > 1) {
        // [cond; (AV-free;) uncond] of the one item -> takes copies of each, in that order:
        // computed once, so that every take sees the very keys/values a generation of the item
        // alone sees.
        for (auto* list : {&cross_.k, &cross_.v})
            for (auto& t : *list)
                t = t.repeat_interleave(takes, 0);
        cross_.additiveMask = cross_.additiveMask.repeat_interleave(takes, 0);
        cross_.fullyMasked = cross_.fullyMasked.repeat_interleave(takes, 0);
    }
    cache_ = o_.kvCache ? lm_->makeCache(rows_, pattern_->length(), *o_.kvCache)
                        : lm_->makeCache(rows_, pattern_->length());
    delayed_.assign(batch_,
                    std::vector<std::int64_t>(static_cast<std::size_t>(k_) * pattern_->length(),
                                              cfg.pad_token_id));
    // The prompt's forced positions: codebook k carries frame t-k-1 at t in [k+1, k+T].
    for (int b = 0; b < static_cast<int>(o_.prompt.size()); ++b)
        for (int k = 0; k < k_; ++k)
            for (int f = 0; f < promptFrames_; ++f) {
                const auto code = o_.prompt[b].at(k, f);
                if (code < 0 || code >= v_)
                    throw std::runtime_error("prompt code " + std::to_string(code) +
                                             " outside [0, " + std::to_string(v_) + ")");
                delayedAt(b, k, f + k + 1) = code;
            }
    samplers_.clear();
    if (takes > 1)
        for (const auto seed : o_.seeds)
            samplers_.emplace_back(o_.sampling, seed);
    else
        samplers_.emplace_back(o_.sampling, o_.seed);
    startDelayed_ = delayed_;
    column_ = torch::full({rows_ * k_, 1}, cfg.pad_token_id, torch::kInt64);
    guided_.assign(static_cast<std::size_t>(batch_) * k_ * v_, 0.0f);
    stepsDone_ = 0;
    framesOut_ = promptFrames_;
    prefilled_ = false;
    logitsReady_ = false;
}

void Generator::forwardAndGuide(const torch::Tensor& ids) {
    auto logits = lm_->forward(ids, cross_, &cache_, o_.hooks); // [rows, K, T, V]
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

void Generator::prefill() {
    torch::NoGradGuard noGrad;
    if (prefilled_) return;
    if (o_.beforeStep) o_.beforeStep(0);
    // The start column and the T prompt columns, rows b*K+k, repeated for each guidance branch.
    const int cols = promptFrames_ + 1;
    auto ids = torch::empty({rows_ * k_, cols}, torch::kInt64);
    auto* p = ids.data_ptr<std::int64_t>();
    for (int r = 0; r < rows_; ++r)
        for (int k = 0; k < k_; ++k)
            for (int t = 0; t < cols; ++t)
                p[(static_cast<std::size_t>(r) * k_ + k) * cols + t] = delayedAt(r % batch_, k, t);
    std::optional<AllCoresFor> allCores;
    if (cols >= kAllCoresColumns) allCores.emplace(lm_->precision());
    forwardAndGuide(ids);
    allCores.reset();
    prefilled_ = true;
    logitsReady_ = true;
    prefillGuided_ = guided_;
    prefillLength_ = cache_.length();
}

void Generator::restart(std::uint64_t seed) {
    if (!prefilled_) throw std::logic_error("Generator::restart before prefill");
    if (std::max(1, o_.takes) > 1) throw std::logic_error("Generator::restart with takes");
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
