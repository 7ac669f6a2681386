// GenreClassifier: a softmax LinearProbe on clip-level DSP features, trained on rendered
// Composer pieces; stored as plain JSON (mean, scale, weights, bias) so it can be cached.
#include "core/emotion/GenreClassifier.h"

#include "../corpus/Rng.h"
#include "core/corpus/Composer.h"
#include "core/io/AtomicWrite.h"
#include "core/probing/FeatureMatrix.h"
#include "core/probing/LinearProbe.h"
#include "core/synth/SynthCodec.h"
#include "models/BoundedRead.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace moodsteer {
namespace {

constexpr const char* kFormat = "moodsteer-genre-classifier";

std::string describe(const GenreTrainingOptions& o, const std::vector<std::string>& genres) {
    std::ostringstream s;
    s << "composer pieces: " << o.piecesPerGenre << " per genre x " << o.seconds << " s, seed "
      << o.seed << ", l2 " << o.l2 << ", genres";
    for (const auto& g : genres)
        s << " " << g;
    s << ", features dsp mean+std" << (o.excludeTempo ? " without tempo" : "");
    if (o.testFraction > 0) s << ", held out " << o.testFraction;
    return s.str();
}

} // namespace

GenreClassifier GenreClassifier::train(const std::vector<std::vector<float>>& features,
                                       const std::vector<std::int64_t>& labels,
                                       const std::vector<std::string>& genres, double l2,
                                       bool excludeTempo) {
    if (genres.size() < 2)
        throw std::invalid_argument("GenreClassifier: needs at least two genres");
    if (features.size() != labels.size() || features.empty())
        throw std::invalid_argument("GenreClassifier: " + std::to_string(features.size()) +
                                    " feature rows for " + std::to_string(labels.size()) +
                                    " labels");
    const auto cols = static_cast<std::int64_t>(features[0].size());
    FeatureMatrix x(static_cast<std::int64_t>(features.size()), cols);
    for (std::size_t i = 0; i < features.size(); ++i) {
        if (static_cast<std::int64_t>(features[i].size()) != cols)
            throw std::invalid_argument("GenreClassifier: feature row " + std::to_string(i) +
                                        " has " + std::to_string(features[i].size()) +
                                        " values, expected " + std::to_string(cols));
        std::copy(features[i].begin(), features[i].end(), x.row(static_cast<std::int64_t>(i)));
    }
    ProbeOptions po;
    po.kind = ProbeKind::Softmax;
    po.l2 = l2;
    const auto probe = LinearProbe::train(x, labels, static_cast<int>(genres.size()), po);
    GenreClassifier c;
    c.genres_ = genres;
    c.excludeTempo_ = excludeTempo;
    c.mean_ = probe.featureMean();
    c.scale_ = probe.featureScale();
    c.weights_ = probe.weights();
    c.bias_ = probe.bias();
    int correct = 0;
    for (std::size_t i = 0; i < features.size(); ++i)
        correct += c.classify(features[i]) == labels[i];
    c.trainingAccuracy_ = static_cast<double>(correct) / static_cast<double>(features.size());
    return c;
}

GenreClassifier GenreClassifier::trainOnComposer(const GenreTrainingOptions& options,
                                                 const std::function<void(int, int)>& progress,
                                                 const std::atomic<bool>* cancel) {
    const auto genres = options.genres.empty() ? Composer::genres() : options.genres;
    if (options.piecesPerGenre < 2)
        throw std::invalid_argument("GenreClassifier: piecesPerGenre must be at least 2");
    if (!(options.testFraction >= 0 && options.testFraction < 1))
        throw std::invalid_argument("GenreClassifier: testFraction must be in [0, 1)");
    const Composer composer;
    const SynthCodec codec;
    corpus::Rng rng(options.seed);
    std::vector<std::vector<float>> features;
    std::vector<std::int64_t> labels;
    const int total = options.piecesPerGenre * static_cast<int>(genres.size());
    for (int i = 0; i < options.piecesPerGenre; ++i)
        for (std::size_t g = 0; g < genres.size(); ++g) {
            if (cancel && cancel->load()) throw std::runtime_error("cancelled");
            ComposerRequest r;
            r.genre = genres[g];
            r.valence = rng.uniform(1.0, 9.0);
            r.arousal = rng.uniform(1.0, 9.0);
            r.seconds = options.seconds;
            r.seed = rng.next();
            features.push_back(
                genreFeatureVector(codec.decode(composer.compose(r).codes), options.excludeTempo));
            labels.push_back(static_cast<std::int64_t>(g));
            if (progress) progress(static_cast<int>(features.size()), total);
        }
    auto c = train(features, labels, genres, options.l2, options.excludeTempo);
    c.description_ = describe(options, genres);
    if (options.testFraction > 0) {
        FeatureMatrix x(static_cast<std::int64_t>(features.size()),
                        static_cast<std::int64_t>(features[0].size()));
        for (std::size_t i = 0; i < features.size(); ++i)
            std::copy(features[i].begin(), features[i].end(), x.row(static_cast<std::int64_t>(i)));
        ProbeOptions po;
        po.kind = ProbeKind::Softmax;
        po.l2 = options.l2;
        SplitOptions split;
        split.testFraction = options.testFraction;
        split.seed = options.seed;
        c.heldOutAccuracy_ =
            evaluateProbe(x, labels, static_cast<int>(genres.size()), po, split).accuracy;
    }
    return c;
}

