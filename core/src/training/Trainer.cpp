#include "core/training/Training.h"

#include "core/synth/SynthCodec.h"
#include "engine/ComputeThreads.h"
#include "engine/DelayPattern.h"
#include "models/AtomicFile.h"
#include "models/LaraProxy.h"
#include "models/MusicgenModel.h"
#include "models/SentencePieceTokenizer.h"
#include "models/StateDict.h"
#include "training/DataParallelGroup.h"
#include "training/RepresentationLoss.h"
#include "training/TrainingBatch.h"
#include "training/TrainingCorpus.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <span>
#include <sstream>
#include <sys/wait.h>

namespace moodsteer {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

nlohmann::json modelConfig(const TrainOptions& o, int vocab, int codebooks, int cardinality,
                           const std::vector<std::string>& genres) {
    nlohmann::json c;
    c["model_type"] = "musicgen";
    c["_name_or_path"] = "moodsteer-embedded";
    c["text_encoder"] = {{"model_type", "t5"},
                         {"vocab_size", vocab},
                         {"d_model", o.textWidth},
                         {"d_kv", o.textWidth / o.textHeads},
                         {"d_ff", o.textFfn},
                         {"num_layers", o.textLayers},
                         {"num_heads", o.textHeads},
                         {"relative_attention_num_buckets", 32},
                         {"relative_attention_max_distance", 128},
                         {"layer_norm_epsilon", 1e-6},
                         {"feed_forward_proj", "relu"},
                         {"pad_token_id", 0},
                         {"eos_token_id", 1}};
    c["decoder"] = {{"model_type", "musicgen_decoder"},
                    {"vocab_size", cardinality},
                    {"max_position_embeddings", o.maxPositions},
                    {"num_hidden_layers", o.lmLayers},
                    {"ffn_dim", o.lmFfn},
                    {"num_attention_heads", o.lmHeads},
                    {"hidden_size", o.lmWidth},
                    {"num_codebooks", codebooks},
                    {"activation_function", "gelu"},
                    {"scale_embedding", false},
                    {"pad_token_id", cardinality},
                    {"bos_token_id", cardinality}};
    nlohmann::json ms;
    ms["codec"] = {{"name", "synthcodec"}};
    ms["genres"] = genres;
    if (o.useAvEncoder) ms["av_encoder"] = {{"hidden_size", 128}, {"output_size", o.textWidth}};
    ms["training"] = {{"lara_alpha", o.laraAlpha},
                      {"lara_window_seconds", o.laraWindowSeconds},
                      {"text_dropout", o.textDropout},
                      {"av_dropout", o.avDropout},
                      {"start_crop_share", o.startCropShare},
                      {"opening_weight", o.openingWeight},
                      {"opening_frames", o.openingFrames},
                      {"transition_share", o.transitionShare},
                      {"rr_lambda", o.rrLambda},
                      {"rr_pool", o.rrPool == RepresentationPool::Max ? "max" : "mean"},
                      {"world_size", o.distributed.worldSize},
                      {"global_batch", o.batchSize * o.distributed.worldSize},
                      {"steps", o.steps},
                      {"seed", o.seed}};
    c["moodsteer"] = ms;
    return c;
}

/// Runs spm_train (a separate process: SentencePiece and LibTorch must not share one).
void trainTokenizer(const std::vector<std::string>& prompts, const fs::path& out, int vocab) {
    const auto tmp = fs::temp_directory_path() / ("moodsteer-spm-" + std::to_string(::getpid()));
    fs::create_directories(tmp);
    {
        std::ofstream f(tmp / "prompts.txt");
        for (const auto& p : prompts)
            f << p << "\n";
    }
    const std::string cmd = "spm_train --input='" + (tmp / "prompts.txt").string() +
                            "' --model_prefix='" + (tmp / "spiece").string() +
                            "' --vocab_size=" + std::to_string(vocab) +
                            " --model_type=bpe --pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1"
                            " --normalization_rule_name=nmt_nfkc --character_coverage=1.0"
                            " --hard_vocab_limit=false --num_threads=1 --minloglevel=2"
                            " > '" +
                            (tmp / "log.txt").string() + "' 2>&1";
    const int rc = std::system(cmd.c_str());
    if (rc != 0 || !fs::exists(tmp / "spiece.model"))
        throw std::runtime_error("spm_train failed (is the 'sentencepiece' package installed?); "
                                 "see " +
                                 (tmp / "log.txt").string());
    models::writeFileAtomically(out.string(), [&](const std::string& dst) {
        fs::copy_file(tmp / "spiece.model", dst, fs::copy_options::overwrite_existing);
    });
    fs::remove_all(tmp);
}

void saveModel(models::MusicgenModelImpl& model, const nlohmann::json& config, double guidanceScale,
               const fs::path& dir) {
    fs::create_directories(dir);
    models::SafetensorsWriter w;
    // Half precision on disk keeps the shipped model small; the loader converts to f32.
    for (const auto& p : model.named_parameters())
        models::addTensor(w, p.key(), p.value().detach().to(torch::kFloat16));
    for (const auto& b : model.named_buffers())
        models::addTensor(w, b.key(), b.value());
    w.setMetadata("format", "pt");
    w.write((dir / "model.safetensors").string());
    models::writeTextAtomically((dir / "config.json").string(), config.dump(2) + "\n");
    // As in the Hugging Face layout: sampling defaults next to the architecture.
    const nlohmann::json generation{{"do_sample", true}, {"guidance_scale", guidanceScale}};
    models::writeTextAtomically((dir / "generation_config.json").string(),
                                generation.dump(2) + "\n");
}

/// Everything that must be equal on every rank of a data-parallel run (not the thread count,
/// time budget or folders, which may differ per machine).
std::string optionsFingerprint(const TrainOptions& o) {
    std::ostringstream f;
    f.precision(17);
    f << o.steps << ' ' << o.batchSize << ' ' << o.cropFrames << ' ' << o.learningRate << ' '
      << o.warmupSteps << ' ' << o.weightDecay << ' ' << o.gradClip << ' ' << o.laraAlpha << ' '
      << o.laraWindowSeconds << ' ' << o.useAvEncoder << ' ' << o.textDropout << ' ' << o.avDropout
      << ' ' << o.rrLambda << ' ' << static_cast<int>(o.rrPool) << ' ' << o.seed << ' '
      << o.checkpointEvery << ' ' << o.vocabSize << ' ' << o.startCropShare << ' '
      << o.openingWeight << ' ' << o.openingFrames << ' ' << o.transitionShare << ' '
      << o.guidanceScale << ' ' << o.textWidth << ' ' << o.textLayers << ' ' << o.textHeads << ' '
      << o.textFfn << ' ' << o.lmWidth << ' ' << o.lmLayers << ' ' << o.lmHeads << ' ' << o.lmFfn
      << ' ' << o.maxPositions;
    return f.str();
}

/// A hash of what training reads from the corpus: ranks with per-host copies must agree.
std::string corpusFingerprint(const TrainingCorpus& c) {
    std::uint64_t h = 1469598103934665603ull; // FNV-1a
    auto mix = [&h](const void* data, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i)
            h = (h ^ static_cast<const unsigned char*>(data)[i]) * 1099511628211ull;
    };
    for (const auto& p : c.pieces) {
        mix(p.prompt.data(), p.prompt.size());
        mix(p.codes.data.data(), p.codes.data.size() * sizeof(std::int64_t));
        mix(&p.valence, sizeof p.valence);
        mix(&p.arousal, sizeof p.arousal);
        for (const auto& w : p.windows)
            mix(w.data(), w.size() * sizeof(float));
    }
    return std::to_string(c.pieces.size()) + ":" + std::to_string(h);
}

