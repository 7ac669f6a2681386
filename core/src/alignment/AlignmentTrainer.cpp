// trainAlignmentModel: features -> vocabulary -> symmetric InfoNCE with AdamW -> held-out
// zero-shot evaluation. The whole data set is a few thousand windows of ~120 features, so a
// step is a millisecond; the DSP features (cached) are the run's cost.
#include "core/alignment/AlignmentTrainer.h"

#include "AlignmentData.h"
#include "AlignmentModelImpl.h"
#include "core/alignment/AlignmentFeatures.h"
#include "core/io/AtomicWrite.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace moodsteer {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

void validate(const AlignmentTrainingOptions& o) {
    const auto bad = [](const std::string& what) { throw std::invalid_argument(what); };
    if (o.corpusDirs.empty() && o.musifeastDir.empty())
        bad("alignment training needs at least one --corpus or --musifeast folder");
    if (o.outPath.empty()) bad("alignment training needs --out FILE");
    const auto parent = fs::path(o.outPath).parent_path();
    if (!parent.empty() && !fs::is_directory(parent))
        bad("--out: folder '" + parent.string() + "' does not exist");
    if (fs::is_directory(o.outPath)) bad("--out: '" + o.outPath + "' is a folder, not a file");
    if (o.steps < 1) bad("--steps must be at least 1, got " + std::to_string(o.steps));
    if (o.batch < 2)
        bad("--batch must be at least 2 (InfoNCE needs negatives), got " + std::to_string(o.batch));
    if (!(o.lr > 0) || !std::isfinite(o.lr)) bad("--lr must be a positive number");
    if (!(o.weightDecay >= 0) || !std::isfinite(o.weightDecay))
        bad("--weight-decay must be a non-negative number");
    if (o.hidden < 1 || o.embedDim < 1) bad("--hidden and --embed-dim must be positive");
    if (!(o.dropout >= 0 && o.dropout < 1)) bad("--dropout must be in [0, 1)");
    if (o.holdoutEvery < 2)
        bad("--holdout-every must be at least 2, got " + std::to_string(o.holdoutEvery));
    if (o.checkpointEvery < 1) bad("--checkpoint-every must be at least 1");
    if (o.threads < 1) bad("--threads must be at least 1");
}

// What must match for a checkpoint to be continued.
std::string runSignature(const AlignmentTrainingOptions& o, const std::string& dataSignature) {
    nlohmann::json j{{"corpus", o.corpusDirs},
                     {"musifeast", o.musifeastDir},
                     {"holdout_every", o.holdoutEvery},
                     {"steps", o.steps},
                     {"batch", o.batch},
                     {"lr", o.lr},
                     {"weight_decay", o.weightDecay},
                     {"hidden", o.hidden},
                     {"embed_dim", o.embedDim},
                     {"dropout", o.dropout},
                     {"seed", o.seed},
                     {"data", dataSignature}};
    return j.dump();
}

torch::Tensor stringTensor(const std::string& s) {
    auto t = torch::empty({static_cast<int64_t>(s.size())}, torch::kUInt8);
    std::copy(s.begin(), s.end(), t.data_ptr<std::uint8_t>());
    return t;
}

std::string tensorString(const torch::Tensor& t) {
    const auto c = t.contiguous();
    return {reinterpret_cast<const char*>(c.data_ptr<std::uint8_t>()),
            static_cast<std::size_t>(c.numel())};
}

struct Sample {
    std::size_t clip, window;
};

} // namespace

