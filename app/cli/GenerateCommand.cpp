// moodsteer-cli generate: one clip from a prompt (and optional valence/arousal), written
// atomically with a JSON sidecar holding the full recipe.
#include "CliCommand.h"
#include "CliSupport.h"
#include "SteerSupport.h"

#include "core/AudioFile.h"
#include "core/ClipLibrary.h"
#include "core/CodesFile.h"
#include "core/MusicEngine.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace moodsteer::cli {
namespace {

const char* kHelp = R"(usage: moodsteer-cli generate [options] --out clip.wav|.flac|.ogg

  --model DIR          model folder (Hugging Face MusicGen layout); default: the embedded model
  --prompt TEXT        text prompt (empty: unconditional)
  --prompt-ids 3,17,1  token ids instead of text (for folders without spiece.model)
  --valence V --arousal A   target emotion on 1..9 (models with an AV encoder)
  --seconds S          clip length (default 10)      --steps N   decode frames instead of seconds
  --seed N             random seed (default 0)       --greedy    argmax decoding
  --guidance G         classifier-free guidance (default: the model's generation_config.json,
                       else 3; 1 disables)
  --top-k K (250)  --top-p P (0: off)  --temperature T (1)
  --recipe FILE        start from a clip's JSON sidecar (options given here override it)
  --continue FILE      continue a codes file (.safetensors), a clip's recipe (.json) or a
                       recording (.wav/.flac/.ogg, MusicGen models): OUT holds the prompt then
                       --seconds of new music, generated in windows when longer than one
  --codes-out FILE     also write the codes (safetensors, int64 [K, frames], tensor "codes")
  --steer VEC.safetensors:ALPHA[:LAYER]   steer towards a vector (repeatable; negative ALPHA
                       pushes away; valence/arousal vectors take signed alphas)
  --transition A.safetensors:B.safetensors[:ALPHA]   cross-fade A -> B over the clip (default 0.5)
  --threads N  --precision f32|bf16|int8  --json  --quiet
Writes OUT and OUT-stem.recipe.json (the recipe). Exit code != 0 with one line on failure.)";

} // namespace

static int runGenerate(const std::vector<std::string>& argv) {
    Args args(argv, {"greedy", "json", "quiet", "help"});
    if (args.has("help")) {
        std::cout << kHelp << "\n";
        return 0;
    }
    args.allowOnly({"model",       "prompt",    "prompt-ids", "valence",  "arousal",    "seconds",
                    "steps",       "seed",      "greedy",     "guidance", "top-k",      "top-p",
                    "temperature", "recipe",    "codes-out",  "steer",    "transition", "threads",
                    "continue",    "precision", "json",       "quiet",    "out",        "help"});
    const std::string out = args.require("out");
    if (!isSupportedAudioExtension(out))
        throw UsageError("--out must end in .wav, .flac or .ogg: '" + out + "'");
    checkWritableTarget(out);
    const std::string codesOut = args.get("codes-out");
    if (!codesOut.empty()) checkWritableTarget(codesOut);

    Recipe r;
    if (args.has("recipe")) r = Recipe::fromJson(readTextFile(args.get("recipe")));
    r.model = args.get("model", r.model);
    r.prompt = args.get("prompt", r.prompt);
    if (args.has("prompt-ids")) r.promptIds = parseIdList(args.get("prompt-ids"));
    if (args.has("valence") || args.has("arousal")) {
        r.valence = args.getDouble("valence", r.valence.value_or(5.0));
        r.arousal = args.getDouble("arousal", r.arousal.value_or(5.0));
    }
    r.seconds = args.getDouble("seconds", r.seconds);
    if (args.has("continue")) {
        r.continueFrom = args.get("continue");
        r.incomplete = false;
    }
    r.steps = static_cast<int>(args.getInt("steps", r.steps));
    r.seed = static_cast<std::uint64_t>(args.getInt("seed", static_cast<long long>(r.seed)));
    r.greedy = args.has("greedy") || r.greedy;
    r.topK = static_cast<int>(args.getInt("top-k", r.topK));
    r.topP = args.getDouble("top-p", r.topP);
    r.temperature = args.getDouble("temperature", r.temperature);
    if (args.has("steer") || args.has("transition")) { // replaces a loaded recipe's steering
        r.steering.clear();
        for (const auto& s : args.all("steer"))
            r.steering.push_back(parseSteerArg(s));
        for (const auto& t : args.all("transition"))
            for (auto& s : parseTransitionArg(t))
                r.steering.push_back(std::move(s));
    }

    std::string folder =
        r.model.empty() || r.model == "embedded" ? MusicEngine::embeddedModelFolder() : r.model;
    if (folder.empty())
        throw std::runtime_error("no --model given and the embedded model is not installed");
    LoadOptions lo;
    lo.threads = static_cast<int>(args.getInt("threads", 0));
    lo.precision = args.get("precision", "f32");
    const bool quiet = args.has("quiet");
    auto engine = MusicEngine::load(folder, lo);
    if (r.model.empty()) r.model = "embedded";
    // A recipe file keeps its own guidance; otherwise the model's default applies.
    r.guidance =
        args.getDouble("guidance", args.has("recipe") ? r.guidance : engine->info().defaultGuidance);

    GenerationCallbacks cb;
    if (!quiet)
        cb.onProgress = [](const GenerationProgress& p) {
            std::fprintf(stderr, "\rgenerating: step %d/%d  %.1f s elapsed, ~%.1f s left   ",
                         p.step, p.totalSteps, p.elapsedSeconds, p.etaSeconds);
            if (p.step == p.totalSteps) std::fprintf(stderr, "\n");
        };
    auto result = engine->generate(r, cb);
    result.recipe.model = r.model;

    const std::string recipeJson = result.recipe.toJson();
    OutputSet outputs;
    outputs.add(out, [&](const std::string& path) {
        writeAudioFile(path, result.audio, {"MoodSteer clip", result.recipe.toJson(-1), ""}, true);
    });
    outputs.add(ClipLibrary::sidecarPath(out),
                [&](const std::string& path) { writeTextFileAtomically(path, recipeJson + "\n"); });
    if (!codesOut.empty())
        outputs.add(codesOut, [&](const std::string& path) {
            CodeGrid g(result.numCodebooks, result.frames);
            g.data = result.codes;
            writeCodesFile(path, g, {{"recipe", result.recipe.toJson(-1)}});
        });
    outputs.commit();

    if (args.has("json")) {
        std::cout << "{\"out\":" << jsonString(out) << ",\"seconds\":" << result.audio.seconds()
                  << ",\"frames\":" << result.frames
                  << ",\"generation_seconds\":" << result.generationSeconds
                  << ",\"recipe\":" << result.recipe.toJson(-1) << "}\n";
    } else if (!quiet) {
        std::cerr << "wrote " << out << " (" << result.audio.seconds() << " s, " << result.frames
                  << " frames, generated in " << result.generationSeconds << " s) and "
                  << ClipLibrary::sidecarPath(out) << "\n";
    }
    return 0;
}

static CliCommand generateCommand("generate", "generate a clip from a prompt and emotion target",
                                  runGenerate);

} // namespace moodsteer::cli
