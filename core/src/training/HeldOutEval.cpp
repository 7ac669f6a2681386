// Held-out cross-entropy of a trained model (core/training/Training.h).
#include "core/training/Training.h"

#include "core/synth/SynthCodec.h"
#include "engine/ComputeThreads.h"
#include "engine/DelayPattern.h"
#include "models/MusicgenModel.h"
#include "models/SentencePieceTokenizer.h"
#include "training/TrainingBatch.h"
#include "training/TrainingCorpus.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <span>

namespace moodsteer {
namespace fs = std::filesystem;

HeldOutLoss evaluateHeldOut(const std::string& modelDir, const std::string& corpusDir, int threads,
                            const std::atomic<bool>* cancel) {
    if (!fs::is_regular_file(fs::path(modelDir) / "config.json"))
        throw std::runtime_error("model folder '" + modelDir + "' has no config.json");
    const auto spm = fs::path(modelDir) / "spiece.model";
    if (!fs::is_regular_file(spm))
        throw std::runtime_error("model folder '" + modelDir +
                                 "' has no spiece.model (not a model trained by `train`)");
    setComputeThreads(threads);
    auto corpus = TrainingCorpus::load(corpusDir);
    if (corpus.pieces.empty()) throw std::runtime_error("corpus '" + corpusDir + "' is empty");
    auto model = models::MusicgenModelImpl::load(modelDir);
    model->eval();
    const auto tokenizer = models::SentencePieceTokenizer::load(spm.string());
    for (auto& p : corpus.pieces)
        p.promptIds = tokenizer->encodeT5(p.prompt);

    SynthCodec codec;
    const int K = codec.numCodebooks(), V = codec.cardinality();
    int F = corpus.pieces.front().codes.frames;
    for (const auto& p : corpus.pieces)
        F = std::min(F, p.codes.frames);
    F = std::min<int>(F, static_cast<int>(model->config().decoder.max_position_embeddings) - K);
    if (F < 2)
        throw std::runtime_error("corpus '" + corpusDir + "' has pieces shorter than 2 frames");

    // Each piece whole from its first frame: the shape's window is the piece, weights 1.
    BatchShape shape;
    shape.cropFrames = F;
    shape.windowFrames = F;
    const DelayPattern pattern(K, F, V);
    std::vector<SampleDraw> draws;
    for (const auto& p : corpus.pieces)
        draws.push_back(SampleDraw{&p, 0, false, false});

    torch::NoGradGuard noGrad;
    std::vector<double> sum(K, 0.0), count(K, 0.0);
    constexpr int kBatch = 8;
    for (std::size_t first = 0; first < draws.size(); first += kBatch) {
        if (cancel && cancel->load()) throw std::runtime_error("cancelled");
        const auto n = std::min<std::size_t>(kBatch, draws.size() - first);
        const auto batch = buildBatch(std::span(draws).subspan(first, n), pattern, shape,
                                      model->hasAvEncoder(), false);
        auto [memory, memMask] =
            model->encodeConditions(batch.ids, batch.textMask, batch.va, batch.avMask);
        auto cross = model->decoder->precomputeCross(memory, memMask);
        auto logits = model->decoder->forward(batch.input, cross, nullptr, nullptr, nullptr);
        auto tokenCe = torch::nn::functional::cross_entropy(
            logits.reshape({-1, V}), batch.target,
            torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100).reduction(
                torch::kNone));
        const auto valid = (batch.target != -100).to(torch::kFloat64);
        const long T = batch.input.size(1);
        const auto perK = (tokenCe.to(torch::kFloat64) * valid)
                              .view({-1, K, T})
                              .sum(std::vector<std::int64_t>{0, 2});
        const auto perKCount = valid.view({-1, K, T}).sum(std::vector<std::int64_t>{0, 2});
        for (int k = 0; k < K; ++k) {
            sum[k] += perK[k].item<double>();
            count[k] += perKCount[k].item<double>();
        }
    }
    HeldOutLoss out;
    double total = 0, tokens = 0;
    for (int k = 0; k < K; ++k) {
        out.perCodebook.push_back(count[k] > 0 ? sum[k] / count[k] : 0.0);
        total += sum[k];
        tokens += count[k];
    }
    out.ce = total / tokens;
    if (!std::isfinite(out.ce))
        throw std::runtime_error("model '" + modelDir +
                                 "' gives a non-finite loss (corrupt weights?)");
    out.pieces = static_cast<int>(corpus.pieces.size());
    out.frames = F;
    out.tokens = static_cast<long long>(tokens);
    return out;
}

} // namespace moodsteer
