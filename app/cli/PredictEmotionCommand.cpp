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

#include <iostream>

namespace moodsteer::cli {
namespace {

const char* kHelp =
    R"(usage: moodsteer-cli predict-emotion [--head HEAD.safetensors] [--model-dir D] FILES...
                                      [--json]

Predicts valence and arousal (1..9) for each file: the clip's value (mean over windows) and
each window's value. The head records its encoder, layer and window length; a MERT head
needs the MERT folder (--model-dir). Files that cannot be read, are silent, or contain
NaN/Inf are reported and skipped; the exit status is then 1.

  --head FILE      a head written by train-emotion (default: the embedded dsp head,
                   resources/emotion/emotion_head_dsp.safetensors)
  --model-dir D    MERT folder (for heads trained on MERT features)
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
                                 {"arousal", win.arousal}});
                clips.push_back({{"file", file},
                                 {"valence", p.valence},
                                 {"arousal", p.arousal},
                                 {"windows", w}});
            } else {
                std::printf("%s: valence %.2f, arousal %.2f (%zu window%s)\n", file.c_str(),
                            p.valence, p.arousal, p.windows.size(),
                            p.windows.size() == 1 ? "" : "s");
                for (const auto& win : p.windows)
                    std::printf("  %7.2f - %7.2f s: valence %.2f, arousal %.2f\n", win.startSeconds,
                                win.endSeconds, win.valence, win.arousal);
            }
        } catch (const std::exception& e) {
            ++failed;
            std::cerr << "predict-emotion: " << file << ": " << e.what() << "\n";
            if (json) clips.push_back({{"file", file}, {"error", e.what()}});
        }
    }
    if (json) {
        const auto& info = predictor.info();
        std::cout << nlohmann::json{{"head", headPath},    {"encoder", info.encoder},
                                    {"layer", info.layer}, {"window_seconds", info.windowSeconds},
                                    {"clips", clips},      {"failed", failed}}
                         .dump(2)
                  << "\n";
    }
    return failed > 0 ? 1 : 0;
}

const CliCommand reg("predict-emotion", "predict valence/arousal of audio files", run);

} // namespace
} // namespace moodsteer::cli
