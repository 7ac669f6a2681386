#include "core/variations/VariationTraining.h"
#include "models/AtomicFile.h"
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

namespace moodsteer {
namespace variations {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

void trainVaeStage(const VariationTrainOptions& o, const ProgressFn& onProgress,
                   const std::atomic<bool>* cancel) {
    torch::manual_seed(o.seed);
    const auto pieces = loadPieces(o.corpusDir);
    models::VariationVaeConfig vc;
    vc.latentPerSubspace = o.latentPerSubspace;
    vc.encoderWidth = o.encoderWidth;
    vc.decoderWidth = o.decoderWidth;
    vc.blocksPerStage = o.blocksPerStage;
    VariationModel model;
    model.vae = models::VariationVae(vc);
    auto& vae = model.vae;
    torch::optim::AdamW optimizer(vae->parameters(),
                                  torch::optim::AdamWOptions(o.vaeLearningRate).weight_decay(0.01));
    const fs::path out(o.outDir),
        ckpt(o.checkpointDir.empty() ? out / "checkpoint" : fs::path(o.checkpointDir));
    fs::create_directories(ckpt);
    const auto stateFile = ckpt / "vae_state.pt";
    const StageState resumed = loadStageState(stateFile, *vae, optimizer);
    int step = resumed.step;
    double trainedSeconds = resumed.seconds;
    if (step > 0) {
        std::fprintf(stderr, "train-variations: vae resuming from step %d\n", step);
    }
    const auto logFile = out / "vae_training_log.csv";
    const std::string header = "step,loss,reconstruction,kl,beta,lr,seconds\n";
    std::string logText = stageLog(logFile, step, header);
    const int T = o.segmentFrames;

    auto save = [&](int atStep, double seconds) {
        saveStageState(stateFile, *vae, optimizer, atStep, seconds);
        model.training["vae"] = {{"steps", atStep},
                                 {"seconds", seconds},
                                 {"batch", o.vaeBatch},
                                 {"segment_frames", T},
                                 {"learning_rate", o.vaeLearningRate},
                                 {"beta_max", o.betaMax},
                                 {"beta_warmup_steps", o.betaWarmupSteps},
                                 {"free_bits", o.freeBits},
                                 {"seed", o.seed},
                                 {"corpus_pieces", pieces.codes.size()},
                                 {"threads", o.threads}};
        vae->eval();
        model.save(o.outDir);
        vae->train();
        models::writeTextAtomically(logFile.string(), logText);
    };

    // One random stream per run, advanced from the resumed step: a resumed run draws new crops.
    std::mt19937_64 rng(o.seed * 104729 + static_cast<std::uint64_t>(step));
    const auto t0 = Clock::now();
    const double startSeconds = trainedSeconds;
    const int firstStep = step;
    vae->train();
    while (step < o.vaeSteps) {
        const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
        if ((cancel && cancel->load()) || (o.vaeMinutes > 0 && elapsed > o.vaeMinutes * 60)) break;
        const auto batch =
            toTensors(fieldsOf(pieces, randomSegments(pieces, T, o.vaeBatch, rng), T));
        const double lr = stageLearningRate(o.vaeLearningRate, step, o.vaeSteps);
        for (auto& g : optimizer.param_groups())
            static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
        auto post = vae->encode(batch.categorical, batch.drums, batch.globals);
        auto z = post.mu + torch::exp(0.5 * post.logvar) * torch::randn_like(post.mu);
        auto logits = vae->decode(z, batch.globals);
        auto rec = vae->losses(logits, batch.categorical, batch.drums);
        // KL per latent channel, averaged over the batch and the latent frames; free bits:
        // below `freeBits` nats a channel costs nothing, so the decoder never learns to ignore
        // a whole subspace (posterior collapse) to save a little KL.
        auto klPerChannel = (0.5 * (post.mu.pow(2) + post.logvar.exp() - 1 - post.logvar))
                                .mean(std::vector<std::int64_t>{0, 2});
        auto kl = klPerChannel.clamp_min(o.freeBits).sum() /
                  double(models::VariationVaeConfig::kDownsample);
        const double beta =
            o.betaMax * std::min(1.0, double(step) / std::max(1, o.betaWarmupSteps));
        auto loss = rec.reconstruction + beta * kl;
        optimizer.zero_grad();
        loss.backward();
        torch::nn::utils::clip_grad_norm_(vae->parameters(), 1.0);
        optimizer.step();
        ++step;
        const double now = std::chrono::duration<double>(Clock::now() - t0).count();
        trainedSeconds = startSeconds + now;
        std::ostringstream line;
        line << step << ',' << loss.item<double>() << ',' << rec.reconstruction.item<double>()
             << ',' << klPerChannel.sum().item<double>() << ',' << beta << ',' << lr << ','
             << trainedSeconds << '\n';
        logText += line.str();
        if (onProgress) {
            VariationTrainProgress p;
            p.stage = "vae";
            p.step = step;
            p.totalSteps = o.vaeSteps;
            p.loss = loss.item<double>();
            p.reconstruction = rec.reconstruction.item<double>();
            p.kl = klPerChannel.sum().item<double>();
            p.beta = beta;
            p.elapsedSeconds = trainedSeconds;
            p.etaSeconds = now / std::max(1, step - firstStep) * (o.vaeSteps - step);
            onProgress(p);
        }
        if (step % o.checkpointEvery == 0) save(step, trainedSeconds);
    }
    save(step, trainedSeconds);
}

} // namespace variations

VaeFigures measureVae(const std::string& modelDir, const std::string& corpusDir, int maxSegments) {
    using namespace variations;
    auto model = VariationModel::load(modelDir, false);
    const auto pieces = loadPieces(corpusDir);
    const int T = 200;
    auto refs = fixedSegments(pieces, T, T);
    if (static_cast<int>(refs.size()) > maxSegments)
        refs.resize(static_cast<std::size_t>(maxSegments));
    VaeFigures f;
    f.segments = static_cast<int>(refs.size());
    f.streamAccuracy.assign(4, 0.0);
    const auto& vc = model.vae->config();
    const int C = vc.latentChannels();
    std::vector<torch::Tensor> mus;
    std::int64_t correct[4] = {0, 0, 0, 0}, total = 0;
    torch::NoGradGuard noGrad;
    for (std::size_t b0 = 0; b0 < refs.size(); b0 += 32) {
        const std::vector<SegmentRef> chunk(refs.begin() + static_cast<long>(b0),
                                            refs.begin() +
                                                static_cast<long>(std::min(refs.size(), b0 + 32)));
        const auto batch = toTensors(fieldsOf(pieces, chunk, T));
        auto mu = model.encodeMean(batch, false);
        mus.push_back(mu);
        const auto fields = model.decodeFields(mu, batch.globals, false); // as generation does
        for (std::size_t i = 0; i < chunk.size(); ++i) {
            const auto& src = pieces.codes[static_cast<std::size_t>(chunk[i].piece)];
            const int frames = std::min(T, src.frames - chunk[i].begin);
            const auto codes =
                VariationModel::toCodes(fields, static_cast<int>(i), frames, src, chunk[i].begin);
            for (int k = 0; k < 4; ++k)
                for (int t = 0; t < frames; ++t)
                    correct[k] += codes.at(k, t) == src.at(k, chunk[i].begin + t);
            total += frames;
        }
    }
    for (int k = 0; k < 4; ++k)
        f.streamAccuracy[static_cast<std::size_t>(k)] =
            total ? double(correct[k]) / double(total) : 0;
    f.tokenAccuracy =
        total ? double(correct[0] + correct[1] + correct[2] + correct[3]) / double(4 * total) : 0;
    // Active units (Burda et al.): Var over inputs of E[z|x] > 0.01, each latent frame an input.
    auto all = torch::cat(mus, 0).transpose(1, 2).reshape({-1, C});
    auto var = all.var(0);
    f.subspaces = vc.subspaceNames;
    for (std::size_t s = 0; s < vc.subspaceNames.size(); ++s) {
        int active = 0;
        for (int c = 0; c < vc.latentPerSubspace; ++c)
            active += var[static_cast<long>(s) * vc.latentPerSubspace + c].item<double>() > 0.01;
        f.activeUnits.push_back(active);
        f.unitsPerSubspace.push_back(vc.latentPerSubspace);
    }
    return f;
}

} // namespace moodsteer
