// Training of the Emotion Predictor's head: windows inherit their clip's label, the loss is
// 1 - CCC averaged over valence and arousal (LARA-Gen), AdamW, early stopping on the
// clip-level CCC of a held-out validation split, k-fold cross-validation for the report.
#include "core/emotion/EmotionPredictor.h"

#include "emotion/DspFeatureEncoder.h"
#include "emotion/EmotionPredictorImpl.h"
#include "emotion/RidgeEmotionTrainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace moodsteer {
namespace {

struct Rows {
    torch::Tensor x, y;    // (N, F), (N, 2)
    std::vector<int> clip; // row -> position in the clip list
};

Rows flatten(const std::vector<EmotionExample>& ex, const std::vector<int>& clips, int f) {
    std::size_t n = 0;
    for (int c : clips)
        n += ex[c].features.features.size();
    Rows r;
    r.x = torch::empty({static_cast<int64_t>(n), f});
    r.y = torch::empty({static_cast<int64_t>(n), 2});
    float* xp = r.x.data_ptr<float>();
    float* yp = r.y.data_ptr<float>();
    std::size_t row = 0;
    for (std::size_t i = 0; i < clips.size(); ++i) {
        const auto& e = ex[clips[i]];
        for (const auto& w : e.features.features) {
            std::copy(w.begin(), w.end(), xp + row * f);
            yp[2 * row] = static_cast<float>(e.target.valence);
            yp[2 * row + 1] = static_cast<float>(e.target.arousal);
            r.clip.push_back(static_cast<int>(i));
            ++row;
        }
    }
    return r;
}

// 1 - CCC per dimension (population statistics), averaged over valence and arousal.
torch::Tensor cccLoss(const torch::Tensor& pred, const torch::Tensor& target) {
    auto mp = pred.mean(0), mt = target.mean(0);
    auto vp = (pred - mp).pow(2).mean(0), vt = (target - mt).pow(2).mean(0);
    auto cov = ((pred - mp) * (target - mt)).mean(0);
    auto ccc = 2 * cov / (vp + vt + (mp - mt).pow(2) + 1e-8);
    return 1 - ccc.mean();
}

// Clip-level predictions (mean over each clip's windows) for `clips`.
std::vector<VaPoint> predictClips(models::EmotionHeadImpl& head, const Rows& rows,
                                  std::size_t clipCount) {
    torch::NoGradGuard g;
    head.eval();
    auto y = head.forward(rows.x).to(torch::kFloat64).contiguous();
    const double* p = y.data_ptr<double>();
    std::vector<VaPoint> out(clipCount, VaPoint{0, 0});
    std::vector<int> count(clipCount, 0);
    for (std::size_t r = 0; r < rows.clip.size(); ++r) {
        out[rows.clip[r]].valence += p[2 * r];
        out[rows.clip[r]].arousal += p[2 * r + 1];
        ++count[rows.clip[r]];
    }
    for (std::size_t c = 0; c < clipCount; ++c)
        if (count[c] > 0) out[c].valence /= count[c], out[c].arousal /= count[c];
    return out;
}

std::vector<VaPoint> targetsOf(const std::vector<EmotionExample>& ex, const std::vector<int>& c) {
    std::vector<VaPoint> t;
    for (int i : c)
        t.push_back(ex[i].target);
    return t;
}

struct Fit {
    models::EmotionHead head{nullptr};
    int epochs = 0;
    double bestValidation = 0;
    std::vector<double> trainLoss, validationLoss;
};

Fit fit(const std::vector<EmotionExample>& ex, std::vector<int> clips,
        const EmotionTrainingOptions& o, int f, uint64_t seed, const std::string& tag) {
    std::mt19937_64 rng(seed);
    std::shuffle(clips.begin(), clips.end(), rng);
    std::size_t nVal = 0;
    if (o.validationFraction > 0 && clips.size() >= 5)
        nVal = std::max<std::size_t>(
            2, static_cast<std::size_t>(std::lround(o.validationFraction * clips.size())));
    const std::vector<int> valClips(clips.begin(), clips.begin() + nVal);
    const std::vector<int> trainClips(clips.begin() + nVal, clips.end());
    const Rows train = flatten(ex, trainClips, f);
    const Rows val = flatten(ex, valClips, f);
    const auto valTargets = targetsOf(ex, valClips);

    torch::manual_seed(seed);
    Fit out;
    out.head = models::EmotionHead(f, o.hiddenSize, o.dropout);
    out.head->setStandardisation(train.x.mean(0), train.x.std(0, /*unbiased=*/false));
    torch::optim::AdamW opt(out.head->parameters(),
                            torch::optim::AdamWOptions(o.learningRate).weight_decay(o.weightDecay));

    const int64_t n = train.x.size(0);
    const int64_t batches = std::max<int64_t>(1, n / std::max(2, o.batchSize));
    std::vector<int64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::vector<torch::Tensor> best;
    double bestLoss = 1e300;
    int bestEpoch = 0;
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
        std::shuffle(order.begin(), order.end(), rng);
        auto perm = torch::from_blob(order.data(), {n}, torch::kInt64);
        out.head->train();
        double sum = 0;
        for (int64_t b = 0; b < batches; ++b) {
            // Even split: batch sizes differ by at most one, none too small for a CCC.
            const int64_t lo = b * n / batches, hi = (b + 1) * n / batches;
            auto idx = perm.slice(0, lo, hi);
            auto loss = cccLoss(out.head->forward(train.x.index_select(0, idx)),
                                train.y.index_select(0, idx));
            opt.zero_grad();
            loss.backward();
            opt.step();
            sum += loss.item<double>();
        }
        out.trainLoss.push_back(sum / batches);
        out.epochs = epoch;
        double valLoss = out.trainLoss.back();
        if (nVal >= 2) {
            const auto pred = predictClips(*out.head, val, valClips.size());
            const auto m = computeEmotionMetrics(valTargets, pred);
            valLoss = 1 - 0.5 * (m.valence.ccc + m.arousal.ccc);
        }
        out.validationLoss.push_back(valLoss);
        if (valLoss < bestLoss - 1e-6) {
            bestLoss = valLoss;
            bestEpoch = epoch;
            best.clear();
            for (const auto& p : out.head->parameters())
                best.push_back(p.detach().clone());
        }
        if (o.log && (epoch % 25 == 0 || epoch == 1))
            o.log(tag + "epoch " + std::to_string(epoch) + ": train loss " +
                  std::to_string(out.trainLoss.back()) + ", validation loss " +
                  std::to_string(valLoss));
        if (nVal >= 2 && epoch - bestEpoch >= o.patience) break;
    }
    if (nVal >= 2 && !best.empty()) { // restore the best epoch's weights
        torch::NoGradGuard g;
        auto params = out.head->parameters();
        for (std::size_t i = 0; i < params.size(); ++i)
            params[i].copy_(best[i]);
    }
    out.bestValidation = nVal >= 2 ? bestLoss : out.trainLoss.back();
    out.head->eval();
    return out;
}

} // namespace

