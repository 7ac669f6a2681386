// moodsteer-cli predict-emotion: valence/arousal of audio files with a trained head, per clip
// and per window. A bad file (unreadable, silent, NaN/Inf) is reported and skipped; the exit
// status is 1 when any file failed.
#include "CliCommand.h"
#include "Interrupt.h"
#include "OptionTable.h"

#include "core/audio/AudioFile.h"
#include "core/emotion/DefaultEmotionHead.h"
#include "core/emotion/EmotionPredictor.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>

namespace moodsteer::cli {
namespace {

const char* kHelp =
    R"(usage: moodsteer-cli predict-emotion [--head HEAD.safetensors] [--model-dir D] FILES...
                                      [--json]

Predicts valence and arousal (1..9) for each file: the clip's value (mean over windows) and
each (overlapping, smoothed) window's value, each with an uncertainty (one standard deviation
of the expected error: the ensemble's spread plus the cross-validated error, widened out of
distribution) and flags: silent, out-of-distribution (features far from the training data),
shorter-than-window. A dimension on which the head does not beat its baselines is reported
as not predictable. The head records its encoder, layer and windows; a MERT head also records
its MERT model (a hub repo id or folder), found again here. Files that cannot be read or
contain NaN/Inf are reported and skipped; the exit status is then 1.

  --head FILE      a head written by train-emotion. Default: a MERT head installed with
                   `train-emotion --encoder mert --install` ($MOODSTEER_DATA, else
                   $XDG_DATA_HOME/moodsteer, else ~/.local/share/moodsteer, then
                   emotion/emotion_head_mert.safetensors) when its MERT model is present
                   (the Hugging Face cache or its folder); else the embedded dsp head,
                   resources/emotion/emotion_head_dsp.safetensors
  --model-dir D    MERT folder or hub repo id, instead of the one the head records
  --json           machine-readable output on stdout
)";

int run(const std::vector<std::string>& argv) {
    Args args(argv, {"json", "help"});
    if (args.has("help")) {
        std::cout << kHelp << optionRangesHelp(kHelp);
        return 0;
    }
    args.allowOnly({"json", "help", "head", "model-dir"});
    const std::string headPath = args.has("head") ? args.get("head") : requireDefaultEmotionHead();
    if (args.positional().empty()) throw UsageError("no audio files given");
    const bool json = args.has("json");
    const auto predictor = EmotionPredictor::load(headPath, args.get("model-dir"));

    nlohmann::json clips = nlohmann::json::array();
    int failed = 0;
    for (const auto& file : args.positional()) {
        try {
            const auto p = predictor.predict(readAudioFile(file));
            if (json) {
                nlohmann::json w = nlohmann::json::array();
                for (const auto& win : p.windows)
                    w.push_back({{"start", win.startSeconds},
                                 {"end", win.endSeconds},
                                 {"valence", win.valence},
                                 {"arousal", win.arousal},
                                 {"valence_sd", win.valenceSd},
                                 {"arousal_sd", win.arousalSd},
                                 {"ood_score", win.oodScore}});
                clips.push_back(
                    {{"file", file},
                     {"valence", p.valence},
                     {"arousal", p.arousal},
                     {"valence_sd", p.valenceSd},
                     {"arousal_sd", p.arousalSd},
                     {"valence_predictable", p.valencePredictable},
                     {"arousal_predictable", p.arousalPredictable},
                     {"out_of_distribution", p.outOfDistribution},
                     {"ood_score", std::isfinite(p.oodScore) ? nlohmann::json(p.oodScore)
                                                             : nlohmann::json(nullptr)},
                     {"flags", p.flags},
                     {"windows", w}});
            } else {
                std::string flags;
                for (const auto& f : p.flags)
                    flags += (flags.empty() ? " [" : ", ") + f;
                if (!flags.empty()) flags += "]";
                auto dim = [](bool ok, double v, double sd) {
                    char buf[64];
                    if (ok)
                        std::snprintf(buf, sizeof buf, "%.2f +- %.2f", v, sd);
                    else
                        std::snprintf(buf, sizeof buf, "cannot predict (%.2f)", v);
                    return std::string(buf);
                };
                std::printf("%s: valence %s, arousal %s (%zu window%s)%s\n", file.c_str(),
                            dim(p.valencePredictable, p.valence, p.valenceSd).c_str(),
                            dim(p.arousalPredictable, p.arousal, p.arousalSd).c_str(),
                            p.windows.size(), p.windows.size() == 1 ? "" : "s", flags.c_str());
                for (const auto& win : p.windows)
                    std::printf("  %7.2f - %7.2f s: valence %.2f +- %.2f, arousal %.2f +- %.2f%s\n",
                                win.startSeconds, win.endSeconds, win.valence, win.valenceSd,
                                win.arousal, win.arousalSd,
                                win.oodScore > 1 ? " (out of distribution)" : "");
            }
        } catch (const std::exception& e) {
            ++failed;
            std::cerr << "predict-emotion: " << file << ": " << e.what() << "\n";
            if (json) clips.push_back({{"file", file}, {"error", e.what()}});
        }
    }
    if (json) {
        const auto& info = predictor.info();
        std::cout << nlohmann::json{{"head", headPath},
                                    {"head_description", EmotionPredictor::describe(info)},
                                    {"kind", info.kind},
                                    {"encoder", info.encoder},
                                    {"layer", info.layer},
                                    {"window_seconds", info.windowSeconds},
                                    {"hop_seconds", info.hopSeconds},
                                    {"clips", clips},
                                    {"failed", failed}}
                         .dump(2)
                  << "\n";
    }
    return failed > 0 ? 1 : 0;
}

const CliCommand reg("predict-emotion", "predict valence/arousal of audio files", run);

} // namespace
} // namespace moodsteer::cli
