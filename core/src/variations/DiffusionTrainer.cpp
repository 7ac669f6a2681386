#include "core/variations/VariationTraining.h"
#include "models/AtomicFile.h"
#include "variations/AttentionCurveMaker.h"
#include "variations/StageCheckpoint.h"
#include "variations/StageTrainers.h"
#include "variations/TrainingSegments.h"
#include "variations/VariationModel.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace moodsteer::variations {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

/// What the curves depend on: the segments' codes.
double corpusFingerprint(const CorpusPieces& pieces, const std::vector<SegmentRef>& refs, int T) {
    double h = static_cast<double>(refs.size());
    for (std::size_t i = 0; i < refs.size(); ++i) {
        const auto& c = pieces.codes[static_cast<std::size_t>(refs[i].piece)];
        for (int k = 0; k < 4; ++k)
            for (int t = refs[i].begin; t < std::min(c.frames, refs[i].begin + T); t += 7)
                h += static_cast<double>(c.at(k, t) % 9973) * static_cast<double>((i % 13) + 1);
    }
    return h;
}

/// Normalised attention curves [N, 3, T/4] of every segment, cached in `cacheFile`.
torch::Tensor segmentCurves(const CorpusPieces& pieces, const std::vector<SegmentRef>& refs, int T,
                            const fs::path& cacheFile, const ProgressFn& onProgress,
                            const std::atomic<bool>* cancel) {
    const double fingerprint = corpusFingerprint(pieces, refs, T);
    if (fs::exists(cacheFile)) {
        torch::serialize::InputArchive in;
        in.load_from(cacheFile.string());
        torch::Tensor fp, curves;
        in.read("fingerprint", fp);
        in.read("curves", curves);
        if (fp.item<double>() == fingerprint && curves.size(0) == static_cast<long>(refs.size()) &&
            curves.size(1) == kCurveChannels)
            return curves;
    }
    const AttentionCurveMaker maker;
    const int L = T / models::VariationVaeConfig::kDownsample;
    auto curves = torch::zeros({static_cast<long>(refs.size()), kCurveChannels, L});
    const auto t0 = Clock::now();
    for (std::size_t i = 0; i < refs.size(); ++i) {
        if (cancel && cancel->load()) throw std::runtime_error("cancelled");
        const auto& src = pieces.codes[static_cast<std::size_t>(refs[i].piece)];
        const int end = std::min(src.frames, refs[i].begin + T);
        auto n =
            AttentionCurveMaker::normalisedFrames(maker.curve(src.slice(refs[i].begin, end)), L);
        curves[static_cast<long>(i)].copy_(torch::from_blob(n.data(), {kCurveChannels, L}));
        if (onProgress && (i + 1) % 50 == 0) {
            VariationTrainProgress p;
            p.stage = "diffusion";
            const double s = std::chrono::duration<double>(Clock::now() - t0).count();
            p.message = "attention curves: " + std::to_string(i + 1) + " of " +
                        std::to_string(refs.size()) + " segments (" +
                        std::to_string(static_cast<int>(s)) + " s)";
            onProgress(p);
        }
    }
    models::writeFileAtomically(cacheFile.string(), [&](const std::string& tmp) {
        torch::serialize::OutputArchive a;
        a.write("fingerprint", torch::tensor(fingerprint, torch::kDouble));
        a.write("curves", curves);
        a.save_to(tmp);
    });
    return curves;
}

} // namespace

