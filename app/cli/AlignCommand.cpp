// moodsteer-cli align: the alignment score (cosine of the text and audio embeddings) of audio
// files against a prompt.
#include "CliCommand.h"
#include "CliSupport.h"

#include "core/alignment/AlignmentModel.h"
#include "core/audio/AudioFile.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace moodsteer::cli {
namespace {

const char* kHelp =
    R"(usage: moodsteer-cli align --prompt TEXT [--model FILE] [--genres a,b,...] [--json] FILE...

Scores each audio file against the prompt with the text-audio alignment model: the cosine of
their embeddings (-1..1; higher = the clip sounds more like the text). Scores compare clips
and prompts with each other; they are not probabilities. With --genres, also the zero-shot genre
(the nearest "{genre} music" text).

  --prompt TEXT    the text to score against
  --model FILE     alignment model (default: resources/alignment/alignment.safetensors)
  --genres LIST    comma-separated candidate genres for a zero-shot guess
  --json           one JSON object per run on stdout
)";

int run(const std::vector<std::string>& argv) {
    Args args(argv, {"json", "help"});
    if (args.has("help")) {
        std::cout << kHelp;
        return 0;
    }
    args.allowOnly({"json", "help", "prompt", "model", "genres"});
    const auto prompt = args.require("prompt");
    requireUtf8(prompt, "--prompt");
    if (args.positional().empty()) throw UsageError("give at least one audio FILE");
    std::vector<std::string> genres;
    if (args.has("genres")) {
        const auto list = args.get("genres");
        std::string item;
        for (std::size_t i = 0; i <= list.size(); ++i) {
            if (i == list.size() || list[i] == ',') {
                if (item.empty()) throw UsageError("--genres: empty name in '" + list + "'");
                genres.push_back(item);
                item.clear();
            } else {
                item += list[i];
            }
        }
    }
    const auto modelPath = args.get("model", AlignmentModel::defaultPath());
    const auto model = AlignmentModel::load(modelPath);
    const auto text = model.embedText(prompt);
    auto rows = nlohmann::json::array();
    for (const auto& file : args.positional()) {
        const auto clip = readAudioFile(file); // its errors name the file
        std::vector<float> audio;
        try {
            audio = model.embedAudio(clip);
        } catch (const std::invalid_argument& e) {
            throw std::runtime_error("'" + file + "': " + e.what());
        }
        nlohmann::json row{{"file", file}, {"score", AlignmentModel::cosine(audio, text)}};
        if (!genres.empty()) {
            const auto s = model.genreScores(audio, genres);
            const auto best = model.zeroShotGenre(audio, genres);
            row["genre"] = genres[static_cast<std::size_t>(best)];
            row["genre_scores"] = s;
        }
        rows.push_back(row);
    }
    if (args.has("json")) {
        std::cout << nlohmann::json{{"model", modelPath}, {"prompt", prompt}, {"clips", rows}}.dump(
                         1)
                  << "\n";
        return 0;
    }
    for (const auto& r : rows) {
        std::printf("%.3f  %s", r["score"].get<double>(), r["file"].get<std::string>().c_str());
        if (r.contains("genre"))
            std::printf("  (zero-shot genre: %s)", r["genre"].get<std::string>().c_str());
        std::printf("\n");
    }
    return 0;
}

const CliCommand reg("align", "alignment score of audio files against a prompt", run);

} // namespace
} // namespace moodsteer::cli
