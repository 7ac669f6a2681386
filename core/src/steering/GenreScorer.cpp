#include "core/GenreScorer.h"

#include "core/Composer.h"
#include "core/SynthCodec.h"
#include "steering/DspSummary.h"

#include <cmath>
#include <random>
#include <stdexcept>

namespace moodsteer {

std::vector<float> GenreScorer::features(const AudioBuffer& audio) const {
    const auto s = summariseDsp(audio);
    std::vector<float> x;
    x.reserve(featureIndex_.size());
    for (int i : featureIndex_)
        x.push_back(s.mean[static_cast<std::size_t>(i)]);
    return x;
}

GenreScorer GenreScorer::trainOnCorpus(const GenreScorerOptions& o,
                                       const std::function<void(int, int)>& progress) {
    if (o.piecesPerGenre < 2)
        throw std::invalid_argument("the genre scorer needs at least 2 pieces per genre");
    GenreScorer g;
    g.genres_ = Composer::genres();
    const auto names = dspFeatureNames();
    for (int i = 0; i < static_cast<int>(names.size()); ++i)
        if (names[static_cast<std::size_t>(i)] != "tempo_bpm") g.featureIndex_.push_back(i);
    const int C = static_cast<int>(g.genres_.size());
    const int total = C * o.piecesPerGenre;
    FeatureMatrix x(total, static_cast<std::int64_t>(g.featureIndex_.size()));
    std::vector<std::int64_t> labels;
    Composer composer;
    SynthCodec codec;
    std::mt19937_64 rng(o.seed);
    auto uniform = [&rng](double lo, double hi) {
        return lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1.0p-53;
    };
    int row = 0;
    for (int c = 0; c < C; ++c)
        for (int j = 0; j < o.piecesPerGenre; ++j) {
            ComposerRequest req;
            req.genre = g.genres_[static_cast<std::size_t>(c)];
            req.valence = uniform(1.5, 8.5);
            req.arousal = uniform(1.5, 8.5);
            req.seconds = o.seconds;
            req.seed = rng();
            const auto f = g.features(codec.decode(composer.compose(req).codes));
            std::copy(f.begin(), f.end(), x.row(row));
            labels.push_back(c);
            ++row;
            if (progress) progress(row, total);
        }
    SplitOptions split;
    split.testFraction = o.testFraction;
    split.seed = o.seed;
    g.heldOutAccuracy_ = evaluateProbe(x, labels, C, {}, split).accuracy;
    g.probe_ = LinearProbe::train(x, labels, C);
    return g;
}

std::vector<double> GenreScorer::probabilities(const AudioBuffer& audio) const {
    const auto f = features(audio);
    auto s = probe_.scores(f.data());
    double mx = s[0];
    for (double v : s)
        mx = std::max(mx, v);
    double sum = 0;
    for (double& v : s)
        sum += (v = std::exp(v - mx));
    for (double& v : s)
        v /= sum;
    return s;
}

int GenreScorer::genreIndex(const std::string& genre) const {
    for (std::size_t i = 0; i < genres_.size(); ++i)
        if (genres_[i] == genre) return static_cast<int>(i);
    std::string all;
    for (const auto& n : genres_)
        all += (all.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown genre '" + genre + "' for the genre scorer (" + all + ")");
}

double GenreScorer::tempoBpm(const AudioBuffer& audio) {
    return summariseDsp(audio).tempoBpm;
}

} // namespace moodsteer
