// moodsteer-cli train-emotion: trains the Emotion Predictor's head on a labelled folder and
// reports k-fold cross-validated CCC / PCC / RMSE (LARA-Gen's evaluator).
#include "CliCommand.h"
#include "CliSupport.h"
#include "Interrupt.h"
#include "OptionTable.h"

#include "core/audio/AudioFile.h"
#include "core/emotion/EmotionPredictor.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>

namespace moodsteer::cli {
namespace {

const char* kHelp =
    R"(usage: moodsteer-cli train-emotion --data DIR --encoder dsp|mert --out HEAD.safetensors
                                    [options]

Trains the Emotion Predictor head: each clip is cut into non-overlapping windows, encoder
features are mean-pooled per window, a 3-layer MLP maps them to (valence, arousal) on 1..9.
Loss 1 - CCC (both dimensions), AdamW, validation split with early stopping; a k-fold
cross-validation report comes first, then the final head is trained on every clip.

  --data DIR          folder with audio files and labels.csv (columns file, valence, arousal;
                      other columns ignored; file paths relative to DIR)
  --encoder E         dsp (embedded, no weights) or mert (needs --model-dir)
  --model-dir D       MERT folder (config.json + model.safetensors)
  --layer L           MERT hidden layer 0..N, or -1 = mean of layers 1..N (default -1)
  --window S          window length in seconds (default 5)
  --out FILE          the head to write (safetensors, atomic)
  --folds K           cross-validation folds (default 5; 0 = no CV)
  --epochs N          maximum epochs (default 300)   --patience N  early stopping (default 30)
  --lr X              AdamW learning rate (default 1e-4)
  --weight-decay X    AdamW weight decay (default 1e-5)
  --batch N           windows per step (default 32)  --hidden N    MLP width (default 256)
  --seed N            (default 1234)
  --json              machine-readable report on stdout
)";

int run(const std::vector<std::string>& argv) {
    Args args(argv, {"json", "help"});
    if (args.has("help")) {
        std::cout << kHelp << optionRangesHelp(kHelp);
        return 0;
    }
    args.allowOnly({"json", "help", "data", "encoder", "model-dir", "layer", "window", "out",
                    "folds", "epochs", "patience", "lr", "weight-decay", "batch", "hidden",
                    "seed"});
    if (!args.positional().empty())
        throw UsageError("unexpected argument '" + args.positional()[0] + "'");
    const std::string dir = args.require("data");
    const std::string encoderName = args.require("encoder");
    const std::string out = args.require("out");
    if (encoderName != "dsp" && encoderName != "mert")
        throw UsageError("--encoder must be dsp or mert, got '" + encoderName + "'");
    if (encoderName == "mert" && !args.has("model-dir"))
        throw UsageError("--encoder mert needs --model-dir (a MERT Hugging Face folder)");
    EmotionTrainingOptions o;
    o.windowSeconds = args.getDouble("window", o.windowSeconds);
    o.folds = static_cast<int>(args.getInt("folds", o.folds));
    o.epochs = static_cast<int>(args.getInt("epochs", o.epochs));
    o.patience = static_cast<int>(args.getInt("patience", o.patience));
    o.learningRate = args.getDouble("lr", o.learningRate);
    o.weightDecay = args.getDouble("weight-decay", o.weightDecay);
    o.batchSize = static_cast<int>(args.getInt("batch", o.batchSize));
    o.hiddenSize = static_cast<int>(args.getInt("hidden", o.hiddenSize));
    o.seed = args.getU64("seed", o.seed);
    o.log = [](const std::string& line) {
        throwIfInterrupted("stopped while training; no head was written");
        std::cerr << line << "\n";
    };
    const bool json = args.has("json");

    const auto labels = readEmotionLabels((std::filesystem::path(dir) / "labels.csv").string());
    std::shared_ptr<const AudioFeatureEncoder> encoder = makeFeatureEncoder(
        encoderName, args.get("model-dir"), static_cast<int>(args.getInt("layer", -1)));
    EmotionTrainer trainer(encoder, o);
    std::vector<EmotionExample> examples;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const auto path = std::filesystem::path(dir) / labels[i].file;
        throwIfInterrupted("stopped while encoding the clips; nothing was written");
        std::cerr << "\rencoding " << i + 1 << "/" << labels.size() << std::flush;
        // Training on a silently shrunken data set would mislead: any bad file stops here.
        examples.push_back(
            trainer.prepare(labels[i].file, readAudioFile(path.string()), labels[i].target));
    }
    std::cerr << "\n";
    EmotionTrainingReport report;
    auto predictor = trainer.train(examples, &report);
    predictor.save(out, {{"train_data", std::filesystem::absolute(dir).string()}});

    if (json) {
        nlohmann::json j;
        j["head"] = out;
        j["encoder"] = encoderName;
        j["layer"] = encoder->layer();
        j["window_seconds"] = o.windowSeconds;
        j["clips"] = examples.size();
        j["epochs"] = report.epochs;
        j["best_validation_loss"] = report.bestValidationLoss;
        if (!report.folds.empty()) {
            j["cross_validation"] = {{"folds", o.folds},
                                     {"valence", metricsJson(report.crossValidated.valence)},
                                     {"arousal", metricsJson(report.crossValidated.arousal)}};
            for (const auto& f : report.folds)
                j["cross_validation"]["per_fold"].push_back(
                    {{"fold", f.fold},
                     {"test_clips", f.testClips},
                     {"epochs", f.epochs},
                     {"valence", metricsJson(f.metrics.valence)},
                     {"arousal", metricsJson(f.metrics.arousal)}});
        }
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("trained on %zu clips (%s encoder, %g s windows): %d epochs, best validation "
                "loss %.4f\n",
                examples.size(), encoderName.c_str(), o.windowSeconds, report.epochs,
                report.bestValidationLoss);
    if (!report.folds.empty()) {
        std::printf("%d-fold cross-validation (clip level, held-out folds):\n", o.folds);
        std::printf("  %-8s %7s %7s %7s %9s %9s\n", "", "CCC", "PCC", "RMSE", "err mean",
                    "err sigma");
        for (const auto& [name, m] : {std::pair{"arousal", report.crossValidated.arousal},
                                      std::pair{"valence", report.crossValidated.valence}})
            std::printf("  %-8s %7.3f %7.3f %7.3f %9.3f %9.3f\n", name, m.ccc, m.pcc, m.rmse,
                        m.errorMean, m.errorSigma);
        for (const auto& f : report.folds)
            std::printf("  fold %d (%d clips, %d epochs): CCC a %.3f v %.3f\n", f.fold, f.testClips,
                        f.epochs, f.metrics.arousal.ccc, f.metrics.valence.ccc);
    }
    std::printf("head written to %s\n", out.c_str());
    return 0;
}

const CliCommand reg("train-emotion", "train the Emotion Predictor head on labelled audio", run);

} // namespace
} // namespace moodsteer::cli