GenreClassifier GenreClassifier::loadOrTrain(const std::string& cachePath,
                                             const GenreTrainingOptions& options,
                                             const std::function<void(int, int)>& progress,
                                             const std::atomic<bool>* cancel) {
    const auto genres = options.genres.empty() ? Composer::genres() : options.genres;
    if (!cachePath.empty() && std::filesystem::exists(cachePath)) {
        try {
            auto c = load(cachePath);
            if (c.description_ == describe(options, genres)) return c;
        } catch (const std::exception&) {
            // A stale or damaged cache is simply rebuilt below.
        }
    }
    auto c = trainOnComposer(options, progress, cancel);
    if (!cachePath.empty()) {
        try {
            c.save(cachePath);
        } catch (const std::exception&) {
            // The cache only saves time (e.g. a read-only resources folder): train next time.
        }
    }
    return c;
}

void GenreClassifier::save(const std::string& path) const {
    nlohmann::json j{{"format", kFormat},
                     {"genres", genres_},
                     {"description", description_},
                     {"training_accuracy", trainingAccuracy_},
                     {"feature_mean", mean_},
                     {"feature_scale", scale_},
                     {"weights", weights_},
                     {"bias", bias_},
                     {"exclude_tempo", excludeTempo_}};
    if (!std::isnan(heldOutAccuracy_)) j["held_out_accuracy"] = heldOutAccuracy_;
    try {
        writeTextFileAtomically(path, j.dump(1) + "\n");
    } catch (const std::exception& e) {
        throw std::runtime_error("GenreClassifier: cannot write " + path + ": " + e.what());
    }
}

GenreClassifier GenreClassifier::load(const std::string& path) {
    std::string text;
    try {
        text = models::readFileBounded(path, models::kClassifierFile);
    } catch (const models::FileReadError& e) {
        throw std::runtime_error(std::string("GenreClassifier: ") + e.what());
    }
    GenreClassifier c;
    try {
        const auto j = models::parseJsonBounded(text);
        if (j.at("format").get<std::string>() != kFormat)
            throw std::runtime_error("not a genre classifier (format field)");
        c.genres_ = j.at("genres").get<std::vector<std::string>>();
        c.description_ = j.at("description").get<std::string>();
        c.trainingAccuracy_ = j.at("training_accuracy").get<double>();
        c.mean_ = j.at("feature_mean").get<std::vector<double>>();
        c.scale_ = j.at("feature_scale").get<std::vector<double>>();
        c.weights_ = j.at("weights").get<std::vector<double>>();
        c.bias_ = j.at("bias").get<std::vector<double>>();
        c.excludeTempo_ = j.value("exclude_tempo", false);
        if (j.contains("held_out_accuracy"))
            c.heldOutAccuracy_ = j.at("held_out_accuracy").get<double>();
    } catch (const std::exception& e) {
        throw std::runtime_error("GenreClassifier: " + path + ": " + e.what());
    }
    const std::size_t k = c.genres_.size(), d = c.mean_.size();
    if (k < 2 || d == 0 || c.scale_.size() != d || c.weights_.size() != k * d ||
        c.bias_.size() != k)
        throw std::runtime_error("GenreClassifier: " + path + ": inconsistent sizes");
    return c;
}

std::vector<double> GenreClassifier::scores(const std::vector<float>& features) const {
    const std::size_t d = mean_.size();
    if (features.size() != d)
        throw std::invalid_argument("GenreClassifier: " + std::to_string(features.size()) +
                                    " features, expected " + std::to_string(d));
    std::vector<double> z(d);
    for (std::size_t j = 0; j < d; ++j)
        z[j] = (features[j] - mean_[j]) / scale_[j];
    std::vector<double> out(bias_);
    for (std::size_t c = 0; c < out.size(); ++c)
        for (std::size_t j = 0; j < d; ++j)
            out[c] += weights_[c * d + j] * z[j];
    return out;
}

int GenreClassifier::classify(const std::vector<float>& features) const {
    const auto s = scores(features);
    return static_cast<int>(std::max_element(s.begin(), s.end()) - s.begin());
}

std::vector<float> GenreClassifier::features(const AudioBuffer& audio) const {
    return genreFeatureVector(audio, excludeTempo_);
}

std::string GenreClassifier::classify(const AudioBuffer& audio) const {
    return genres_[static_cast<std::size_t>(classify(features(audio)))];
}

std::vector<double> GenreClassifier::probabilities(const AudioBuffer& audio) const {
    auto s = scores(features(audio));
    const double mx = *std::max_element(s.begin(), s.end());
    double sum = 0;
    for (double& v : s)
        sum += (v = std::exp(v - mx));
    for (double& v : s)
        v /= sum;
    return s;
}

int GenreClassifier::genreIndex(const std::string& genre) const {
    for (std::size_t i = 0; i < genres_.size(); ++i)
        if (genres_[i] == genre) return static_cast<int>(i);
    std::string all;
    for (const auto& n : genres_)
        all += (all.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown genre '" + genre + "' for the genre classifier (" + all +
                                ")");
}

} // namespace moodsteer