EmotionTrainer::EmotionTrainer(std::shared_ptr<const AudioFeatureEncoder> encoder,
                               EmotionTrainingOptions options)
    : encoder_(std::move(encoder)), options_(std::move(options)) {
    if (!encoder_) throw std::invalid_argument("emotion trainer: no feature encoder");
    const auto& o = options_;
    if (!(o.windowSeconds > 0) || !(o.learningRate > 0) || o.weightDecay < 0 || o.epochs < 1 ||
        o.patience < 1 || o.batchSize < 2 || o.hiddenSize < 1 || o.dropout < 0 || o.dropout >= 1 ||
        o.validationFraction < 0 || o.validationFraction >= 1 || o.folds < 0 || o.hopSeconds < 0 ||
        o.hopSeconds > o.windowSeconds)
        throw std::invalid_argument(
            "emotion trainer: invalid options (need window > 0, 0 <= hop <= window, lr > 0, "
            "weight decay >= 0, epochs >= 1, patience >= 1, batch >= 2, 0 <= dropout < 1, "
            "0 <= validation < 1, folds >= 0)");
    if (o.head != "ridge" && o.head != "mlp")
        throw std::invalid_argument("emotion trainer: head must be ridge or mlp, got '" + o.head +
                                    "'");
    if (o.calibration != "balanced" && o.calibration != "ccc" && o.calibration != "rmse" &&
        o.calibration != "none")
        throw std::invalid_argument("emotion trainer: calibration must be balanced, ccc, rmse "
                                    "or none, got '" +
                                    o.calibration + "'");
    if (options_.hopSeconds == 0)
        options_.hopSeconds = o.head == "ridge" ? o.windowSeconds / 2 : o.windowSeconds;
}

EmotionExample EmotionTrainer::prepare(const std::string& name, const AudioBuffer& audio,
                                       VaPoint target) const {
    EmotionExample e;
    e.name = name;
    e.target = target;
    try {
        e.features = poolWindows(*encoder_, audio, options_.windowSeconds, options_.hopSeconds);
        // Tempo for the loudness + tempo baseline: the dsp windows already carry it.
        if (encoder_->name() == "dsp" &&
            encoder_->featureSize() == DspFeatureEncoder::kFeatureSize) {
            double t = 0;
            for (const auto& w : e.features.features)
                t += w[DspFeatureEncoder::kTempo] / e.features.features.size();
            e.features.tempoBpm = t;
        } else {
            e.features.tempoBpm =
                DspFeatureEncoder().encode(audio).at(0, DspFeatureEncoder::kTempo);
        }
    } catch (const std::exception& err) {
        throw std::invalid_argument("'" + name + "': " + err.what());
    }
    return e;
}

