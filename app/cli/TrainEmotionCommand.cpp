// moodsteer-cli train-emotion: trains the Emotion Predictor's head on one or more labelled
// folders (real recordings + the synthesized corpus, each with a weight) and reports grouped
// cross-validation and leave-one-genre-out figures per dataset beside two baselines.
#include "CliCommand.h"
#include "CliSupport.h"
#include "Interrupt.h"
#include "OptionTable.h"

#include "core/audio/AudioFile.h"
#include "core/emotion/DefaultEmotionHead.h"
#include "core/emotion/EmotionFeatureCache.h"
#include "core/emotion/EmotionPredictor.h"
#include "core/emotion/MertLayerWeights.h"
#include "core/hub/ModelLocator.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

namespace moodsteer::cli {
namespace {

const char* kHelp =
    R"(usage: moodsteer-cli train-emotion --data DIR [--data DIR2 ...] --encoder dsp|mert
                                    --out HEAD.safetensors [options]

Trains the Emotion Predictor head. Each clip is normalised to -23 LUFS (EBU R128), cut into
windows of W s every H s, and encoder features are mean-pooled per window. The default head is
an ensemble of ridge regressions (penalty and output calibration picked by an inner grouped
cross-validation); its report: grouped k-fold cross-validation (an artist never in both train
and test folds) and leave-one-genre-out, per dataset, with CCC / PCC / RMSE beside two
baselines (the dataset's mean; a linear model on absolute loudness + tempo).

  --data DIR          folder with .wav/.flac/.ogg files and labels.csv (columns file, valence,
                      arousal; optional artist = grouping, genre = leave-one-genre-out).
                      Give several; the first is the primary dataset (its figures set the
                      head's uncertainty and the studio's "predictable" flags)
  --data-weights W,.. weight of each --data folder's clips in training (default 1 each)
  --encoder E         dsp (embedded, no weights) or mert (needs --model-dir)
  --model-dir D       MERT folder (config.json + model.safetensors) or a hub repo id in the
                      Hugging Face cache (m-a-p/MERT-v1-95M); recorded in the head, so
                      predict-emotion and the studio find it again
  --layer L           MERT hidden layer 0..N (default: the mean of layers 1..N)
  --weighted-layers   MERT: learn one weight per hidden state 0..N (softmax, jointly with a
                      linear readout on the clips' features), then train the head on the
                      weighted mean; the weights are stored in the head
  --install           MERT: also install the head where predict-emotion, eval-emotion,
                      bench-emotion and the studio look first (see predict-emotion --help)
  --window S          window length in seconds (default 5)
  --hop S             window hop in seconds (default: half the window for ridge, the window
                      for mlp)
  --head K            ridge (default) or mlp (LARA-Gen's 3-layer MLP, 1 - CCC loss)
  --calibration C     ridge output spread: balanced (default), ccc, rmse or none
  --exclude F,..      ridge: leave out these feature families (see --ablate)
  --ablate            ridge: also report the grouped CV with each feature family left out
  --no-genre-cv       skip leave-one-genre-out
  --cache DIR         feature cache folder (default ~/.cache/moodsteer/emotion-features)
  --no-cache          do not read or write cached features
  --out FILE          the head to write (safetensors, atomic)
  --folds K           cross-validation folds (default 5; 0 = no CV)
  --seed N            (default 1234)
  mlp only: --epochs N (300) --patience N (30) --lr X (1e-4) --weight-decay X (1e-5)
            --batch N (32) --hidden N (256)
  --json              machine-readable report on stdout
)";

struct Dataset {
    std::string dir, name;
    double weight = 1;
};

std::vector<double> parseWeights(const std::string& text, std::size_t count) {
    std::vector<double> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        std::size_t used = 0;
        double w = 0;
        try {
            w = std::stod(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != item.size() || !(w > 0) || !std::isfinite(w))
            throw UsageError("--data-weights: '" + item + "' is not a positive number");
        out.push_back(w);
    }
    if (out.size() != count)
        throw UsageError("--data-weights has " + std::to_string(out.size()) + " values for " +
                         std::to_string(count) + " --data folders");
    return out;
}

nlohmann::json scoreJson(const EmotionDatasetScore& s) {
    nlohmann::json j;
    j["dataset"] = s.dataset;
    j["clips"] = s.clips;
    for (const auto& [name, m] :
         {std::pair{"model", s.model}, std::pair{"mean_baseline", s.meanBaseline},
          std::pair{"loudness_tempo_baseline", s.loudnessTempoBaseline}})
        j[name] = {{"valence", metricsJson(m.valence)}, {"arousal", metricsJson(m.arousal)}};
    return j;
}

void printProtocol(const EmotionProtocolResult& p) {
    std::printf("%s (%d folds), clip level, held-out folds only:\n", p.name.c_str(), p.folds);
    for (const auto& s : p.datasets) {
        std::printf("  %s (%d clips)\n", s.dataset.c_str(), s.clips);
        std::printf("    %-9s %-26s %7s %7s %7s\n", "", "", "CCC", "PCC", "RMSE");
        for (int d = 0; d < 2; ++d)
            for (const auto& [name, m] :
                 {std::pair{"head", s.model}, std::pair{"mean baseline", s.meanBaseline},
                  std::pair{"loudness+tempo baseline", s.loudnessTempoBaseline}}) {
                const auto& x = d == 0 ? m.arousal : m.valence;
                std::printf("    %-9s %-26s %7.3f %7.3f %7.3f\n", d == 0 ? "arousal" : "valence",
                            name, x.ccc, x.pcc, x.rmse);
            }
    }
}

std::vector<int> familyColumns(const AudioFeatureEncoder& enc, const std::string& list) {
    const auto families = enc.featureFamilies();
    std::vector<int> cols;
    std::stringstream ss(list);
    std::string item;
    while (std::getline(ss, item, ',')) {
        auto it = std::find_if(families.begin(), families.end(),
                               [&](const auto& f) { return f.first == item; });
        if (it == families.end()) {
            std::string known;
            for (const auto& f : families)
                known += (known.empty() ? "" : ", ") + f.first;
            throw UsageError("--exclude: unknown feature family '" + item + "' for the " +
                             enc.name() + " encoder (known: " + (known.empty() ? "none" : known) +
                             ")");
        }
        cols.insert(cols.end(), it->second.begin(), it->second.end());
    }
    return cols;
}

int run(const std::vector<std::string>& argv) {
    Args args(argv,
              {"json", "help", "ablate", "no-genre-cv", "no-cache", "weighted-layers", "install"});
    if (args.has("help")) {
        std::cout << kHelp << optionRangesHelp(kHelp);
        return 0;
    }
    args.allowOnly({"json",        "help",
                    "data",        "data-weights",
                    "encoder",     "model-dir",
                    "layer",       "window",
                    "hop",         "head",
                    "calibration", "exclude",
                    "ablate",      "no-genre-cv",
                    "cache",       "no-cache",
                    "out",         "folds",
                    "epochs",      "patience",
                    "lr",          "weight-decay",
                    "batch",       "hidden",
                    "seed",        "weighted-layers",
                    "install"});
    if (!args.positional().empty())
        throw UsageError("unexpected argument '" + args.positional()[0] + "'");
    const auto dirs = args.all("data");
    if (dirs.empty()) throw UsageError("missing required option --data");
    const std::string encoderName = args.require("encoder");
    const std::string out = args.require("out");
    if (encoderName != "dsp" && encoderName != "mert")
        throw UsageError("--encoder must be dsp or mert, got '" + encoderName + "'");
    if (encoderName == "mert" && !args.has("model-dir"))
        throw UsageError("--encoder mert needs --model-dir (a MERT Hugging Face folder)");
    const bool weighted = args.has("weighted-layers");
    if (encoderName != "mert" && (weighted || args.has("install") || args.has("layer")))
        throw UsageError("--layer, --weighted-layers and --install need --encoder mert");
    if (weighted && args.has("layer"))
        throw UsageError("--weighted-layers and --layer exclude each other");
    checkWritableTarget(out);
    std::vector<Dataset> datasets;
    const auto weights = args.has("data-weights")
                             ? parseWeights(args.get("data-weights"), dirs.size())
                             : std::vector<double>(dirs.size(), 1.0);
    std::set<std::string> names;
    for (std::size_t i = 0; i < dirs.size(); ++i) {
        if (!std::filesystem::is_directory(dirs[i]))
            throw UsageError("--data '" + dirs[i] + "' is not a folder");
        Dataset d{dirs[i], std::filesystem::absolute(dirs[i]).lexically_normal().filename(),
                  weights[i]};
        if (d.name.empty()) d.name = std::filesystem::absolute(dirs[i]).parent_path().filename();
        if (!names.insert(d.name).second) d.name.append("#").append(std::to_string(i + 1));
        datasets.push_back(d);
    }

    EmotionTrainingOptions o;
    o.head = args.get("head", o.head);
    o.calibration = args.get("calibration", o.calibration);
    o.windowSeconds = args.getDouble("window", o.windowSeconds);
    o.hopSeconds = args.getDouble("hop", 0);
    o.folds = static_cast<int>(args.getInt("folds", o.folds));
    o.epochs = static_cast<int>(args.getInt("epochs", o.epochs));
    o.patience = static_cast<int>(args.getInt("patience", o.patience));
    o.learningRate = args.getDouble("lr", o.learningRate);
    o.weightDecay = args.getDouble("weight-decay", o.weightDecay);
    o.batchSize = static_cast<int>(args.getInt("batch", o.batchSize));
    o.hiddenSize = static_cast<int>(args.getInt("hidden", o.hiddenSize));
    o.seed = args.getU64("seed", o.seed);
    o.leaveOneGenreOut = !args.has("no-genre-cv");
    o.log = [](const std::string& line) {
        throwIfInterrupted("stopped while training; no head was written");
        std::cerr << line << "\n";
    };
    if (o.head != "ridge" && o.head != "mlp")
        throw UsageError("--head must be ridge or mlp, got '" + o.head + "'");
    if (o.head == "mlp" && (args.has("ablate") || args.has("exclude")))
        throw UsageError("--ablate and --exclude need --head ridge");
    const bool json = args.has("json");

    // A MERT folder or hub repo id; the head records what the user named (repo id or
    // absolute folder), so that it finds its model again on this or another machine.
    ModelSource mert;
    if (encoderName == "mert") mert = ModelLocator().resolve(args.get("model-dir"));
    // With --weighted-layers the clips are encoded with every layer side by side; the head's
    // encoder (the weighted mean) exists once the weights are learned.
    std::shared_ptr<const AudioFeatureEncoder> encoder = makeFeatureEncoder(
        encoderName, mert.folder,
        weighted ? kMertAllLayers : static_cast<int>(args.getInt("layer", kMertMeanLayers)));
    if (args.has("exclude")) o.excludedFeatures = familyColumns(*encoder, args.get("exclude"));
    EmotionTrainer trainer(encoder, o);
    const auto& eff = trainer.options();
    const std::optional<EmotionFeatureCache> cache =
        args.has("no-cache") ? std::nullopt : std::optional<EmotionFeatureCache>(args.get("cache"));
    char sigWindow[64];
    std::snprintf(sigWindow, sizeof sigWindow, "|window %.6g hop %.6g|R128 -23", eff.windowSeconds,
                  eff.hopSeconds);
    const std::string signature = encoder->signature() + sigWindow;

    std::vector<EmotionExample> examples;
    int cached = 0;
    for (const auto& d : datasets) {
        const auto labels =
            readEmotionLabels((std::filesystem::path(d.dir) / "labels.csv").string());
        for (std::size_t i = 0; i < labels.size(); ++i) {
            const auto path = (std::filesystem::path(d.dir) / labels[i].file).string();
            std::string ext = std::filesystem::path(path).extension().string();
            std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
            if (ext != ".wav" && ext != ".flac" && ext != ".ogg")
                throw std::runtime_error("'" + path + "': only .wav, .flac and .ogg are read");
            throwIfInterrupted("stopped while encoding the clips; nothing was written");
            std::cerr << "\rencoding " << d.name << " " << i + 1 << "/" << labels.size()
                      << std::flush;
            EmotionExample e;
            // Training on a silently shrunken data set would mislead: any bad file stops here.
            if (auto hit = cache ? cache->load(path, signature) : std::nullopt) {
                e.name = labels[i].file;
                e.target = labels[i].target;
                e.features = std::move(*hit);
                ++cached;
            } else {
                e = trainer.prepare(labels[i].file, readAudioFile(path), labels[i].target);
                if (cache) cache->store(path, signature, e.features);
            }
            e.dataset = d.name;
            e.group = labels[i].artist;
            e.genre = labels[i].genre;
            e.weight = d.weight;
            examples.push_back(std::move(e));
        }
        std::cerr << "\n";
    }
    if (cache)
        std::cerr << cached << "/" << examples.size() << " clips' features from the cache "
                  << cache->dir() << "\n";
    std::vector<float> layerWeights;
    if (weighted) {
        const int layers = encoder->layerCount();
        const int dims = encoder->featureSize() / layers;
        LayerWeightOptions lw;
        lw.seed = o.seed;
        layerWeights = learnLayerWeights(examples, layers, dims, lw, o.log);
        examples = weightLayers(examples, layerWeights, dims);
        encoder = makeFeatureEncoder("mert", mert.folder, kMertWeightedLayers, layerWeights);
        trainer = EmotionTrainer(encoder, o);
    }

    nlohmann::json ablation = nlohmann::json::array();
    if (args.has("ablate")) {
        // Each family left out in turn, grouped CV only: what does each one add?
        for (const auto& [family, cols] : encoder->featureFamilies()) {
            EmotionTrainingOptions a = eff;
            a.excludedFeatures = o.excludedFeatures;
            a.excludedFeatures.insert(a.excludedFeatures.end(), cols.begin(), cols.end());
            a.leaveOneGenreOut = false;
            a.log = nullptr;
            EmotionTrainingReport r;
            EmotionTrainer(encoder, a).train(examples, &r);
            for (const auto& s : r.protocols.at(0).datasets) {
                ablation.push_back({{"without", family},
                                    {"dataset", s.dataset},
                                    {"valence", metricsJson(s.model.valence)},
                                    {"arousal", metricsJson(s.model.arousal)}});
                if (!json)
                    std::printf("without %-15s %-14s CCC a %.3f v %.3f  RMSE a %.3f v %.3f\n",
                                family.c_str(), s.dataset.c_str(), s.model.arousal.ccc,
                                s.model.valence.ccc, s.model.arousal.rmse, s.model.valence.rmse);
            }
        }
    }

    EmotionTrainingReport report;
    auto predictor = trainer.train(examples, &report);
    std::string sources;
    for (const auto& d : datasets) {
        char weight[32];
        std::snprintf(weight, sizeof weight, " x%g", d.weight);
        if (!sources.empty()) sources.append(";");
        sources.append(std::filesystem::absolute(d.dir).string()).append(weight);
    }
    std::map<std::string, std::string> metadata{
        {"train_data", sources}, {"train_excluded_families", args.get("exclude", "none")}};
    if (encoderName == "mert") metadata["mert_model"] = mert.model;
    predictor.save(out, metadata);
    std::string installed;
    if (args.has("install")) {
        installed = userMertHeadPath();
        std::filesystem::create_directories(std::filesystem::path(installed).parent_path());
        predictor.save(installed, metadata);
    }

    if (json) {
        nlohmann::json j;
        j["head"] = out;
        j["kind"] = o.head;
        j["encoder"] = encoderName;
        j["layer"] = encoder->layer();
        if (!layerWeights.empty()) j["layer_weights"] = layerWeights;
        if (encoderName == "mert") j["mert_model"] = mert.model;
        if (!installed.empty()) j["installed"] = installed;
        j["window_seconds"] = eff.windowSeconds;
        j["hop_seconds"] = eff.hopSeconds;
        j["clips"] = examples.size();
        j["described_as"] = EmotionPredictor::describe(predictor.info());
        j["valence_predictable"] = predictor.info().valencePredictable;
        j["arousal_predictable"] = predictor.info().arousalPredictable;
        for (const auto& p : report.protocols) {
            nlohmann::json pj{{"name", p.name}, {"folds", p.folds}};
            for (const auto& s : p.datasets)
                pj["datasets"].push_back(scoreJson(s));
            j["protocols"].push_back(pj);
        }
        if (!ablation.empty()) j["ablation"] = ablation;
        if (o.head == "mlp") j["epochs"] = report.epochs;
        if (!report.folds.empty())
            j["cross_validation"] = {{"folds", report.folds.size()},
                                     {"valence", metricsJson(report.crossValidated.valence)},
                                     {"arousal", metricsJson(report.crossValidated.arousal)}};
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("trained a %s head on %zu clips (%s encoder, %g s windows every %g s)\n",
                o.head.c_str(), examples.size(), encoderName.c_str(), eff.windowSeconds,
                eff.hopSeconds);
    for (const auto& p : report.protocols)
        printProtocol(p);
    if (report.protocols.empty() && !report.folds.empty()) {
        const auto& cv = report.crossValidated;
        std::printf("%zu-fold cross-validation (clip level): CCC a %.3f v %.3f, RMSE a %.3f v "
                    "%.3f\n",
                    report.folds.size(), cv.arousal.ccc, cv.valence.ccc, cv.arousal.rmse,
                    cv.valence.rmse);
    }
    std::printf("valence %s, arousal %s (beats both baselines on the primary dataset)\n",
                predictor.info().valencePredictable ? "predictable" : "NOT predictable",
                predictor.info().arousalPredictable ? "predictable" : "NOT predictable");
    if (!layerWeights.empty()) {
        std::printf("layer weights (hidden states 0..%zu):", layerWeights.size() - 1);
        for (float w : layerWeights)
            std::printf(" %.3f", w);
        std::printf("\n");
    }
    std::printf("head written to %s\n", out.c_str());
    if (!installed.empty())
        std::printf("installed as %s: the emotion commands and the studio now use it\n",
                    installed.c_str());
    return 0;
}

const CliCommand reg("train-emotion", "train the Emotion Predictor head on labelled audio", run);

} // namespace
} // namespace moodsteer::cli