void trainDiffusionStage(const VariationTrainOptions& o, const ProgressFn& onProgress,
                         const std::atomic<bool>* cancel) {
    torch::manual_seed(o.seed + 1);
    auto model = VariationModel::load(o.outDir, false);
    const auto pieces = loadPieces(o.corpusDir);
    const int T = o.segmentFrames;
    const auto refs = fixedSegments(pieces, T, o.segmentHopFrames);
    const fs::path out(o.outDir),
        ckpt(o.checkpointDir.empty() ? out / "checkpoint" : fs::path(o.checkpointDir));
    fs::create_directories(ckpt);
    const auto curves = segmentCurves(pieces, refs, T, ckpt / "curves.pt", onProgress, cancel);
    {
        const auto flat = curves.contiguous();
        model.curveCoupling = AttentionCurveMaker::fitCoupling(
            {flat.data_ptr<float>(), static_cast<std::size_t>(flat.numel())},
            static_cast<int>(flat.size(0)), static_cast<int>(flat.size(1)),
            static_cast<int>(flat.size(2)));
    }

    // The data: posterior means of every segment under the trained VAE, normalised per channel.
    torch::Tensor latents, globals;
    {
        torch::NoGradGuard noGrad;
        std::vector<torch::Tensor> mus, gs;
        for (std::size_t b0 = 0; b0 < refs.size(); b0 += 64) {
            const std::vector<SegmentRef> chunk(
                refs.begin() + static_cast<long>(b0),
                refs.begin() + static_cast<long>(std::min(refs.size(), b0 + 64)));
            const auto batch = toTensors(fieldsOf(pieces, chunk, T));
            mus.push_back(model.encodeMean(batch, false));
            gs.push_back(batch.globals);
        }
        latents = torch::cat(mus, 0);
        globals = torch::cat(gs, 0);
    }
    const int C = model.vae->config().latentChannels();
    const std::vector<std::int64_t> dims{0, 2};
    auto mean = latents.mean(dims).contiguous();
    auto sd = (latents.std(dims, false) + 1e-4).contiguous();
    model.latentMean.assign(mean.data_ptr<float>(), mean.data_ptr<float>() + C);
    model.latentStd.assign(sd.data_ptr<float>(), sd.data_ptr<float>() + C);
    latents = (latents - mean.view({1, -1, 1})) / sd.view({1, -1, 1});

    models::LatentDiffusionConfig dc;
    dc.latentChannels = C;
    dc.subspaces = static_cast<int>(model.vae->config().subspaceNames.size());
    dc.curveChannels = kCurveChannels;
    dc.width = o.width;
    dc.conditionWidth = o.conditionWidth;
    dc.heads = o.heads;
    dc.timesteps = o.timesteps;
    model.diffusion = models::LatentDiffusion(dc);
    auto& net = model.diffusion;
    torch::optim::AdamW optimizer(
        net->parameters(), torch::optim::AdamWOptions(o.diffusionLearningRate).weight_decay(0.01));
    const auto stateFile = ckpt / "diffusion_state.pt";
    const StageState resumed = loadStageState(stateFile, *net, optimizer);
    int step = resumed.step;
    double trainedSeconds = resumed.seconds;
    if (step > 0) {
        std::fprintf(stderr, "train-variations: diffusion resuming from step %d\n", step);
    }
    const auto logFile = out / "diffusion_training_log.csv";
    std::string logText = stageLog(logFile, step, "step,loss,lr,seconds\n");
    const auto alphaBars = models::cosineAlphaBars(o.timesteps);
    auto abar = torch::tensor(std::vector<float>(alphaBars.begin(), alphaBars.end()));
    const auto N = latents.size(0);

    auto save = [&](int atStep, double seconds) {
        saveStageState(stateFile, *net, optimizer, atStep, seconds);
        model.training["diffusion"] = {{"steps", atStep},
                                       {"seconds", seconds},
                                       {"batch", o.diffusionBatch},
                                       {"segments", N},
                                       {"segment_hop_frames", o.segmentHopFrames},
                                       {"learning_rate", o.diffusionLearningRate},
                                       {"condition_dropout", o.conditionDropout},
                                       {"summary_dropout", o.summaryDropout},
                                       {"subspace_dropout", o.subspaceDropout},
                                       {"timesteps", o.timesteps},
                                       {"schedule", "cosine"},
                                       {"prediction", "epsilon"},
                                       {"seed", o.seed},
                                       {"threads", o.threads}};
        net->eval();
        model.save(o.outDir);
        net->train();
        models::writeTextAtomically(logFile.string(), logText);
    };

    std::mt19937_64 rng(o.seed * 7727 + static_cast<std::uint64_t>(step));
    const auto t0 = Clock::now();
    const double startSeconds = trainedSeconds;
    const int firstStep = step;
    net->train();
    while (step < o.diffusionSteps) {
        const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
        if ((cancel && cancel->load()) ||
            (o.diffusionMinutes > 0 && elapsed > o.diffusionMinutes * 60))
            break;
        std::vector<std::int64_t> pick(static_cast<std::size_t>(o.diffusionBatch));
        std::vector<std::int64_t> ts(pick.size());
        const auto S = static_cast<std::size_t>(net->config().subspaces);
        std::vector<float> drop(pick.size()), dropSummary(pick.size() * S);
        std::uniform_int_distribution<std::int64_t> row(0, N - 1), tDist(0, o.timesteps - 1);
        std::uniform_real_distribution<double> u(0, 1);
        for (std::size_t i = 0; i < pick.size(); ++i) {
            pick[i] = row(rng);
            ts[i] = tDist(rng);
            drop[i] = u(rng) < o.conditionDropout ? 1.f : 0.f;
            // (No draw when off, so that a run without it repeats the runs from before it.)
            const bool all = o.summaryDropout > 0 && u(rng) < o.summaryDropout;
            for (std::size_t k = 0; k < S; ++k)
                dropSummary[i * S + k] =
                    all || (o.subspaceDropout > 0 && u(rng) < o.subspaceDropout) ? 1.f : 0.f;
        }
        auto idx = torch::tensor(pick);
        auto x0 = latents.index_select(0, idx);
        auto t = torch::tensor(ts);
        auto a = abar.index_select(0, t).view({-1, 1, 1});
        auto noise = torch::randn_like(x0);
        auto xt = a.sqrt() * x0 + (1 - a).sqrt() * noise;
        const auto curve = curves.index_select(0, idx);
        const auto dropped = torch::tensor(drop);
        auto cond = net->condition(curve, x0, globals.index_select(0, idx), dropped,
                                   torch::tensor(dropSummary).view({-1, static_cast<long>(S)}));
        auto loss = torch::mse_loss(net->forward(xt, t, cond, curve, dropped), noise);
        const double lr = stageLearningRate(o.diffusionLearningRate, step, o.diffusionSteps);
        for (auto& g : optimizer.param_groups())
            static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
        optimizer.zero_grad();
        loss.backward();
        torch::nn::utils::clip_grad_norm_(net->parameters(), 1.0);
        optimizer.step();
        ++step;
        const double now = std::chrono::duration<double>(Clock::now() - t0).count();
        trainedSeconds = startSeconds + now;
        std::ostringstream line;
        line << step << ',' << loss.item<double>() << ',' << lr << ',' << trainedSeconds << '\n';
        logText += line.str();
        if (onProgress) {
            VariationTrainProgress p;
            p.stage = "diffusion";
            p.step = step;
            p.totalSteps = o.diffusionSteps;
            p.loss = loss.item<double>();
            p.elapsedSeconds = trainedSeconds;
            p.etaSeconds = now / std::max(1, step - firstStep) * (o.diffusionSteps - step);
            onProgress(p);
        }
        if (step % o.checkpointEvery == 0) save(step, trainedSeconds);
    }
    save(step, trainedSeconds);
}

} // namespace moodsteer::variations
