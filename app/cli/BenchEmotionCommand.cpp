// moodsteer-cli bench-emotion: generate over a grid of valence-arousal targets (AV
// conditioning or LARA-Gen's text baseline), predict each clip's emotion and print LARA-Gen's
// Table-1 columns, the genre recognition rate and the "is it music" measures.
#include "CliCommand.h"
#include "Interrupt.h"
#include "OptionTable.h"

#include "CliSupport.h"

#include "core/alignment/AlignmentModel.h"
#include "core/corpus/Composer.h"
#include "core/emotion/DefaultEmotionHead.h"
#include "core/emotion/EmotionBenchmark.h"
#include "core/emotion/EmotionPredictor.h"
#include "core/emotion/GenreClassifier.h"
#include "core/engine/MusicEngine.h"
#include "core/io/Resources.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

namespace moodsteer::cli {
namespace {

const char* kHelp =
    R"(usage: moodsteer-cli bench-emotion [--model DIR|embedded] [--grid 5x5] [--genres a,b,...]
                                    [--clips-per-point N] [--seconds S] [--seed X]
                                    [--text-baseline] [--head H] [--csv F] [--svg F] [--json]

Generates clips over a grid of (valence, arousal) targets evenly spaced over 1..9 (5x5:
{1,3,5,7,9}^2), for every genre and N clips per point (clip i gets seed X + i), predicts each
clip's emotion with the Emotion Predictor and prints CCC, PCC and RMSE for arousal and valence
(LARA-Gen Table 1).

  --model DIR        model folder, or "embedded" (default)
  --grid VxA         grid points along valence x arousal (default 5x5)
  --genres a,b       prompted genres (default: the model's genres; none: prompt "music")
  --clips-per-point N (default 1)   --seconds S clip length (default 10)   --seed X (default 1)
  --guidance G       classifier-free guidance (default: the model's, generation_config.json;
                     3 without one)
  --emotion-guidance E   guidance of the AV token alone (default: the model's; none: E = G)
  --top-k K (250)  --temperature T (1): sampling, as in generate
  --prompt-template T   AV conditioning's prompt (default "{genre} music"; {word}: the mood
                     word nearest to the target)
  --text-baseline    no AV conditioning: prompt "Generate a [word] [genre] music." with the
                     emotion word nearest to the target (Glasgow Norms)
  --head FILE        emotion head (default: the embedded dsp head)
  --model-dir D      MERT folder, for a head trained on MERT features
  --genre-cache FILE genre classifier cache (default resources/emotion/genre_classifier_dsp.json;
                     trained on rendered Composer pieces when missing or stale)
  --no-genre-check   skip the genre classifier
  --alignment-model FILE  text-audio alignment model (default
                     resources/alignment/alignment.safetensors)
  --no-alignment     skip the alignment column
  --csv FILE         scatter data (target vs predicted per clip)
  --svg FILE         scatter plot
  --clips-csv FILE   every clip: genre, prompt, seed, target, prediction, RMS, repetition, genre
  --json             machine-readable output on stdout

Also reported: the share of prompted genres the genre classifier recognises (Composer genres
only), the fraction of silent clips (RMS < -60 dBFS), the mean RMS, and bar repetition (share
of frames whose tokens equal the frame one bar earlier, best bar length) vs the procedural
corpus' value. With the alignment model (docs/alignment.md): the mean cosine of each clip to
its prompt, and the share of prompted genres its zero-shot guess (texts "{genre} music" over the
Composer genres and the prompted ones) recognises, beside the DSP genre classifier's.
)";

std::vector<std::string> splitList(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ','))
        if (!item.empty()) out.push_back(item);
    return out;
}

std::string csvField(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s)
        q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

