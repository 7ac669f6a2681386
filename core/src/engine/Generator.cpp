#include "engine/Generator.h"

#include "engine/DelayPattern.h"

#include <torch/torch.h>

namespace moodsteer {

Generator::Generator(models::MusicgenForCausalLM lm) : lm_(std::move(lm)) {}

GeneratorOutput Generator::run(const torch::Tensor& memory, const torch::Tensor& mask,
                               const GeneratorOptions& o) {
    torch::NoGradGuard noGrad;
    const auto& cfg = lm_->config();
    const int K = static_cast<int>(cfg.num_codebooks);
    const int V = static_cast<int>(cfg.vocab_size);
    const std::int64_t pad = cfg.pad_token_id;
    const int B = static_cast<int>(memory.size(0));
    const DelayPattern pattern(K, o.frames, pad);
    if (pattern.length() > cfg.max_position_embeddings)
        throw std::runtime_error("clip of " + std::to_string(o.frames) + " frames needs " +
                                 std::to_string(pattern.length()) + " positions; the model has " +
                                 std::to_string(cfg.max_position_embeddings));
    const bool cfgOn = o.guidance > 1.0;
    // Unconditional branch: zero states and an all-zero mask (cross-attention outputs 0).
    auto mem = cfgOn ? torch::cat({memory, torch::zeros_like(memory)}, 0) : memory;
    auto msk = cfgOn ? torch::cat({mask, torch::zeros_like(mask)}, 0) : mask;
    const int rows = static_cast<int>(mem.size(0));

    auto cross = lm_->precomputeCross(mem, msk);
    auto cache = lm_->makeCache(rows, pattern.length());
    GeneratorOutput out;
    out.delayed.assign(B, std::vector<std::int64_t>(static_cast<std::size_t>(K) * pattern.length(), pad));
    Sampler sampler(o.sampling, o.seed);
    auto column = torch::full({rows * K, 1}, pad, torch::kInt64);
    // The next input column, written in place each step; the guided logits of one step.
    std::vector<float> guided(static_cast<std::size_t>(B) * K * V);
    int framesOut = 0;
    const int steps = pattern.steps();
    for (int s = 0; s < steps; ++s) {
        if (o.cancel && o.cancel->load(std::memory_order_relaxed)) {
            out.cancelled = true;
            break;
        }
        if (o.beforeStep)
            o.beforeStep(s);
        auto logits = lm_->forward(column, cross, &cache, o.hooks); // [rows, K, 1, V]
        const float* data = nullptr;
        if (logits.scalar_type() == torch::kFloat32 && logits.is_contiguous()) {
            // The usual case: combine the CFG halves in one pass over the logits, into a
            // buffer reused every step (no tensor allocations or dispatches).
            const float* l = logits.data_ptr<float>();
            if (cfgOn) {
                const std::size_t half = static_cast<std::size_t>(B) * K * V;
                const float g = static_cast<float>(o.guidance);
                for (std::size_t i = 0; i < half; ++i)
                    guided[i] = l[half + i] + (l[i] - l[half + i]) * g;
                data = guided.data();
            } else {
                data = l;
            }
        } else {
            auto last = logits.select(2, logits.size(2) - 1); // [rows, K, V]
            if (cfgOn) {
                auto cond = last.narrow(0, 0, B);
                auto uncond = last.narrow(0, B, B);
                last = uncond + (cond - uncond) * o.guidance;
            }
            last = last.contiguous().to(torch::kFloat32);
            std::copy_n(last.data_ptr<float>(), guided.size(), guided.begin());
            data = guided.data();
        }
        if (o.scores)
            o.scores->push_back(
                torch::from_blob(const_cast<float*>(data), {B * K, V}, torch::kFloat32).clone());
        const int t = s + 1;
        std::int64_t* col = column.data_ptr<std::int64_t>();
        for (int b = 0; b < B; ++b)
            for (int k = 0; k < K; ++k) {
                const std::size_t row = static_cast<std::size_t>(b) * K + k;
                std::int64_t id = sampler.sample(data + row * V, V);
                if (pattern.isForced(k, t))
                    id = pad;
                // Both CFG halves see the same ids (transformers repeats the decoder ids).
                col[row] = id;
                if (cfgOn)
                    col[static_cast<std::size_t>(B) * K + row] = id;
                out.delayed[b][static_cast<std::size_t>(k) * pattern.length() + t] = id;
            }
        out.stepsDone = s + 1;
        if (o.onStep)
            o.onStep(s + 1, steps);
        const int complete = pattern.completeFrames(t);
        if (o.onFrames && complete > framesOut) {
            CodeGrid fresh(K, complete - framesOut);
            for (int k = 0; k < K; ++k)
                for (int f = framesOut; f < complete; ++f)
                    fresh.at(k, f - framesOut) =
                        out.delayed[0][static_cast<std::size_t>(k) * pattern.length() + f + k + 1];
            o.onFrames(fresh);
        }
        framesOut = complete;
    }
    for (int b = 0; b < B; ++b) {
        if (out.cancelled) {
            // Keep the frames that are complete in every codebook.
            const int done = pattern.completeFrames(out.stepsDone);
            CodeGrid partial(K, done);
            for (int k = 0; k < K; ++k)
                for (int f = 0; f < done; ++f)
                    partial.at(k, f) = out.delayed[b][static_cast<std::size_t>(k) * pattern.length() + f + k + 1];
            out.codes.push_back(std::move(partial));
        } else {
            out.codes.push_back(pattern.revert(out.delayed[b]));
        }
    }
    return out;
}

} // namespace moodsteer