std::string readBytes(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    if (!in) throw std::runtime_error("cannot read '" + file.string() + "'");
    return s.str();
}

} // namespace

void runTraining(const TrainOptions& o, const std::function<void(const TrainProgress&)>& onProgress,
                 const std::atomic<bool>* cancel) {
    if (o.outDir.empty() || o.corpusDir.empty())
        throw std::runtime_error("training needs a corpus folder and an output folder");
    if (o.batchSize < 1 || o.steps < 1 || o.cropFrames < 1)
        throw std::runtime_error("batch size, steps and crop length must be positive");
    if (!(o.transitionShare >= 0 && o.transitionShare <= 1))
        throw std::runtime_error("the share of mood-change crops must be in [0, 1]");
    if (!(o.rrLambda >= 0) || !std::isfinite(o.rrLambda))
        throw std::runtime_error("the representation-regularisation weight must be >= 0");
    const int W = o.distributed.worldSize;
    if (W < 1) throw std::runtime_error("the world size must be at least 1");
    const bool lead = o.distributed.rank == 0; // writes files and logs
    setComputeThreads(o.threads);
    torch::manual_seed(o.seed);
    const fs::path out(o.outDir);
    const fs::path ckptDir =
        o.checkpointDir.empty() ? out / "checkpoint" : fs::path(o.checkpointDir);
    SynthCodec codec;
    const int K = codec.numCodebooks();
    const int V = codec.cardinality();
    const int windowFrames = static_cast<int>(std::lround(o.laraWindowSeconds * codec.frameRate()));
    if (o.cropFrames % windowFrames != 0)
        throw std::runtime_error("crop length must be a multiple of the LARA window (" +
                                 std::to_string(windowFrames) + " frames)");
    auto corpus = TrainingCorpus::load(o.corpusDir);
    if (o.laraAlpha > 0) corpus.computeLaraTargets(o.corpusDir, codec, windowFrames);

    // Joined after the corpus is ready, so that every rank's slow part is behind it.
    std::unique_ptr<DataParallelGroup> group;
    if (W > 1) {
        group = std::make_unique<DataParallelGroup>(o.distributed);
        group->requireSame("training options", optionsFingerprint(o));
        group->requireSame("corpus", corpusFingerprint(corpus));
    }
    // Only now, with the options and the corpus accepted: a refused run creates no folder.
    if (lead) {
        fs::create_directories(out);
        fs::create_directories(ckptDir);
    }

    // Tokenizer trained on the corpus prompts (kept when it already exists: resumable).
    // Only rank 0 has the output folder; the other ranks get its bytes.
    const auto spm = out / "spiece.model";
    if (lead && !fs::exists(spm)) {
        std::vector<std::string> prompts;
        for (const auto& p : corpus.pieces)
            prompts.push_back(p.prompt);
        trainTokenizer(prompts, spm, o.vocabSize);
    }
    std::unique_ptr<models::SentencePieceTokenizer> tokenizer;
    if (group) {
        const auto model = group->broadcastBytes("the tokenizer", lead ? readBytes(spm) : "");
        if (lead) {
            tokenizer = models::SentencePieceTokenizer::load(spm.string());
        } else {
            const auto tmp = fs::temp_directory_path() /
                             ("moodsteer-spm-rank-" + std::to_string(::getpid()) + ".model");
            std::ofstream(tmp, std::ios::binary) << model;
            tokenizer = models::SentencePieceTokenizer::load(tmp.string());
            fs::remove(tmp);
        }
    } else {
        tokenizer = models::SentencePieceTokenizer::load(spm.string());
    }
    for (auto& p : corpus.pieces)
        p.promptIds = tokenizer->encodeT5(p.prompt);

    const auto config =
        modelConfig(o, static_cast<int>(tokenizer->pieceSize()), K, V, corpus.genres);
    auto model =
        std::make_shared<models::MusicgenModelImpl>(models::MusicgenConfig::fromJson(config));
    models::LaraProxyConfig pc;
    pc.lm_hidden_size = o.lmWidth;
    pc.num_queries = o.cropFrames / windowFrames;
    pc.feature_size = std::max(1, corpus.featureSize);
    models::LaraProxy proxy(pc);
    std::vector<torch::Tensor> params = model->parameters();
    for (auto& p : proxy->parameters())
        params.push_back(p);
    torch::optim::AdamW optimizer(
        params,
        torch::optim::AdamWOptions(o.learningRate).weight_decay(o.weightDecay).betas({0.9, 0.95}));
    int startStep = 0;
    const auto ckptFile = ckptDir / "state.pt";
    // Rank 0's checkpoint (if any) on every rank: the others may run on machines without it,
    // and it holds no world size, so a run resumes with any number of ranks.
    std::string state = lead && fs::exists(ckptFile) ? readBytes(ckptFile) : "";
    if (group) state = group->broadcastBytes("the checkpoint", state);
    if (!state.empty()) {
        torch::serialize::InputArchive in;
        in.load_from(state.data(), state.size());
        static_cast<torch::nn::Module&>(*model).load(
            in); // MusicgenModelImpl::load(folder) hides it
        proxy->load(in);
        torch::serialize::InputArchive opt;
        in.read("optimizer", opt);
        optimizer.load(opt);
        torch::Tensor step;
        in.read("step", step);
        startStep = step.item<int>();
        if (lead)
            std::fprintf(stderr, "train: resuming from step %d (%s)\n", startStep,
                         ckptFile.c_str());
    }
    state.clear();
    if (group) group->broadcast(params); // one starting point even if initialisation differs
    // The log is rewritten atomically with every checkpoint, so that after a crash or a
    // signal it holds exactly the steps the checkpoint has (a resumed run drops later lines).
    const auto logFile = out / "training_log.csv";
    std::string logText = "step,loss,ce,lara,lr,seconds,rr\n";
    if (lead && startStep > 0 && fs::is_regular_file(logFile)) {
        std::ifstream in(logFile);
        std::string line;
        std::getline(in, line); // header
        while (std::getline(in, line)) {
            const int logged = std::atoi(line.c_str());
            if (logged >= 1 && logged <= startStep) logText += line + "\n";
        }
    }
    auto saveCheckpoint = [&](int step) {
        if (!lead) return;
        models::writeFileAtomically(ckptFile.string(), [&](const std::string& tmp) {
            torch::serialize::OutputArchive a;
            model->save(a);
            proxy->save(a);
            torch::serialize::OutputArchive opt;
            optimizer.save(opt);
            a.write("optimizer", opt);
            a.write("step", torch::tensor(step));
            a.save_to(tmp);
        });
        saveModel(*model, config, o.guidanceScale, out);
        models::writeTextAtomically(logFile.string(), logText);
    };

    // One stream per run, advanced per step, so a resumed run draws new batches. Every rank
    // draws the whole global batch and trains on its slice of it: the samples a step sees
    // depend on the seed, the step and the global batch, not on the number of processes.
    std::mt19937_64 rng(o.seed * 7919 + startStep);
    const auto t0 = Clock::now();
    const int F = o.cropFrames;
    const DelayPattern pattern(K, F, V);
    const int B = o.batchSize, G = B * W, first = o.distributed.rank * B;
    BatchShape shape;
    shape.cropFrames = F;
    shape.windowFrames = windowFrames;
    shape.startCropShare = o.startCropShare;
    shape.avDropout = o.avDropout;
    shape.textDropout = o.textDropout;
    shape.openingWeight = o.openingWeight;
    shape.openingFrames = o.openingFrames;
    shape.transitionShare = o.transitionShare;
    const bool wantHidden = o.laraAlpha > 0 || o.rrLambda > 0;
    double allReduceSeconds = 0;
    model->train();
    proxy->train();
    int step = startStep;
    for (; step < o.steps; ++step) {
        if (!group) { // a data-parallel run agrees on stopping at the end of a step (below)
            if (cancel && cancel->load()) break;
            const double minutes = std::chrono::duration<double>(Clock::now() - t0).count() / 60;
            if (o.maxMinutes > 0 && minutes > o.maxMinutes) break;
        }
        // Learning rate: linear warm-up, cosine decay to 10 %.
        double lr = o.learningRate;
        if (step < o.warmupSteps)
            lr *= (step + 1.0) / o.warmupSteps;
        else
            lr *= 0.1 + 0.9 * 0.5 *
                            (1 + std::cos(M_PI * (step - o.warmupSteps) /
                                          std::max(1, o.steps - o.warmupSteps)));
        for (auto& g : optimizer.param_groups())
            static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);

        const auto draws = drawBatch(corpus, G, shape, rng);
        // Normalisers of the whole global batch: each rank's share of the loss is its sum
        // over the global count, so that the ranks' gradients add up to the global gradient.
        double weightSum = 0, validSum = 0;
        std::vector<std::int64_t> dropped; // global indices of the samples without text
        for (int i = 0; i < G; ++i) {
            for (float w : tokenWeights(draws[i], pattern, shape)) {
                weightSum += w;
                validSum += w > 0;
            }
            if (draws[i].dropText) dropped.push_back(i);
        }
        const auto batch = buildBatch(std::span(draws).subspan(first, B), pattern, shape,
                                      o.useAvEncoder, o.laraAlpha > 0);
        auto [memory, memMask] =
            model->encodeConditions(batch.ids, batch.textMask, batch.va, batch.avMask);
        auto cross = model->decoder->precomputeCross(memory, memMask);
        std::vector<torch::Tensor> hidden;
        auto logits = model->decoder->forward(batch.input, cross, nullptr, nullptr,
                                              wantHidden ? &hidden : nullptr); // [B,K,T,V]
        auto tokenCe = torch::nn::functional::cross_entropy(
            logits.reshape({-1, V}), batch.target,
            torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100).reduction(
                torch::kNone));
        const auto valid = (batch.target != -100).to(torch::kFloat32);
        auto ce = (tokenCe * valid).sum() / validSum; // logged: the plain mean
        auto loss = (tokenCe * batch.weight).sum() / weightSum;
        torch::Tensor lara = torch::zeros({});
        if (o.laraAlpha > 0) {
            auto pred = proxy->forward(hidden.back());
            lara = torch::mse_loss(pred, batch.laraTarget) * (static_cast<double>(B) / G);
            loss = loss + o.laraAlpha * lara;
        }
        // Representation regularisation over the global batch's text-dropped samples: every
        // rank computes the same L_rr from the gathered representations, its gradient flowing
        // only through its own samples' rows, so the summed gradients are L_rr's gradient.
        torch::Tensor rr = torch::zeros({});
        double rrWeight = 0;
        if (o.rrLambda > 0 && dropped.size() >= 2) {
            torch::Tensor text;
            {
                // The text side is the target: as with the paper's frozen T5, the gradient
                // goes to the LM, not to the text encoder (which could otherwise meet the
                // audio side by making all prompts alike).
                torch::NoGradGuard noGrad;
                const auto states = model->text_encoder->forward(batch.ids, batch.promptMask);
                text = poolRepresentation(model->project(states, batch.promptMask),
                                          batch.promptMask, o.rrPool);
            }
            const auto& h = hidden.back(); // [B, T, D] after the final LayerNorm
            auto audio = poolRepresentation(h, torch::ones({h.size(0), h.size(1)}), o.rrPool);
            if (group) {
                text = group->allGather(text);
                const auto others = group->allGather(audio);
                audio = torch::cat({others.slice(0, 0, first), audio, others.slice(0, first + B)});
            }
            const auto rows = torch::tensor(dropped, torch::kInt64);
            rr = representationLoss(text.index_select(0, rows), audio.index_select(0, rows));
            // L_uncond + lambda * L_rr on the dropped samples: their share of the batch.
            rrWeight = o.rrLambda * static_cast<double>(dropped.size()) / G;
            loss = loss + rrWeight * rr;
        }
        optimizer.zero_grad();
        loss.backward();
        double parts[3] = {(loss - rrWeight * rr).item<double>(), ce.item<double>(),
                           lara.item<double>()};
        bool stop = false;
        if (group) {
            const auto a0 = Clock::now();
            std::vector<torch::Tensor> grads;
            for (auto& p : params)
                if (p.grad().defined()) grads.push_back(p.mutable_grad());
            group->allReduceSum(grads);
            allReduceSeconds += std::chrono::duration<double>(Clock::now() - a0).count();
            // The logged sums and whether any rank wants to stop (Ctrl-C, time budget).
            const double minutes = std::chrono::duration<double>(Clock::now() - t0).count() / 60;
            const bool wantStop =
                (cancel && cancel->load()) || (o.maxMinutes > 0 && minutes > o.maxMinutes);
            auto shared = torch::tensor({parts[0], parts[1], parts[2], wantStop ? 1.0 : 0.0},
                                        torch::kFloat64);
            std::vector<torch::Tensor> one{shared};
            group->allReduceSum(one);
            for (int i = 0; i < 3; ++i)
                parts[i] = shared[i].item<double>();
            stop = shared[3].item<double>() > 0;
        }
        torch::nn::utils::clip_grad_norm_(params, o.gradClip);
        optimizer.step();

        const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
        TrainProgress pr;
        pr.step = step + 1;
        pr.totalSteps = o.steps;
        pr.ce = parts[1];
        pr.lara = parts[2];
        pr.rr = rr.item<double>();
        pr.loss = parts[0] + rrWeight * pr.rr;
        pr.learningRate = lr;
        pr.elapsedSeconds = elapsed;
        pr.etaSeconds = elapsed / (step + 1 - startStep) * (o.steps - step - 1);
        pr.rank = o.distributed.rank;
        pr.worldSize = W;
        pr.allReduceSeconds = allReduceSeconds;
        {
            std::ostringstream line;
            line << pr.step << "," << pr.loss << "," << pr.ce << "," << pr.lara << "," << lr << ","
                 << elapsed << "," << pr.rr << "\n";
            logText += line.str();
        }
        if (onProgress) onProgress(pr);
        if (!std::isfinite(pr.loss))
            throw std::runtime_error("training diverged at step " + std::to_string(pr.step) +
                                     " (loss is not finite); the last checkpoint is intact");
        if ((step + 1) % o.checkpointEvery == 0) saveCheckpoint(step + 1);
        if (stop) {
            ++step;
            break;
        }
    }
    saveCheckpoint(step);
}

} // namespace moodsteer
