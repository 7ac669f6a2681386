// moodsteer-cli eval-emotion: the Emotion Predictor against labelled audio, reported as
// LARA-Gen's Table 1 (CCC, PCC, RMSE for arousal and valence), with the scatter as CSV/SVG.
#include "CliCommand.h"
#include "CliSupport.h"
#include "Interrupt.h"
#include "OptionTable.h"

#include "core/audio/AudioFile.h"
#include "core/emotion/DefaultEmotionHead.h"
#include "core/emotion/EmotionPredictor.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>

namespace moodsteer::cli {
namespace {

const char* kHelp =
    R"(usage: moodsteer-cli eval-emotion [--head HEAD.safetensors] --data DIR [--model-dir D]
                                   [--csv SCATTER.csv] [--svg SCATTER.svg] [--json]

Predicts every clip of DIR/labels.csv (columns file, valence, arousal) and prints CCC, PCC and
RMSE for arousal and valence (LARA-Gen Table 1), plus the error's mean and sigma. Unreadable
or silent clips are reported and left out (exit status 1).

  --head FILE  a head written by train-emotion (default: the embedded dsp head,
               resources/emotion/emotion_head_dsp.safetensors)
  --csv FILE   scatter data: name, target/predicted valence, target/predicted arousal
  --svg FILE   scatter plot (predicted vs target, ideal line, +-sigma band)
  --json       machine-readable output on stdout
)";

int run(const std::vector<std::string>& argv) {
    Args args(argv, {"json", "help"});
    if (args.has("help")) {
        std::cout << kHelp << optionRangesHelp(kHelp);
        return 0;
    }
    args.allowOnly({"json", "help", "head", "data", "model-dir", "csv", "svg"}, 0);
    if (!args.positional().empty())
        throw UsageError("unexpected argument '" + args.positional()[0] + "'");
    const std::string headPath = args.has("head") ? args.get("head") : requireDefaultEmotionHead();
    const std::string dir = args.require("data");
    const bool json = args.has("json");
    const auto labels = readEmotionLabels((std::filesystem::path(dir) / "labels.csv").string());
    const auto predictor = EmotionPredictor::load(headPath, args.get("model-dir"));

    std::vector<EmotionScatterPoint> points;
    std::vector<VaPoint> targets, predictions;
    int failed = 0, ood = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        std::cerr << "\rpredicting " << i + 1 << "/" << labels.size() << std::flush;
        try {
            const auto path = std::filesystem::path(dir) / labels[i].file;
            const auto p = predictor.predict(readAudioFile(path.string()));
            if (!p.flags.empty() && p.flags[0] == kFlagSilent)
                throw std::runtime_error("the clip is silent");
            ood += p.outOfDistribution;
            points.push_back({labels[i].file, labels[i].target, {p.valence, p.arousal}});
            targets.push_back(labels[i].target);
            predictions.push_back({p.valence, p.arousal});
        } catch (const std::exception& e) {
            ++failed;
            std::cerr << "\neval-emotion: " << labels[i].file << ": " << e.what() << "\n";
        }
    }
    std::cerr << "\n";
    if (points.size() < 2)
        throw std::runtime_error("only " + std::to_string(points.size()) +
                                 " clip(s) could be predicted; metrics need at least 2");
    const auto m = computeEmotionMetrics(targets, predictions);
    if (args.has("csv")) writeEmotionScatterCsv(args.get("csv"), points);
    if (args.has("svg"))
        writeEmotionScatterSvg(args.get("svg"), points,
                               "Emotion Predictor on " +
                                   std::filesystem::weakly_canonical(dir).filename().string());

    if (json) {
        std::cout << nlohmann::json{{"head", headPath},
                                    {"data", dir},
                                    {"clips", points.size()},
                                    {"failed", failed},
                                    {"out_of_distribution", ood},
                                    {"head_description",
                                     EmotionPredictor::describe(predictor.info())},
                                    {"arousal", metricsJson(m.arousal)},
                                    {"valence", metricsJson(m.valence)}}
                         .dump(2)
                  << "\n";
    } else {
        std::printf("%zu clips (%d failed, %d flagged out of distribution), head %s\n  %s\n",
                    points.size(), failed, ood, headPath.c_str(),
                    EmotionPredictor::describe(predictor.info()).c_str());
        std::printf("  %7s %7s %7s %7s %7s %7s\n", "CCC_A", "CCC_V", "PCC_A", "PCC_V", "RMSE_A",
                    "RMSE_V");
        std::printf("  %7.3f %7.3f %7.3f %7.3f %7.3f %7.3f\n", m.arousal.ccc, m.valence.ccc,
                    m.arousal.pcc, m.valence.pcc, m.arousal.rmse, m.valence.rmse);
        std::printf("  error mean / sigma: arousal %.3f / %.3f, valence %.3f / %.3f\n",
                    m.arousal.errorMean, m.arousal.errorSigma, m.valence.errorMean,
                    m.valence.errorSigma);
    }
    return failed > 0 ? 1 : 0;
}

const CliCommand reg("eval-emotion", "score the Emotion Predictor on labelled audio", run);

} // namespace
} // namespace moodsteer::cli