AlignmentTrainingSummary
trainAlignmentModel(const AlignmentTrainingOptions& o,
                    const std::function<void(const AlignmentTrainingProgress&)>& progress,
                    const std::atomic<bool>* cancel) {
    validate(o);
    torch::set_num_threads(o.threads);
    AlignmentTrainingSummary summary;
    const auto report = [&](const std::string& stage, const std::string& message, int done,
                            int total, double loss = 0) {
        if (progress) progress({stage, message, done, total, loss});
    };

    // --- data
    const auto tData = Clock::now();
    AlignmentLoadContext ctx;
    ctx.cacheDir = o.cacheDir;
    ctx.useCache = o.useCache;
    ctx.cancel = cancel;
    ctx.progress = [&](const std::string& what, int done, int total) {
        report("features", what, done, total);
    };
    std::vector<AlignmentClip> clips;
    for (const auto& dir : o.corpusDirs) {
        auto c = loadAlignmentCorpus(dir, ctx);
        clips.insert(clips.end(), std::make_move_iterator(c.begin()),
                     std::make_move_iterator(c.end()));
    }
    if (!o.musifeastDir.empty()) {
        auto real = loadAlignmentRecordings(o.musifeastDir, "musifeast", ctx);
        summary.heldOutRecordings = heldOutRecordings(real, o.holdoutEvery);
        const std::set<std::string> held(summary.heldOutRecordings.begin(),
                                         summary.heldOutRecordings.end());
        for (auto& c : real)
            if (!held.count(c.file)) clips.push_back(std::move(c));
    }
    summary.featureSeconds = secondsSince(tData);
    if (clips.size() < 2) throw std::runtime_error("alignment training: fewer than two clips");

    std::vector<std::string> allTexts;
    std::vector<Sample> samples;
    for (std::size_t c = 0; c < clips.size(); ++c) {
        allTexts.insert(allTexts.end(), clips[c].texts.begin(), clips[c].texts.end());
        for (std::size_t w = 0; w < clips[c].windows.size(); ++w)
            samples.push_back({c, w});
    }
    const auto vocabulary = AlignmentVocabulary::build(allTexts);
    summary.trainClips = static_cast<int>(clips.size());
    summary.trainWindows = static_cast<int>(samples.size());
    summary.vocabulary = static_cast<int>(vocabulary.size());
    const int64_t F = alignmentFeatureSize();

    // Feature standardisation over the training windows.
    auto all = torch::empty({static_cast<int64_t>(samples.size()), F});
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const auto& w = clips[samples[i].clip].windows[samples[i].window];
        std::copy(w.begin(), w.end(), all[static_cast<int64_t>(i)].data_ptr<float>());
    }
    std::ostringstream dataSig;
    dataSig << clips.size() << " clips, " << samples.size() << " windows, vocabulary "
            << vocabulary.size() << ", feature sum " << all.sum().item<double>();

    // --- model, optimizer, checkpoint
    torch::manual_seed(o.seed);
    models::AlignmentNetConfig cfg;
    cfg.vocabSize = vocabulary.size();
    cfg.audioFeatures = F;
    cfg.hidden = o.hidden;
    cfg.embedDim = o.embedDim;
    cfg.dropout = o.dropout;
    models::AlignmentNet net(cfg);
    net->setStandardisation(all.mean(0), all.std(0));
    torch::optim::AdamW optimizer(net->parameters(),
                                  torch::optim::AdamWOptions(o.lr).weight_decay(o.weightDecay));
    const std::string ckpt = o.outPath + ".checkpoint";
    const std::string signature = runSignature(o, dataSig.str());
    int step = 0;
    if (fs::is_regular_file(ckpt)) {
        torch::serialize::InputArchive a;
        try {
            a.load_from(ckpt);
            torch::Tensor sig, st;
            a.read("signature", sig);
            if (tensorString(sig) == signature) {
                net->load(a);
                torch::serialize::InputArchive opt;
                a.read("optimizer", opt);
                optimizer.load(opt);
                a.read("step", st);
                step = static_cast<int>(st.item<int64_t>());
            }
        } catch (const c10::Error& e) {
            throw std::runtime_error("alignment training: checkpoint '" + ckpt +
                                     "' is damaged (delete it to start over)");
        }
    }
    summary.startStep = step;
    const auto saveCheckpoint = [&](int at) {
        writeFileAtomically(ckpt, [&](const std::string& tmp) {
            torch::serialize::OutputArchive a;
            net->save(a);
            torch::serialize::OutputArchive opt;
            optimizer.save(opt);
            a.write("optimizer", opt);
            a.write("step", torch::tensor(static_cast<int64_t>(at)));
            a.write("signature", stringTensor(signature));
            a.save_to(tmp);
        });
    };

    // --- training
    const auto tTrain = Clock::now();
    const int B = std::min<int>(o.batch, static_cast<int>(samples.size()));
    std::deque<double> recent;
    net->train();
    while (step < o.steps) {
        if (cancel && cancel->load()) {
            saveCheckpoint(step);
            throw std::runtime_error("cancelled");
        }
        // The batch depends on (seed, step) only, so a resumed run draws what it would have.
        std::mt19937_64 rng(o.seed * 1000003ull + static_cast<std::uint64_t>(step));
        torch::manual_seed(o.seed + static_cast<std::uint64_t>(step) * 7919ull);
        std::vector<const std::string*> texts;
        std::vector<std::size_t> picked;
        std::set<std::string> seen;
        // Identical captions in one batch would be false negatives: draw until distinct.
        for (int tries = 0; static_cast<int>(picked.size()) < B && tries < 20 * B; ++tries) {
            const auto i = static_cast<std::size_t>(rng() % samples.size());
            const auto& c = clips[samples[i].clip];
            const auto& t = c.texts[static_cast<std::size_t>(rng() % c.texts.size())];
            if (!seen.insert(t).second) continue;
            picked.push_back(i);
            texts.push_back(&t);
        }
        const auto n = static_cast<int64_t>(picked.size());
        auto feats = torch::empty({n, F});
        std::vector<std::vector<std::int64_t>> ids;
        std::size_t longest = 1;
        for (int64_t b = 0; b < n; ++b) {
            const auto& s = samples[picked[static_cast<std::size_t>(b)]];
            const auto& w = clips[s.clip].windows[s.window];
            std::copy(w.begin(), w.end(), feats[b].data_ptr<float>());
            ids.push_back(vocabulary.ids(*texts[static_cast<std::size_t>(b)]));
            longest = std::max(longest, ids.back().size());
        }
        auto tok = torch::zeros({n, static_cast<int64_t>(longest)}, torch::kLong);
        for (int64_t b = 0; b < n; ++b)
            for (std::size_t j = 0; j < ids[static_cast<std::size_t>(b)].size(); ++j)
                tok[b][static_cast<int64_t>(j)] = ids[static_cast<std::size_t>(b)][j];
        const auto loss =
            models::symmetricInfoNce(net->encodeAudio(feats), net->encodeText(tok), net->scale());
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        const double l = loss.item<double>();
        if (!std::isfinite(l))
            throw std::runtime_error("alignment training: the loss became non-finite at step " +
                                     std::to_string(step + 1) + " (lower --lr)");
        recent.push_back(l);
        if (recent.size() > 100) recent.pop_front();
        ++step;
        if (step % o.checkpointEvery == 0 || step == o.steps) saveCheckpoint(step);
        if (step % 50 == 0 || step == o.steps) report("training", "step", step, o.steps, l);
    }
    summary.steps = step;
    summary.trainSeconds = secondsSince(tTrain);
    for (double l : recent)
        summary.finalLoss += l / static_cast<double>(recent.size());
    summary.temperature = 1.0 / net->scale().item<double>();

    // --- the model file
    net->eval();
    std::map<std::string, std::string> meta{
        {"format", kAlignmentFormat},
        {"features", alignmentFeatureSignature()},
        {"vocabulary", nlohmann::json(vocabulary.entries()).dump()},
        {"training", runSignature(o, dataSig.str())},
        {"train_clips", std::to_string(summary.trainClips)},
        {"train_windows", std::to_string(summary.trainWindows)},
        {"final_loss", std::to_string(summary.finalLoss)},
        {"temperature", std::to_string(summary.temperature)}};
    if (!o.musifeastDir.empty())
        meta["musifeast_held_out"] = nlohmann::json(summary.heldOutRecordings).dump();
    models::saveAlignmentNet(*net, o.outPath, meta, o.half);

    // --- held-out evaluation of the file as written (fp16 included)
    if (!o.evalCorpusDir.empty() || !o.musifeastDir.empty() || !o.genreDir.empty()) {
        const auto model = AlignmentModel::load(o.outPath);
        AlignmentEvalOptions e;
        e.corpusDir = o.evalCorpusDir;
        e.musifeastDir = o.musifeastDir;
        e.genreDir = o.genreDir;
        e.cacheDir = o.cacheDir;
        e.useCache = o.useCache;
        e.cancel = cancel;
        e.progress = [&](const std::string& what, int done, int total) {
            report("evaluation", what, done, total);
        };
        summary.zeroShot = evaluateZeroShot(model, e);
    }
    return summary;
}

} // namespace moodsteer
