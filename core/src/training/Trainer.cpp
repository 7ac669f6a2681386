#include "core/training/Training.h"

#include "core/synth/SynthCodec.h"
#include "engine/ComputeThreads.h"
#include "engine/DelayPattern.h"
#include "models/AtomicFile.h"
#include "models/LaraProxy.h"
#include "models/MusicgenModel.h"
#include "models/SentencePieceTokenizer.h"
#include "models/StateDict.h"
#include "training/TrainingCorpus.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
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

} // namespace

void runTraining(const TrainOptions& o, const std::function<void(const TrainProgress&)>& onProgress,
                 const std::atomic<bool>* cancel) {
    if (o.outDir.empty() || o.corpusDir.empty())
        throw std::runtime_error("training needs a corpus folder and an output folder");
    if (o.batchSize < 1 || o.steps < 1 || o.cropFrames < 1)
        throw std::runtime_error("batch size, steps and crop length must be positive");
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
    // Only now, with the options and the corpus accepted: a refused run creates no folder.
    fs::create_directories(out);
    fs::create_directories(ckptDir);

    // Tokenizer trained on the corpus prompts (kept when it already exists: resumable).
    const auto spm = out / "spiece.model";
    if (!fs::exists(spm)) {
        std::vector<std::string> prompts;
        for (const auto& p : corpus.pieces)
            prompts.push_back(p.prompt);
        trainTokenizer(prompts, spm, o.vocabSize);
    }
    auto tokenizer = models::SentencePieceTokenizer::load(spm.string());
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
    if (fs::exists(ckptFile)) {
        torch::serialize::InputArchive in;
        in.load_from(ckptFile.string());
        static_cast<torch::nn::Module&>(*model).load(
            in); // MusicgenModelImpl::load(folder) hides it
        proxy->load(in);
        torch::serialize::InputArchive opt;
        in.read("optimizer", opt);
        optimizer.load(opt);
        torch::Tensor step;
        in.read("step", step);
        startStep = step.item<int>();
        std::fprintf(stderr, "train: resuming from step %d (%s)\n", startStep, ckptFile.c_str());
    }
    // The log is rewritten atomically with every checkpoint, so that after a crash or a
    // signal it holds exactly the steps the checkpoint has (a resumed run drops later lines).
    const auto logFile = out / "training_log.csv";
    std::string logText = "step,loss,ce,lara,lr,seconds\n";
    if (startStep > 0 && fs::is_regular_file(logFile)) {
        std::ifstream in(logFile);
        std::string line;
        std::getline(in, line); // header
        while (std::getline(in, line)) {
            const int logged = std::atoi(line.c_str());
            if (logged >= 1 && logged <= startStep) logText += line + "\n";
        }
    }
    auto saveCheckpoint = [&](int step) {
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

    // One stream per run, advanced per step, so a resumed run draws new batches.
    std::mt19937_64 rng(o.seed * 7919 + startStep);
    const auto t0 = Clock::now();
    const int F = o.cropFrames;
    const DelayPattern pattern(K, F, V);
    const int T = pattern.length() - 1;
    model->train();
    proxy->train();
    int step = startStep;
    for (; step < o.steps; ++step) {
        if (cancel && cancel->load()) break;
        const double minutes = std::chrono::duration<double>(Clock::now() - t0).count() / 60;
        if (o.maxMinutes > 0 && minutes > o.maxMinutes) break;
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

        const int B = o.batchSize;
        std::vector<std::int64_t> input(static_cast<std::size_t>(B) * K * T), target(input.size());
        std::vector<float> weight(input.size(), 1.0f);
        std::vector<float> laraTarget;
        std::vector<float> va(static_cast<std::size_t>(B) * 2), avMask(B, 1.0f);
        std::size_t maxText = 1;
        std::vector<const TrainingPiece*> batch;
        std::uniform_real_distribution<double> uni(0, 1);
        for (int b = 0; b < B; ++b) {
            const auto& p = corpus.pieces[rng() % corpus.pieces.size()];
            batch.push_back(&p);
            maxText = std::max(maxText, p.promptIds.size());
            const int maxStart = (p.codes.frames - F) / windowFrames;
            if (maxStart < 0)
                throw std::runtime_error("a corpus piece is shorter than the training crop");
            const int w0 =
                uni(rng) < o.startCropShare ? 0 : static_cast<int>(rng() % (maxStart + 1));
            const auto delayed =
                pattern.build(p.codes.slice(w0 * windowFrames, w0 * windowFrames + F));
            for (int k = 0; k < K; ++k)
                for (int t = 0; t < T; ++t) {
                    const std::size_t i = (static_cast<std::size_t>(b) * K + k) * T + t;
                    input[i] = delayed[static_cast<std::size_t>(k) * pattern.length() + t];
                    target[i] =
                        pattern.isForced(k, t + 1)
                            ? -100
                            : delayed[static_cast<std::size_t>(k) * pattern.length() + t + 1];
                    if (w0 == 0 && t + 1 - k < o.openingFrames) // the target token's frame
                        weight[i] = static_cast<float>(o.openingWeight);
                }
            if (o.laraAlpha > 0)
                for (int w = 0; w < F / windowFrames; ++w)
                    laraTarget.insert(laraTarget.end(), p.windows.at(w0 + w).begin(),
                                      p.windows.at(w0 + w).end());
            va[2 * b] = static_cast<float>(p.valence);
            va[2 * b + 1] = static_cast<float>(p.arousal);
            if (uni(rng) < o.avDropout) avMask[b] = 0;
        }
        auto ids = torch::zeros({B, static_cast<long>(maxText)}, torch::kInt64);
        auto textMask = torch::zeros({B, static_cast<long>(maxText)}, torch::kInt64);
        for (int b = 0; b < B; ++b) {
            const bool drop = uni(rng) < o.textDropout; // CFG: learn the unconditional branch
            for (std::size_t i = 0; i < batch[b]->promptIds.size(); ++i) {
                ids[b][i] = batch[b]->promptIds[i];
                textMask[b][i] = drop ? 0 : 1;
            }
        }
        torch::Tensor vaT, avMaskT;
        if (o.useAvEncoder) {
            vaT = torch::from_blob(va.data(), {B, 2}, torch::kFloat32).clone();
            avMaskT = torch::from_blob(avMask.data(), {B}, torch::kFloat32).clone();
        }
        auto [memory, memMask] = model->encodeConditions(ids, textMask, vaT, avMaskT);
        auto cross = model->decoder->precomputeCross(memory, memMask);
        auto inputT = torch::from_blob(input.data(), {B * K, T}, torch::kInt64).clone();
        auto targetT = torch::from_blob(target.data(), {B * K * T}, torch::kInt64).clone();
        std::vector<torch::Tensor> hidden;
        auto logits = model->decoder->forward(inputT, cross, nullptr, nullptr,
                                              o.laraAlpha > 0 ? &hidden : nullptr); // [B,K,T,V]
        auto tokenCe = torch::nn::functional::cross_entropy(
            logits.reshape({-1, V}), targetT,
            torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100).reduction(
                torch::kNone));
        const auto valid = (targetT != -100).to(torch::kFloat32);
        const auto weightT =
            torch::from_blob(weight.data(), {B * K * T}, torch::kFloat32).clone() * valid;
        auto ce = (tokenCe * valid).sum() / valid.sum(); // logged: the plain mean
        auto loss = (tokenCe * weightT).sum() / weightT.sum();
        torch::Tensor lara = torch::zeros({});
        if (o.laraAlpha > 0) {
            auto pred = proxy->forward(hidden.back());
            auto tgt = torch::from_blob(laraTarget.data(), pred.sizes(), torch::kFloat32).clone();
            lara = torch::mse_loss(pred, tgt);
            loss = loss + o.laraAlpha * lara;
        }
        optimizer.zero_grad();
        loss.backward();
        torch::nn::utils::clip_grad_norm_(params, o.gradClip);
        optimizer.step();

        const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
        TrainProgress pr;
        pr.step = step + 1;
        pr.totalSteps = o.steps;
        pr.loss = loss.item<double>();
        pr.ce = ce.item<double>();
        pr.lara = lara.item<double>();
        pr.learningRate = lr;
        pr.elapsedSeconds = elapsed;
        pr.etaSeconds = elapsed / (step + 1 - startStep) * (o.steps - step - 1);
        {
            std::ostringstream line;
            line << pr.step << "," << pr.loss << "," << pr.ce << "," << pr.lara << "," << lr << ","
                 << elapsed << "\n";
            logText += line.str();
        }
        if (onProgress) onProgress(pr);
        if (!std::isfinite(pr.loss))
            throw std::runtime_error("training diverged at step " + std::to_string(pr.step) +
                                     " (loss is not finite); the last checkpoint is intact");
        if ((step + 1) % o.checkpointEvery == 0) saveCheckpoint(step + 1);
    }
    saveCheckpoint(step);
}

} // namespace moodsteer