EmotionPredictor EmotionTrainer::train(const std::vector<EmotionExample>& ex,
                                       EmotionTrainingReport* report) const {
    const int f = encoder_->featureSize();
    const auto& o = options_;
    if (ex.size() < 4)
        throw std::invalid_argument("emotion training needs at least 4 labelled clips, got " +
                                    std::to_string(ex.size()));
    for (const auto& e : ex) {
        if (e.features.features.empty())
            throw std::invalid_argument("'" + e.name + "' has no feature windows");
        for (const auto& w : e.features.features)
            if (static_cast<int>(w.size()) != f)
                throw std::invalid_argument("'" + e.name + "' has " + std::to_string(w.size()) +
                                            " features per window, the " + encoder_->name() +
                                            " encoder gives " + std::to_string(f));
        if (!std::isfinite(e.target.valence) || !std::isfinite(e.target.arousal))
            throw std::invalid_argument("'" + e.name + "' has a non-finite label");
    }
    EmotionTrainingReport rep;
    std::vector<int> all(ex.size());
    std::iota(all.begin(), all.end(), 0);
    if (o.head == "ridge") return trainRidge(ex, report);

    if (o.folds >= 2) {
        if (ex.size() < 2 * static_cast<std::size_t>(o.folds))
            throw std::invalid_argument(std::to_string(o.folds) + "-fold cross-validation needs " +
                                        "at least " + std::to_string(2 * o.folds) + " clips, got " +
                                        std::to_string(ex.size()) + " (lower --folds)");
        std::vector<int> shuffled = all;
        std::mt19937_64 rng(o.seed);
        std::shuffle(shuffled.begin(), shuffled.end(), rng);
        for (int k = 0; k < o.folds; ++k) {
            std::vector<int> trainIdx, testIdx;
            for (std::size_t i = 0; i < shuffled.size(); ++i)
                (static_cast<int>(i % o.folds) == k ? testIdx : trainIdx).push_back(shuffled[i]);
            const std::string tag =
                "fold " + std::to_string(k + 1) + "/" + std::to_string(o.folds) + ": ";
            Fit fitted = fit(ex, trainIdx, o, f, o.seed + 1 + k, tag);
            const auto pred = predictClips(*fitted.head, flatten(ex, testIdx, f), testIdx.size());
            const auto target = targetsOf(ex, testIdx);
            EmotionFoldResult r;
            r.fold = k + 1;
            r.trainClips = static_cast<int>(trainIdx.size());
            r.testClips = static_cast<int>(testIdx.size());
            r.epochs = fitted.epochs;
            r.metrics = computeEmotionMetrics(target, pred);
            rep.folds.push_back(r);
            for (std::size_t i = 0; i < testIdx.size(); ++i) {
                rep.cvNames.push_back(ex[testIdx[i]].name);
                rep.cvTargets.push_back(target[i]);
                rep.cvPredictions.push_back(pred[i]);
            }
            if (o.log)
                o.log(tag + "CCC valence " + std::to_string(r.metrics.valence.ccc) + ", arousal " +
                      std::to_string(r.metrics.arousal.ccc) + " (" + std::to_string(r.epochs) +
                      " epochs)");
        }
        rep.crossValidated = computeEmotionMetrics(rep.cvTargets, rep.cvPredictions);
    }

    Fit final = fit(ex, all, o, f, o.seed, "final: ");
    rep.trainLoss = final.trainLoss;
    rep.validationLoss = final.validationLoss;
    rep.epochs = final.epochs;
    rep.bestValidationLoss = final.bestValidation;
    if (report) *report = rep;

    auto impl = std::make_unique<EmotionPredictor::Impl>();
    impl->head = final.head;
    impl->encoder = encoder_;
    auto& info = impl->info;
    info.encoder = encoder_->name();
    info.layer = encoder_->layer();
    info.layerWeights = encoder_->layerWeights();
    info.windowSeconds = o.windowSeconds;
    info.featureSize = f;
    info.hiddenSize = o.hiddenSize;
    info.kind = "mlp";
    info.hopSeconds = o.hopSeconds;
    char buf[64];
    auto put = [&](const std::string& k, double v) {
        std::snprintf(buf, sizeof buf, "%.6g", v);
        info.metadata[k] = buf;
    };
    info.metadata["train_clips"] = std::to_string(ex.size());
    put("train_learning_rate", o.learningRate);
    put("train_weight_decay", o.weightDecay);
    info.metadata["train_epochs"] = std::to_string(final.epochs);
    info.metadata["train_seed"] = std::to_string(o.seed);
    if (!rep.folds.empty()) {
        info.metadata["cv_folds"] = std::to_string(o.folds);
        put("cv_ccc_valence", rep.crossValidated.valence.ccc);
        put("cv_ccc_arousal", rep.crossValidated.arousal.ccc);
        put("cv_pcc_valence", rep.crossValidated.valence.pcc);
        put("cv_pcc_arousal", rep.crossValidated.arousal.pcc);
        put("cv_rmse_valence", rep.crossValidated.valence.rmse);
        put("cv_rmse_arousal", rep.crossValidated.arousal.rmse);
    }
    return EmotionPredictor(std::move(impl));
}

