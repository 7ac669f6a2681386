#include "training/TrainingBatch.h"

#include "audio/CodeGridJoin.h"

#include <torch/torch.h>

#include <map>
#include <stdexcept>
#include <string>

namespace moodsteer {

std::vector<SampleDraw> drawBatch(const TrainingCorpus& corpus, int count, const BatchShape& s,
                                  std::mt19937_64& rng) {
    std::vector<SampleDraw> draws(count);
    std::uniform_real_distribution<double> uni(0, 1);
    for (auto& d : draws) {
        d.piece = &corpus.pieces[rng() % corpus.pieces.size()];
        const int maxStart = (d.piece->codes.frames - s.cropFrames) / s.windowFrames;
        if (maxStart < 0)
            throw std::runtime_error("a corpus piece is shorter than the training crop");
        d.window = uni(rng) < s.startCropShare ? 0 : static_cast<int>(rng() % (maxStart + 1));
        d.dropAv = uni(rng) < s.avDropout;
    }
    for (auto& d : draws)
        d.dropText = uni(rng) < s.textDropout; // CFG: learn the unconditional branch
    if (s.transitionShare > 0) {
        const int windows = s.cropFrames / s.windowFrames;
        if (windows < 2)
            throw std::runtime_error("a mood change inside a crop needs a crop of at least two "
                                     "LARA windows");
        std::map<std::string, std::vector<const TrainingPiece*>> byGenre;
        for (const auto& p : corpus.pieces)
            byGenre[p.genre].push_back(&p);
        for (auto& d : draws) {
            // Crops from a piece's first frame stay openings: there the LM must take genre and
            // tempo from the prompt (BatchShape::openingWeight), which a context would give away.
            if (uni(rng) >= s.transitionShare || d.window == 0) continue;
            // Conditioned: the unconditional branch should continue its context, not jump.
            d.dropAv = d.dropText = false;
            const auto& same = byGenre[d.piece->genre];
            d.context = same[rng() % same.size()];
            d.contextFrames = s.windowFrames * (1 + static_cast<int>(rng() % (windows - 1)));
            const int maxStart = (d.context->codes.frames - d.contextFrames) / s.windowFrames;
            d.contextWindow = static_cast<int>(rng() % (maxStart + 1));
        }
    }
    return draws;
}

std::vector<float> tokenWeights(const SampleDraw& d, const DelayPattern& pattern,
                                const BatchShape& s) {
    const int K = pattern.numCodebooks(), T = pattern.length() - 1;
    std::vector<float> w(static_cast<std::size_t>(K) * T, 1.0f);
    for (int k = 0; k < K; ++k)
        for (int t = 0; t < T; ++t) {
            auto& x = w[static_cast<std::size_t>(k) * T + t];
            if (pattern.isForced(k, t + 1))
                x = 0;
            else if (d.context)
                x = pattern.frameAt(k, t + 1) < d.contextFrames ? 0.0f : 1.0f;
            else if (d.window == 0 && t + 1 - k < s.openingFrames) // the target token's frame
                x = static_cast<float>(s.openingWeight);
        }
    return w;
}

TrainingBatch buildBatch(std::span<const SampleDraw> draws, const DelayPattern& pattern,
                         const BatchShape& s, bool withAv, bool withLara) {
    const int B = static_cast<int>(draws.size());
    const int K = pattern.numCodebooks(), T = pattern.length() - 1, F = s.cropFrames;
    std::vector<std::int64_t> input(static_cast<std::size_t>(B) * K * T), target(input.size());
    std::vector<float> weight;
    std::vector<float> lara, va;
    std::vector<float> avMask;
    std::size_t maxText = 1;
    for (const auto& d : draws)
        maxText = std::max(maxText, d.piece->promptIds.size());
    for (int b = 0; b < B; ++b) {
        const auto& d = draws[b];
        const int f0 = d.window * s.windowFrames, c0 = d.contextWindow * s.windowFrames;
        const auto delayed =
            pattern.build(d.context ? joinFrames(d.context->codes.slice(c0, c0 + d.contextFrames),
                                                 d.piece->codes.slice(f0, f0 + F - d.contextFrames))
                                    : d.piece->codes.slice(f0, f0 + F));
        for (int k = 0; k < K; ++k)
            for (int t = 0; t < T; ++t) {
                const std::size_t i = (static_cast<std::size_t>(b) * K + k) * T + t;
                input[i] = delayed[static_cast<std::size_t>(k) * pattern.length() + t];
                target[i] = pattern.isForced(k, t + 1)
                                ? -100
                                : delayed[static_cast<std::size_t>(k) * pattern.length() + t + 1];
            }
        const auto w = tokenWeights(d, pattern, s);
        weight.insert(weight.end(), w.begin(), w.end());
        if (withLara) {
            const int before = d.contextFrames / s.windowFrames; // the context's windows
            for (int win = 0; win < F / s.windowFrames; ++win) {
                const auto& features = win < before ? d.context->windows.at(d.contextWindow + win)
                                                    : d.piece->windows.at(d.window + win - before);
                lara.insert(lara.end(), features.begin(), features.end());
            }
        }
        va.push_back(static_cast<float>(d.piece->valence));
        va.push_back(static_cast<float>(d.piece->arousal));
        avMask.push_back(d.dropAv ? 0.0f : 1.0f);
    }
    TrainingBatch out;
    out.ids = torch::zeros({B, static_cast<long>(maxText)}, torch::kInt64);
    out.promptMask = torch::zeros({B, static_cast<long>(maxText)}, torch::kInt64);
    for (int b = 0; b < B; ++b)
        for (std::size_t i = 0; i < draws[b].piece->promptIds.size(); ++i) {
            out.ids[b][i] = draws[b].piece->promptIds[i];
            out.promptMask[b][i] = 1;
        }
    std::vector<std::int64_t> keep;
    for (const auto& d : draws)
        keep.push_back(d.dropText ? 0 : 1);
    out.textMask = out.promptMask * torch::tensor(keep, torch::kInt64).view({B, 1}); // CFG dropout
    if (withAv) {
        out.va = torch::from_blob(va.data(), {B, 2}, torch::kFloat32).clone();
        out.avMask = torch::from_blob(avMask.data(), {B}, torch::kFloat32).clone();
    }
    out.input = torch::from_blob(input.data(), {B * K, T}, torch::kInt64).clone();
    out.target = torch::from_blob(target.data(), {B * K * T}, torch::kInt64).clone();
    out.weight = torch::from_blob(weight.data(), {B * K * T}, torch::kFloat32).clone();
    if (withLara && B > 0) {
        const long windows = F / s.windowFrames;
        out.laraTarget =
            torch::from_blob(lara.data(),
                             {B, windows, static_cast<long>(lara.size()) / B / windows},
                             torch::kFloat32)
                .clone();
    }
    return out;
}

} // namespace moodsteer
