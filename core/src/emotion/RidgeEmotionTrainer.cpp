#include "emotion/RidgeEmotionTrainer.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>

namespace moodsteer {
namespace {

// In-place Cholesky factorisation of a symmetric positive definite n x n matrix (lower).
void cholesky(std::vector<double>& a, int n) {
    for (int j = 0; j < n; ++j) {
        double d = a[j * n + j];
        for (int k = 0; k < j; ++k)
            d -= a[j * n + k] * a[j * n + k];
        if (!(d > 0)) throw std::runtime_error("ridge: normal equations are not positive definite");
        d = std::sqrt(d);
        a[j * n + j] = d;
        for (int i = j + 1; i < n; ++i) {
            double s = a[i * n + j];
            for (int k = 0; k < j; ++k)
                s -= a[i * n + k] * a[j * n + k];
            a[i * n + j] = s / d;
        }
    }
}

std::vector<double> choleskySolve(const std::vector<double>& l, int n, std::vector<double> b) {
    for (int i = 0; i < n; ++i) {
        for (int k = 0; k < i; ++k)
            b[i] -= l[i * n + k] * b[k];
        b[i] /= l[i * n + i];
    }
    for (int i = n - 1; i >= 0; --i) {
        for (int k = i + 1; k < n; ++k)
            b[i] -= l[k * n + i] * b[k];
        b[i] /= l[i * n + i];
    }
    return b;
}

double weightedMean(const std::vector<double>& x, const std::vector<double>& w) {
    double s = 0, sw = 0;
    for (std::size_t i = 0; i < x.size(); ++i)
        s += w[i] * x[i], sw += w[i];
    return sw > 0 ? s / sw : 0.0;
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
    const std::vector<double> one(a.size(), 1.0);
    const double ma = weightedMean(a, one), mb = weightedMean(b, one);
    double c = 0, va = 0, vb = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        c += (a[i] - ma) * (b[i] - mb), va += (a[i] - ma) * (a[i] - ma),
            vb += (b[i] - mb) * (b[i] - mb);
    return va > 0 && vb > 0 ? c / std::sqrt(va * vb) : 0.0;
}

double target(const EmotionExample& e, int dim) {
    return dim == 0 ? e.target.valence : e.target.arousal;
}

} // namespace

RidgeEmotionTrainer::RidgeEmotionTrainer(const std::vector<EmotionExample>& examples,
                                         const EmotionTrainingOptions& options, int featureSize)
    : ex_(examples), o_(options), featureSize_(featureSize) {
    const std::set<int> excluded(o_.excludedFeatures.begin(), o_.excludedFeatures.end());
    for (int c = 0; c < featureSize_; ++c)
        if (!excluded.count(c)) columns_.push_back(c);
    if (columns_.empty()) throw std::invalid_argument("ridge: every feature is excluded");
    for (const auto& e : ex_)
        if (std::find(datasets_.begin(), datasets_.end(), e.dataset) == datasets_.end())
            datasets_.push_back(e.dataset);
    if (o_.ridgeLambdas.empty()) throw std::invalid_argument("ridge: no penalties to try");
    for (double l : o_.ridgeLambdas)
        if (!(l > 0)) throw std::invalid_argument("ridge: penalties must be positive");
}

RidgeEmotionTrainer::Standardisation
RidgeEmotionTrainer::standardisation(const std::vector<int>& clips) const {
    const std::size_t n = columns_.size();
    Standardisation s;
    s.mean.assign(n, 0.0);
    s.scale.assign(n, 0.0);
    double sw = 0;
    for (int c : clips) {
        const auto& rows = ex_[c].features.features;
        const double w = ex_[c].weight / rows.size();
        for (const auto& r : rows) {
            for (std::size_t i = 0; i < n; ++i)
                s.mean[i] += w * r[columns_[i]];
            sw += w;
        }
    }
    for (auto& m : s.mean)
        m /= sw;
    for (int c : clips) {
        const auto& rows = ex_[c].features.features;
        const double w = ex_[c].weight / rows.size();
        for (const auto& r : rows)
            for (std::size_t i = 0; i < n; ++i)
                s.scale[i] += w * (r[columns_[i]] - s.mean[i]) * (r[columns_[i]] - s.mean[i]);
    }
    for (auto& v : s.scale)
        v = std::sqrt(v / sw) > 1e-9 ? std::sqrt(v / sw) : 1.0; // constant column: left as is
    return s;
}

RidgeEmotionTrainer::Normal RidgeEmotionTrainer::normal(const std::vector<int>& clips,
                                                        const Standardisation& s) const {
    const int n = static_cast<int>(columns_.size());
    Normal ne;
    ne.n = n;
    ne.gram.assign(static_cast<std::size_t>(n) * n, 0.0);
    ne.xy = {std::vector<double>(n, 0.0), std::vector<double>(n, 0.0)};
    ne.zMean.assign(n, 0.0);
    std::vector<double> z(n);
    // Each clip weighs its dataset weight in all, whatever its number of windows.
    auto standardised = [&](const std::vector<float>& r) {
        for (int i = 0; i < n; ++i)
            z[i] = (r[columns_[i]] - s.mean[i]) / s.scale[i];
    };
    for (int c : clips) {
        const auto& rows = ex_[c].features.features;
        const double w = ex_[c].weight / rows.size();
        for (const auto& r : rows) {
            standardised(r);
            for (int i = 0; i < n; ++i)
                ne.zMean[i] += w * z[i];
            ne.weight += w;
            for (int d = 0; d < 2; ++d)
                ne.yMean[d] += w * target(ex_[c], d);
        }
    }
    for (auto& m : ne.zMean)
        m /= ne.weight;
    for (auto& m : ne.yMean)
        m /= ne.weight;
    for (int c : clips) {
        const auto& rows = ex_[c].features.features;
        const double w = ex_[c].weight / rows.size();
        for (const auto& r : rows) {
            standardised(r);
            for (int i = 0; i < n; ++i)
                z[i] -= ne.zMean[i];
            for (int i = 0; i < n; ++i) {
                const double wz = w * z[i];
                for (int j = 0; j <= i; ++j)
                    ne.gram[i * n + j] += wz * z[j];
                for (int d = 0; d < 2; ++d)
                    ne.xy[d][i] += wz * (target(ex_[c], d) - ne.yMean[d]);
            }
        }
    }
    for (int i = 0; i < n; ++i)
        for (int j = i + 1; j < n; ++j)
            ne.gram[i * n + j] = ne.gram[j * n + i];
    return ne;
}

void RidgeEmotionTrainer::solve(const Normal& ne, double lambda, int dim,
                                RidgeEmotionHead::Member& m) {
    auto a = ne.gram;
    for (int i = 0; i < ne.n; ++i)
        a[i * ne.n + i] += lambda;
    cholesky(a, ne.n);
    m.weight[dim] = choleskySolve(a, ne.n, ne.xy[dim]);
    double b = ne.yMean[dim];
    for (int i = 0; i < ne.n; ++i)
        b -= m.weight[dim][i] * ne.zMean[i];
    m.bias[dim] = b;
}

std::vector<std::array<double, 2>>
RidgeEmotionTrainer::predict(const RidgeEmotionHead::Member& m, const Standardisation& s,
                             const std::vector<int>& clips) const {
    std::vector<std::array<double, 2>> out;
    for (int c : clips) {
        std::array<double, 2> p{0, 0};
        const auto& rows = ex_[c].features.features;
        for (const auto& r : rows)
            for (int d = 0; d < 2; ++d) {
                double y = m.bias[d];
                for (std::size_t i = 0; i < columns_.size(); ++i)
                    y += m.weight[d][i] * (r[columns_[i]] - s.mean[i]) / s.scale[i];
                p[d] += y / rows.size();
            }
        out.push_back(p);
    }
    return out;
}

std::vector<std::vector<int>> RidgeEmotionTrainer::groupFolds(const std::vector<int>& clips, int k,
                                                              uint64_t seed) const {
    std::map<std::string, std::vector<int>> groups;
    for (int c : clips)
        groups[ex_[c].group.empty() ? ex_[c].dataset + "\x1f" + ex_[c].name
                                    : ex_[c].dataset + "\x1f" + ex_[c].group]
            .push_back(c);
    std::vector<std::vector<int>> list;
    for (auto& [name, members] : groups)
        list.push_back(std::move(members));
    // Shuffle, then largest groups first into the currently smallest fold: balanced folds.
    std::mt19937_64 rng(seed);
    std::shuffle(list.begin(), list.end(), rng);
    std::stable_sort(list.begin(), list.end(),
                     [](const auto& a, const auto& b) { return a.size() > b.size(); });
    k = std::min<int>(k, static_cast<int>(list.size()));
    std::vector<std::vector<int>> folds(std::max(1, k));
    for (auto& g : list) {
        auto smallest =
            std::min_element(folds.begin(), folds.end(),
                             [](const auto& a, const auto& b) { return a.size() < b.size(); });
        smallest->insert(smallest->end(), g.begin(), g.end());
    }
    return folds;
}

RidgeEmotionTrainer::Fitted RidgeEmotionTrainer::fitCalibrated(const std::vector<int>& clips,
                                                               uint64_t seed) const {
    const auto& lambdas = o_.ridgeLambdas;
    // Inner grouped cross-validation: out-of-fold clip predictions for every penalty.
    const auto inner = groupFolds(clips, 5, seed);
    std::map<int, std::size_t> pos;
    for (std::size_t i = 0; i < clips.size(); ++i)
        pos[clips[i]] = i;
    std::vector<std::array<std::vector<double>, 2>> oof(
        lambdas.size(), {std::vector<double>(clips.size()), std::vector<double>(clips.size())});
    for (const auto& test : inner) {
        if (inner.size() < 2) break;
        std::set<int> held(test.begin(), test.end());
        std::vector<int> train;
        for (int c : clips)
            if (!held.count(c)) train.push_back(c);
        const auto s = standardisation(train);
        const auto ne = normal(train, s);
        for (std::size_t l = 0; l < lambdas.size(); ++l) {
            RidgeEmotionHead::Member m;
            solve(ne, lambdas[l], 0, m);
            solve(ne, lambdas[l], 1, m);
            const auto p = predict(m, s, test);
            for (std::size_t i = 0; i < test.size(); ++i)
                for (int d = 0; d < 2; ++d)
                    oof[l][d][pos[test[i]]] = p[i][d];
        }
    }
    Fitted f;
    std::array<std::size_t, 2> best{lambdas.size() / 2, lambdas.size() / 2};
    if (inner.size() >= 2)
        for (int d = 0; d < 2; ++d) {
            // The primary dataset decides (the others are extra training data); pooled
            // correlations would reward telling the datasets apart.
            double bestScore = -1e300;
            for (std::size_t l = 0; l < lambdas.size(); ++l) {
                double score = 0;
                int used = 0;
                for (const auto& ds : datasets_) {
                    if (used > 0) break;
                    std::vector<double> p, y;
                    for (std::size_t i = 0; i < clips.size(); ++i)
                        if (ex_[clips[i]].dataset == ds)
                            p.push_back(oof[l][d][i]), y.push_back(target(ex_[clips[i]], d));
                    if (p.size() >= 3) score += pearson(p, y), ++used;
                }
                score /= std::max(1, used);
                if (score > bestScore + 1e-9) bestScore = score, best[d] = l;
            }
        }
    f.standardisation = standardisation(clips);
    const auto ne = normal(clips, f.standardisation);
    for (int d = 0; d < 2; ++d) {
        f.lambda[d] = lambdas[best[d]];
        solve(ne, f.lambda[d], d, f.member);
        if (inner.size() < 2 || o_.calibration == "none") continue;
        // Calibration from the out-of-fold predictions: ridge shrinks toward the mean, which
        // CCC punishes. Fitted on the primary dataset's clips when the set holds enough of
        // them: the rated range of real recordings is the one to span, and the synthesized
        // corpus has another mean and a much wider spread.
        std::vector<double> p, y, w;
        for (int pass = 0; pass < 2 && p.size() < 3; ++pass) {
            p.clear(), y.clear(), w.clear();
            for (std::size_t i = 0; i < clips.size(); ++i)
                if (pass == 1 || ex_[clips[i]].dataset == datasets_[0])
                    p.push_back(oof[best[d]][d][i]), y.push_back(target(ex_[clips[i]], d)),
                        w.push_back(ex_[clips[i]].weight);
        }
        const double mp = weightedMean(p, w), my = weightedMean(y, w);
        double cov = 0, vp = 0, vy = 0;
        for (std::size_t i = 0; i < p.size(); ++i)
            cov += w[i] * (p[i] - mp) * (y[i] - my), vp += w[i] * (p[i] - mp) * (p[i] - mp),
                vy += w[i] * (y[i] - my) * (y[i] - my);
        if (!(vp > 0) || !(cov > 0)) continue;
        const double rmseSlope = cov / vp, cccSlope = std::sqrt(vy / vp);
        const double slope = o_.calibration == "rmse"  ? rmseSlope
                             : o_.calibration == "ccc" ? cccSlope
                                                       : std::sqrt(rmseSlope * cccSlope);
        f.slope[d] = slope;
        // y' = my + slope (y - mp): the calibration set's mean maps onto its targets' mean.
        for (auto& wt : f.member.weight[d])
            wt *= slope;
        f.member.bias[d] = my + slope * (f.member.bias[d] - mp);
    }
    return f;
}

RidgeEmotionHead::Member RidgeEmotionTrainer::rebase(const RidgeEmotionHead::Member& m,
                                                     const Standardisation& from,
                                                     const Standardisation& to) {
    RidgeEmotionHead::Member out = m;
    for (int d = 0; d < 2; ++d)
        for (std::size_t i = 0; i < from.mean.size(); ++i) {
            out.bias[d] += m.weight[d][i] * (to.mean[i] - from.mean[i]) / from.scale[i];
            out.weight[d][i] = m.weight[d][i] * to.scale[i] / from.scale[i];
        }
    return out;
}

EmotionProtocolResult RidgeEmotionTrainer::runProtocol(
    const std::string& name, const std::vector<std::vector<int>>& testFolds,
    std::vector<Fitted>* foldFits, std::vector<std::array<double, 2>>* predictions) const {
    const std::size_t n = ex_.size();
    std::vector<std::array<double, 2>> model(n), meanBase(n), ltBase(n);
    std::vector<bool> tested(n, false);
    for (std::size_t k = 0; k < testFolds.size(); ++k) {
        const auto& test = testFolds[k];
        std::set<int> held(test.begin(), test.end());
        std::vector<int> train;
        for (std::size_t c = 0; c < n; ++c)
            if (!held.count(static_cast<int>(c))) train.push_back(static_cast<int>(c));
        if (train.size() < 4 || test.empty()) continue;
        Fitted f = fitCalibrated(train, o_.seed + 101 * (k + 1));
        const auto p = predict(f.member, f.standardisation, test);
        // Baseline 1: the mean of the same dataset's training targets.
        std::map<std::string, std::array<double, 3>> sums; // v, a, weight
        for (int c : train) {
            auto& acc = sums[ex_[c].dataset];
            acc[0] += ex_[c].weight * ex_[c].target.valence;
            acc[1] += ex_[c].weight * ex_[c].target.arousal;
            acc[2] += ex_[c].weight;
        }
        // Baseline 2: weighted least squares on the clip's absolute loudness and tempo.
        std::vector<double> gram(9, 0.0), xy0(3, 0.0), xy1(3, 0.0);
        for (int c : train) {
            const double x[3] = {1.0, ex_[c].features.integratedLufs / 10.0,
                                 ex_[c].features.tempoBpm / 100.0};
            for (int i = 0; i < 3; ++i) {
                for (int j = 0; j < 3; ++j)
                    gram[i * 3 + j] += ex_[c].weight * x[i] * x[j];
                xy0[i] += ex_[c].weight * x[i] * ex_[c].target.valence;
                xy1[i] += ex_[c].weight * x[i] * ex_[c].target.arousal;
            }
        }
        for (int i = 0; i < 3; ++i)
            gram[i * 3 + i] += 1e-6;
        cholesky(gram, 3);
        const auto b0 = choleskySolve(gram, 3, xy0), b1 = choleskySolve(gram, 3, xy1);
        for (std::size_t i = 0; i < test.size(); ++i) {
            const int c = test[i];
            model[c] = p[i];
            auto it = sums.find(ex_[c].dataset);
            if (it != sums.end() && it->second[2] > 0)
                meanBase[c] = {it->second[0] / it->second[2], it->second[1] / it->second[2]};
            else
                meanBase[c] = {f.member.bias[0], f.member.bias[1]};
            const double x[3] = {1.0, ex_[c].features.integratedLufs / 10.0,
                                 ex_[c].features.tempoBpm / 100.0};
            ltBase[c] = {b0[0] * x[0] + b0[1] * x[1] + b0[2] * x[2],
                         b1[0] * x[0] + b1[1] * x[1] + b1[2] * x[2]};
            tested[c] = true;
        }
        if (o_.log)
            o_.log(name + " fold " + std::to_string(k + 1) + "/" +
                   std::to_string(testFolds.size()) + ": " + std::to_string(test.size()) +
                   " test clips, lambda v " + std::to_string(f.lambda[0]) + " a " +
                   std::to_string(f.lambda[1]) + ", slope v " + std::to_string(f.slope[0]) + " a " +
                   std::to_string(f.slope[1]));
        if (foldFits) foldFits->push_back(std::move(f));
    }
    EmotionProtocolResult r;
    r.name = name;
    r.folds = static_cast<int>(testFolds.size());
    auto va = [](const std::array<double, 2>& p) { return VaPoint{p[0], p[1]}; };
    for (const auto& ds : datasets_) {
        std::vector<VaPoint> t, m, mb, lt;
        for (std::size_t c = 0; c < n; ++c)
            if (tested[c] && ex_[c].dataset == ds) {
                t.push_back(ex_[c].target);
                m.push_back(va(model[c]));
                mb.push_back(va(meanBase[c]));
                lt.push_back(va(ltBase[c]));
            }
        if (t.size() < 2) continue;
        EmotionDatasetScore sc;
        sc.dataset = ds;
        sc.clips = static_cast<int>(t.size());
        sc.model = computeEmotionMetrics(t, m);
        sc.meanBaseline = computeEmotionMetrics(t, mb);
        sc.loudnessTempoBaseline = computeEmotionMetrics(t, lt);
        r.datasets.push_back(sc);
    }
    if (predictions) *predictions = model;
    return r;
}

RidgeEmotionHead RidgeEmotionTrainer::train(EmotionTrainingReport& report) const {
    std::vector<int> all(ex_.size());
    std::iota(all.begin(), all.end(), 0);
    std::vector<Fitted> foldFits;
    if (o_.folds >= 2) {
        const auto folds = groupFolds(all, o_.folds, o_.seed);
        if (folds.size() < 2)
            throw std::invalid_argument("grouped cross-validation needs at least 2 groups");
        std::vector<std::array<double, 2>> pred;
        report.protocols.push_back(runProtocol("grouped-" + std::to_string(folds.size()) + "-fold",
                                               folds, &foldFits, &pred));
        for (std::size_t k = 0; k < folds.size(); ++k) {
            EmotionFoldResult fr;
            fr.fold = static_cast<int>(k + 1);
            fr.testClips = static_cast<int>(folds[k].size());
            fr.trainClips = static_cast<int>(ex_.size() - folds[k].size());
            std::vector<VaPoint> t, p;
            for (int c : folds[k]) {
                t.push_back(ex_[c].target);
                p.push_back({pred[c][0], pred[c][1]});
                report.cvNames.push_back(ex_[c].name);
                report.cvTargets.push_back(t.back());
                report.cvPredictions.push_back(p.back());
            }
            if (t.size() >= 2) fr.metrics = computeEmotionMetrics(t, p);
            report.folds.push_back(fr);
        }
        report.crossValidated = computeEmotionMetrics(report.cvTargets, report.cvPredictions);
    }
    if (o_.leaveOneGenreOut) {
        std::map<std::string, std::vector<int>> genres;
        for (int c : all)
            if (!ex_[c].genre.empty()) genres[ex_[c].dataset + ":" + ex_[c].genre].push_back(c);
        if (genres.size() >= 2) {
            std::vector<std::vector<int>> folds;
            for (auto& [g, clips] : genres)
                folds.push_back(clips);
            report.protocols.push_back(runProtocol("leave-one-genre-out", folds, nullptr, nullptr));
        }
    }

    const Fitted final = fitCalibrated(all, o_.seed);
    if (o_.log)
        o_.log("final: lambda v " + std::to_string(final.lambda[0]) + " a " +
               std::to_string(final.lambda[1]) + ", slope v " + std::to_string(final.slope[0]) +
               " a " + std::to_string(final.slope[1]));
    RidgeEmotionHead head;
    head.featureSize = featureSize_;
    head.columns = columns_;
    head.mean = final.standardisation.mean;
    head.scale = final.standardisation.scale;
    head.members.push_back(final.member);
    for (const auto& f : foldFits)
        head.members.push_back(rebase(f.member, f.standardisation, final.standardisation));

    // Out-of-distribution model: shrunk correlation of the training windows, inverted.
    const int n = static_cast<int>(columns_.size());
    std::vector<double> corr(static_cast<std::size_t>(n) * n, 0.0);
    double sw = 0;
    std::vector<std::vector<double>> zs;
    for (int c : all) {
        const auto& rows = ex_[c].features.features;
        const double w = ex_[c].weight / rows.size();
        for (const auto& r : rows) {
            zs.push_back(head.standardise(r));
            const auto& z = zs.back();
            for (int i = 0; i < n; ++i)
                for (int j = 0; j < n; ++j)
                    corr[i * n + j] += w * z[i] * z[j];
            sw += w;
        }
    }
    constexpr double kShrink = 0.1; // collinear log-mel bands make the raw matrix near-singular
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
            corr[i * n + j] = (1 - kShrink) * corr[i * n + j] / sw + (i == j ? kShrink : 0.0);
    cholesky(corr, n);
    head.precision.assign(static_cast<std::size_t>(n) * n, 0.0);
    for (int j = 0; j < n; ++j) {
        std::vector<double> e(n, 0.0);
        e[j] = 1;
        const auto col = choleskySolve(corr, n, e);
        for (int i = 0; i < n; ++i)
            head.precision[i * n + j] = col[i];
    }
    std::vector<double> dist;
    for (const auto& z : zs)
        dist.push_back(head.distance(z));
    std::sort(dist.begin(), dist.end());
    // Beyond 1.5x the 99th percentile of the training windows' own distances.
    head.oodThreshold = 1.5 * dist[std::min(dist.size() - 1, dist.size() * 99 / 100)];

    // The primary (first) dataset's figures set the uncertainty and the "predictable" flags.
    std::array<double, 3> tm{0, 0, 0};
    for (int c : all)
        if (ex_[c].dataset == datasets_[0])
            tm[0] += ex_[c].target.valence, tm[1] += ex_[c].target.arousal, tm[2] += 1;
    head.targetMean = {tm[0] / tm[2], tm[1] / tm[2]};
    if (!report.protocols.empty() && !report.protocols[0].datasets.empty()) {
        const auto& sc = report.protocols[0].datasets[0];
        head.residualSd = {sc.model.valence.rmse, sc.model.arousal.rmse};
    }
    return head;
}

} // namespace moodsteer