EmotionPredictor EmotionTrainer::trainRidge(const std::vector<EmotionExample>& ex,
                                            EmotionTrainingReport* report) const {
    const auto& o = options_;
    if (o.folds >= 2 && ex.size() < 2 * static_cast<std::size_t>(o.folds))
        throw std::invalid_argument(std::to_string(o.folds) + "-fold cross-validation needs " +
                                    "at least " + std::to_string(2 * o.folds) + " clips, got " +
                                    std::to_string(ex.size()) + " (lower --folds)");
    EmotionTrainingReport rep;
    RidgeEmotionTrainer trainer(ex, o, encoder_->featureSize());
    auto head = trainer.train(rep);
    auto impl = std::make_unique<EmotionPredictor::Impl>();
    impl->ridge = std::move(head);
    impl->encoder = encoder_;
    auto& info = impl->info;
    info.kind = "ridge";
    info.encoder = encoder_->name();
    info.layer = encoder_->layer();
    info.layerWeights = encoder_->layerWeights();
    info.windowSeconds = o.windowSeconds;
    info.hopSeconds = o.hopSeconds;
    info.featureSize = encoder_->featureSize();
    info.hiddenSize = 0;
    info.members = static_cast<int>(impl->ridge->members.size());
    char buf[64];
    auto put = [&](const std::string& k, double v) {
        std::snprintf(buf, sizeof buf, "%.4g", v);
        info.metadata[k] = buf;
    };
    info.metadata["train_clips"] = std::to_string(ex.size());
    info.metadata["train_seed"] = std::to_string(o.seed);
    info.metadata["train_calibration"] = o.calibration;
    std::map<std::string, int> perDataset;
    std::vector<std::string> order;
    for (const auto& e : ex)
        if (perDataset[e.dataset]++ == 0) order.push_back(e.dataset);
    std::string ds;
    for (const auto& d : order)
        ds += (ds.empty() ? "" : " + ") + d + " (" + std::to_string(perDataset[d]) + " clips)";
    info.metadata["train_datasets"] = ds;
    if (!rep.protocols.empty() && !rep.protocols[0].datasets.empty()) {
        const auto& pr = rep.protocols[0];
        const auto& sc = pr.datasets[0];
        info.metadata["cv_protocol"] = pr.name;
        info.metadata["cv_dataset"] = sc.dataset;
        info.metadata["cv_folds"] = std::to_string(pr.folds);
        put("cv_ccc_valence", sc.model.valence.ccc);
        put("cv_ccc_arousal", sc.model.arousal.ccc);
        put("cv_pcc_valence", sc.model.valence.pcc);
        put("cv_pcc_arousal", sc.model.arousal.pcc);
        put("cv_rmse_valence", sc.model.valence.rmse);
        put("cv_rmse_arousal", sc.model.arousal.rmse);
        // A dimension is "predictable" only when it beats both baselines on CCC and RMSE.
        auto beats = [](const DimensionMetrics& m, const DimensionMetrics& b1,
                        const DimensionMetrics& b2) {
            return m.ccc > std::max(b1.ccc, b2.ccc) && m.rmse < std::min(b1.rmse, b2.rmse);
        };
        info.valencePredictable =
            beats(sc.model.valence, sc.meanBaseline.valence, sc.loudnessTempoBaseline.valence);
        info.arousalPredictable =
            beats(sc.model.arousal, sc.meanBaseline.arousal, sc.loudnessTempoBaseline.arousal);
        info.metadata["valence_predictable"] = info.valencePredictable ? "true" : "false";
        info.metadata["arousal_predictable"] = info.arousalPredictable ? "true" : "false";
    }
    if (report) *report = rep;
    return EmotionPredictor(std::move(impl));
}

} // namespace moodsteer