int run(const std::vector<std::string>& argv) {
    Args args(argv, {"json", "help", "text-baseline", "no-genre-check", "no-alignment"});
    if (args.has("help")) {
        std::cout << kHelp << optionRangesHelp(kHelp);
        return 0;
    }
    args.allowOnly({"json",
                    "help",
                    "text-baseline",
                    "no-genre-check",
                    "no-alignment",
                    "alignment-model",
                    "model",
                    "grid",
                    "genres",
                    "prompt-template",
                    "clips-per-point",
                    "seconds",
                    "seed",
                    "guidance",
                    "emotion-guidance",
                    "top-k",
                    "temperature",
                    "head",
                    "model-dir",
                    "genre-cache",
                    "csv",
                    "svg",
                    "clips-csv"});
    if (!args.positional().empty())
        throw UsageError("unexpected argument '" + args.positional()[0] + "'");
    const bool json = args.has("json");

    EmotionBenchmarkOptions o;
    try {
        std::tie(o.gridValence, o.gridArousal) = parseEmotionGrid(args.get("grid", "5x5"));
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    o.genres = splitList(args.get("genres"));
    o.clipsPerPoint = static_cast<int>(args.getInt("clips-per-point", 1));
    o.seconds = args.getDouble("seconds", 10.0);
    o.seed = args.getU64("seed", 1);
    o.textBaseline = args.has("text-baseline");
    o.promptTemplate = args.get("prompt-template", o.promptTemplate);

    // The alignment column: an explicit --alignment-model must load; the shipped one is used
    // when present.
    std::optional<AlignmentModel> alignment;
    if (args.has("alignment-model") && args.has("no-alignment"))
        throw UsageError("--alignment-model and --no-alignment exclude each other");
    if (args.has("alignment-model")) {
        alignment.emplace(AlignmentModel::load(args.get("alignment-model")));
    } else if (!args.has("no-alignment")) {
        if (std::filesystem::is_regular_file(AlignmentModel::defaultPath()))
            alignment.emplace(AlignmentModel::load(AlignmentModel::defaultPath()));
        else if (!json)
            std::cerr << "bench-emotion: no alignment column (" << AlignmentModel::defaultPath()
                      << " is missing)\n";
    }

    const std::string modelArg = args.get("model", "embedded");
    const std::string folder =
        modelArg == "embedded" ? MusicEngine::embeddedModelFolder() : modelArg;
    if (folder.empty())
        throw std::runtime_error("the embedded model is not installed; pass --model DIR");
    auto engine = MusicEngine::load(folder);
    const auto& info = engine->info();
    o.guidance = args.getDouble("guidance", info.defaultGuidance);
    if (args.has("emotion-guidance") && o.textBaseline)
        throw UsageError("--emotion-guidance guides the AV token: not with --text-baseline");
    o.emotionGuidance = args.has("emotion-guidance")
                            ? std::optional(args.getDouble("emotion-guidance", 0))
                            : (info.hasAvEncoder ? info.defaultEmotionGuidance : std::nullopt);
    o.topK = static_cast<int>(args.getInt("top-k", o.topK));
    o.temperature = args.getDouble("temperature", o.temperature);
    std::vector<EmotionBenchmarkJob> jobs;
    try {
        jobs = planEmotionBenchmark(o, info);
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    const std::string headPath = args.has("head") ? args.get("head") : requireDefaultEmotionHead();
    const auto predictor = EmotionPredictor::load(headPath, args.get("model-dir"));

    // The genre check applies when every prompted genre is one the classifier knows.
    std::optional<GenreClassifier> classifier;
    bool genresKnown = !jobs.empty() && !jobs.front().clip.genre.empty();
    for (const auto& j : jobs)
        genresKnown = genresKnown && std::count(Composer::genres().begin(),
                                                Composer::genres().end(), j.clip.genre) > 0;
    if (genresKnown && !args.has("no-genre-check")) {
        const std::string cache =
            args.get("genre-cache", resourcePath("emotion/genre_classifier_dsp.json"));
        classifier = GenreClassifier::loadOrTrain(cache, {}, [](int done, int total) {
            std::cerr << "\rgenre classifier: piece " << done << "/" << total << std::flush;
            if (done == total) std::cerr << "\n";
        });
    } else if (!args.has("no-genre-check") && !json) {
        std::cerr << "bench-emotion: no genre check (prompts name no Composer genre)\n";
    }

    EmotionBenchmarkHooks hooks;
    if (alignment) hooks.align = alignmentJudge(*alignment, alignmentCandidates(jobs));
    hooks.generate = [&](const Recipe& r, const std::atomic<bool>* c) {
        GenerationCallbacks cb;
        cb.cancel = c;
        return engine->generate(r, cb);
    };
    hooks.predict = [&](const AudioBuffer& audio) {
        const auto p = predictor.predict(audio);
        // A silent clip gets a flagged placeholder, not a judgement: keep it out of the metrics.
        if (std::find(p.flags.begin(), p.flags.end(), kFlagSilent) != p.flags.end())
            throw std::runtime_error("the clip is silent");
        return VaPoint{p.valence, p.arousal};
    };
    if (classifier)
        hooks.classifyGenre = [&](const AudioBuffer& audio) { return classifier->classify(audio); };
    hooks.progress = [](int done, int total, const EmotionBenchmarkClip& c) {
        std::cerr << "\rclip " << done << "/" << total << std::flush;
        if (!c.error.empty())
            std::cerr << "\nbench-emotion: " << c.prompt << " v=" << c.target.valence
                      << " a=" << c.target.arousal << ": " << c.error << "\n";
        if (done == total) std::cerr << "\n";
    };
    hooks.cancel = interruptFlag();
    const auto rep = runEmotionBenchmark(jobs, info, o, hooks);
    if (rep.cancelled)
        throw Interrupted("stopped after " + std::to_string(rep.clips.size()) +
                          " clips; no report was written");
    if (!rep.hasMetrics)
        throw std::runtime_error("only " + std::to_string(rep.predictedClips) +
                                 " clip(s) could be predicted; metrics need at least 2");

    const auto points = rep.scatter();
    const std::string mode = o.textBaseline ? "text baseline" : "AV conditioning";
    if (args.has("csv")) writeEmotionScatterCsv(args.get("csv"), points);
    if (args.has("svg"))
        writeEmotionScatterSvg(args.get("svg"), points, "bench-emotion: " + modelArg + ", " + mode);
    if (args.has("clips-csv")) {
        std::ostringstream s;
        s << "genre,word,prompt,seed,target_valence,target_arousal,predicted_valence,"
             "predicted_arousal,rms,silent,bar_repetition,recognised_genre,alignment,aligned_genre,"
             "error\n";
        for (const auto& c : rep.clips)
            s << csvField(c.genre) << ',' << csvField(c.word) << ',' << csvField(c.prompt) << ','
              << c.seed << ',' << c.target.valence << ',' << c.target.arousal << ','
              << (c.predicted ? std::to_string(c.prediction.valence) : "") << ','
              << (c.predicted ? std::to_string(c.prediction.arousal) : "") << ',' << c.rms << ','
              << (c.silent ? 1 : 0) << ',' << c.barRepetition << ',' << csvField(c.recognisedGenre)
              << ',' << (std::isnan(c.alignment) ? std::string() : std::to_string(c.alignment))
              << ',' << csvField(c.alignedGenre) << ',' << csvField(c.error) << '\n';
        writeTextFileAtomically(args.get("clips-csv"), s.str());
    }

    const int failed = static_cast<int>(rep.clips.size()) - rep.predictedClips;
    if (json) {
        nlohmann::json j{{"model", modelArg},
                         {"mode", o.textBaseline ? "text-baseline" : "av"},
                         {"grid", args.get("grid", "5x5")},
                         {"guidance", o.guidance},
                         {"emotion_guidance", o.emotionGuidance ? nlohmann::json(*o.emotionGuidance)
                                                                : nlohmann::json(nullptr)},
                         {"clips", rep.clips.size()},
                         {"predicted", rep.predictedClips},
                         {"head", headPath},
                         {"arousal", metricsJson(rep.metrics.arousal)},
                         {"valence", metricsJson(rep.metrics.valence)},
                         {"silent_fraction", rep.silentFraction},
                         {"mean_rms", rep.meanRms},
                         {"bar_repetition", rep.meanBarRepetition},
                         {"corpus_bar_repetition", rep.corpusBarRepetition},
                         {"generation_seconds", rep.generationSeconds},
                         {"audio_seconds", rep.audioSeconds}};
        if (rep.hasGenreAccuracy) {
            j["genre_accuracy"] = rep.genreAccuracy;
            j["genre_accuracy_by_genre"] = rep.genreAccuracyBy;
        }
        if (alignment) {
            nlohmann::json a{{"model", alignment->path()}, {"clips", rep.alignedClips}};
            if (rep.hasAlignment) {
                a["mean_prompt_cosine"] = rep.meanAlignment;
                a["mean_prompt_cosine_by_genre"] = rep.meanAlignmentBy;
            }
            if (rep.hasAlignmentGenreAccuracy) {
                a["genre_accuracy"] = rep.alignmentGenreAccuracy;
                a["genre_accuracy_by_genre"] = rep.alignmentGenreAccuracyBy;
            }
            j["alignment"] = a;
        }
        std::cout << j.dump(2) << "\n";
        return failed > 0 ? 1 : 0;
    }
    char emotionGuidance[48] = "";
    if (o.emotionGuidance)
        std::snprintf(emotionGuidance, sizeof emotionGuidance, ", emotion guidance %g",
                      *o.emotionGuidance);
    std::printf("bench-emotion: %s (%s), %s, grid %dx%d, %zu clips of %.1f s, guidance %g%s, "
                "head %s\n",
                modelArg.c_str(), info.id.c_str(), mode.c_str(), o.gridValence, o.gridArousal,
                rep.clips.size(), o.seconds, o.guidance, emotionGuidance,
                predictor.info().encoder.c_str());
    std::printf("  %7s %7s %7s %7s %7s %7s\n", "CCC_A", "CCC_V", "PCC_A", "PCC_V", "RMSE_A",
                "RMSE_V");
    const auto& m = rep.metrics;
    std::printf("  %7.3f %7.3f %7.3f %7.3f %7.3f %7.3f\n", m.arousal.ccc, m.valence.ccc,
                m.arousal.pcc, m.valence.pcc, m.arousal.rmse, m.valence.rmse);
    std::printf("  error mean / sigma: arousal %.3f / %.3f, valence %.3f / %.3f (%d clips "
                "predicted, %d failed)\n",
                m.arousal.errorMean, m.arousal.errorSigma, m.valence.errorMean,
                m.valence.errorSigma, rep.predictedClips, failed);
    if (rep.hasGenreAccuracy) {
        std::printf("genre recognised: %.1f %%", 100 * rep.genreAccuracy);
        const char* sep = " (";
        for (const auto& [g, acc] : rep.genreAccuracyBy) {
            std::printf("%s%s %.0f %%", sep, g.c_str(), 100 * acc);
            sep = ", ";
        }
        std::printf(")\n");
    }
    if (rep.hasAlignment) {
        std::printf("alignment: mean cosine to the prompt %.3f over %d clips", rep.meanAlignment,
                    rep.alignedClips);
        if (rep.hasAlignmentGenreAccuracy) {
            std::printf("; genre recognised (zero-shot) %.1f %%", 100 * rep.alignmentGenreAccuracy);
            const char* sep = " (";
            for (const auto& [g, acc] : rep.alignmentGenreAccuracyBy) {
                std::printf("%s%s %.0f %%", sep, g.c_str(), 100 * acc);
                sep = ", ";
            }
            std::printf(")");
        }
        std::printf("\n");
    }
    std::printf("sanity: silent clips %.1f %%, mean RMS %.4f (%.1f dBFS)", 100 * rep.silentFraction,
                rep.meanRms, 20 * std::log10(std::max(rep.meanRms, 1e-10)));
    if (rep.meanBarRepetition >= 0) std::printf(", bar repetition %.3f", rep.meanBarRepetition);
    if (rep.corpusBarRepetition >= 0) std::printf(" (corpus %.3f)", rep.corpusBarRepetition);
    std::printf("\ngeneration: %.1f s for %.1f s of audio (%.1fx real time)\n",
                rep.generationSeconds, rep.audioSeconds,
                rep.generationSeconds > 0 ? rep.audioSeconds / rep.generationSeconds : 0.0);
    return failed > 0 ? 1 : 0;
}

const CliCommand reg("bench-emotion",
                     "emotion benchmark: generate over a VA grid, score with the predictor", run);

} // namespace
} // namespace moodsteer::cli
