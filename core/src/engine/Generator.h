// The MusicGen decode loop: classifier-free guidance batched as [cond; uncond], the delay
// pattern, sampling, KV-cached incremental decoding, per-step progress, cancellation between
// steps, and completed frames handed out as soon as all K codebooks have them (streaming).
#pragma once

#include "core/audio/AudioCodec.h"
#include "engine/Sampler.h"
#include "models/MusicgenDecoder.h"

#include <atomic>
#include <functional>
#include <vector>

namespace moodsteer {

struct GeneratorOptions {
    int frames = 0;
    double guidance = 3.0; ///< > 1 enables classifier-free guidance (doubles the batch)
    SamplingSettings sampling;
    std::uint64_t seed = 0;
    /// Probing/steering hooks; rows [0, B) are the conditional branch.
    const models::DecoderHooks* hooks = nullptr;
    std::function<void(int step)> beforeStep;
    std::function<void(int step, int totalSteps)> onStep;
    /// New complete frames of batch item 0 (streaming).
    std::function<void(const CodeGrid& newFrames)> onFrames;
    const std::atomic<bool>* cancel = nullptr;
    std::vector<torch::Tensor>* scores = nullptr; ///< per-step guided logits [B*K, V] (tests)
};

struct GeneratorOutput {
    std::vector<std::vector<std::int64_t>> delayed; ///< per batch item: K x length ids
    std::vector<CodeGrid> codes;                    ///< per batch item, delay reverted
    bool cancelled = false;
    int stepsDone = 0;
};

class Generator {
public:
    explicit Generator(models::MusicgenForCausalLM lm);

    /// memory [B, S, D] (already projected and masked) with mask [B, S].
    GeneratorOutput run(const torch::Tensor& memory, const torch::Tensor& mask,
                        const GeneratorOptions& options);

private:
    models::MusicgenForCausalLM lm_;
};

} // namespace moodsteer
