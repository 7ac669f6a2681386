// moodsteer-cli generate: one clip from a prompt (and optional valence/arousal), written
// atomically with a JSON sidecar holding the full recipe.
#include "CliCommand.h"
#include "CliSupport.h"
#include "Interrupt.h"
#include "OptionTable.h"
#include "SteerSupport.h"

#include "core/audio/AudioFile.h"
#include "core/engine/MusicEngine.h"
#include "core/engine/ValueLimits.h"
#include "core/hub/HubDownloader.h"
#include "core/hub/ModelLocator.h"
#include "core/hub/RepoRef.h"
#include "core/io/CodesFile.h"
#include "core/library/ClipLibrary.h"
#include "core/synth/MidiWriter.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace moodsteer::cli {
namespace fs = std::filesystem;
namespace {

const char* kHelp = R"(usage: moodsteer-cli generate [options] --out clip.wav|.flac|.ogg

  --model DIR|ID       model folder (Hugging Face MusicGen layout) or a hub repo id such as
                       facebook/musicgen-small[@revision], found in the Hugging Face cache
                       (moodsteer-cli models pull ID downloads it); default: the embedded model
  --prompt TEXT        text prompt (empty: unconditional)
  --prompt-ids 3,17,1  token ids instead of text (for folders without spiece.model)
  --valence V --arousal A   target emotion on 1..9 (models with an AV encoder)
  --seconds S          clip length (default 10)      --steps N   decode frames instead of seconds
  --seed N             random seed (default 0)       --greedy    argmax decoding
  --guidance G         classifier-free guidance (default: the model's generation_config.json,
                       else 3; 1 disables)
  --emotion-guidance E guidance of the valence/arousal token alone: the prompt is guided by G,
                       the emotion by E (default: the model's generation_config.json
                       `emotion_guidance_scale`, else E = G; needs --valence/--arousal)
  --top-k K (250)  --top-p P (0: off)  --temperature T (1)
  --recipe FILE        start from a clip's JSON sidecar (options given here override it)
  --continue FILE      continue a codes file (.safetensors), a clip's recipe (.json) or a
                       recording (.wav/.flac/.ogg, MusicGen models): OUT holds the prompt then
                       --seconds of new music, generated in windows when longer than one
  --codes-out FILE     also write the codes (safetensors, int64 [K, frames], tensor "codes")
  --midi-out FILE.mid  also write the clip as a Standard MIDI File (the embedded model, whose
                       tokens are notes)
  --steer VEC.safetensors:ALPHA[:LAYER]   steer towards a vector (repeatable; negative ALPHA
                       pushes away; valence/arousal vectors take signed alphas)
  --transition A.safetensors:B.safetensors[:ALPHA]   cross-fade A -> B over the clip (default 0.5)
  --threads N  --precision f32|bf16|int8|int4  --json  --quiet
  --kv-cache f32|bf16|int8   self-attention cache precision (default: f32 with f32 weights,
                       bf16 with bf16, int8 with int8 or int4; docs/performance.md)
  --takes N            N clips in one batch (1..8): the same recipe with seeds seed, seed + 1,
                       ...; writes OUT-stem-take1.ext ... each with its own recipe sidecar (and
                       codes / MIDI file), all or none. Take k's recipe alone regenerates it.
  --force              replace an existing OUT (and its sidecar / codes / MIDI file)
  --midi-out F.mid     also write the clip as MIDI (models whose tokens are notes: the embedded model)
Writes OUT and OUT-stem.recipe.json (the recipe: model as "embedded", a repo id + commit or an
absolute folder + content hash, and the precision) together: both or neither, never mixed with
another run's. With --recipe and no --model the recipe's model and precision are used, and a
model that is not the recipe's is refused. Exit code != 0 with one line on failure; 130/143
when interrupted (nothing written).)";

const std::vector<std::string> kKnown = {
    "model",       "prompt",   "prompt-ids", "valence",  "arousal",         "seconds",
    "steps",       "seed",     "greedy",     "guidance", "top-k",           "top-p",
    "temperature", "recipe",   "codes-out",  "steer",    "transition",      "threads",
    "precision",   "json",     "quiet",      "out",      "force",           "midi-out",
    "continue",    "kv-cache", "takes",      "help",     "emotion-guidance"};

} // namespace

static int runGenerate(const std::vector<std::string>& argv) {
    Args args(argv, {"greedy", "json", "quiet", "force", "help"});
    if (args.has("help")) {
        std::cout << kHelp << "\n" << optionRangesHelp(kKnown);
        return 0;
    }
    args.allowOnly(kKnown, 0);
    const std::string out = args.require("out");
    const bool force = args.has("force");
    const std::string codesOut = args.get("codes-out");
    // Not in the numeric option table: `bench --takes` takes a list.
    int takes = 1;
    if (args.has("takes")) {
        const std::string v = args.get("takes");
        const auto bad = UsageError("--takes expects one whole number in 1.." +
                                    std::to_string(limits::kMaxTakes) + ", got '" + v + "'");
        if (v.find(',') != std::string::npos) throw bad;
        try {
            takes = parseIntList("takes", v, 1, limits::kMaxTakes).at(0);
        } catch (const UsageError&) {
            throw bad;
        }
    }
    if (takes > 1 && args.has("continue"))
        throw UsageError("--takes makes clips from the prompt alone; it cannot --continue");
    // Take k's files: OUT-stem-takeK.ext (and the same for the codes and MIDI files).
    auto pathOf = [&](const std::string& path, int take) {
        return path.empty() || takes == 1 ? path : takePath(path, take);
    };
    for (int t = 1; t <= takes; ++t)
        checkClipTargets(pathOf(out, t), pathOf(codesOut, t), force);
    const std::string midiOut = args.get("midi-out");
    if (!midiOut.empty()) {
        if (fs::path(midiOut).extension() != ".mid" && fs::path(midiOut).extension() != ".midi")
            throw UsageError("--midi-out must end in .mid: '" + midiOut + "'");
        for (int t = 1; t <= takes; ++t) {
            checkWritableTarget(pathOf(midiOut, t));
            checkNotExisting(pathOf(midiOut, t), force);
        }
    }

    Recipe r;
    if (args.has("recipe")) r = Recipe::fromFile(args.get("recipe"));
    r.model = args.get("model", r.model);
    r.prompt = args.get("prompt", r.prompt);
    requireUtf8(r.prompt, "--prompt");
    if (args.has("prompt-ids")) r.promptIds = parseIdList(args.get("prompt-ids"));
    args.requireTogether("valence", "arousal");
    args.requireTogether("arousal", "valence");
    if (args.has("valence")) {
        r.valence = args.getDouble("valence", 5.0);
        r.arousal = args.getDouble("arousal", 5.0);
    }
    r.seconds = args.getDouble("seconds", r.seconds);
    if (args.has("continue")) {
        r.continueFrom = args.get("continue");
        r.incomplete = false;
    }
    r.steps = static_cast<int>(args.getInt("steps", r.steps));
    r.seed = args.getU64("seed", r.seed);
    r.greedy = args.has("greedy") || r.greedy;
    r.topK = static_cast<int>(args.getInt("top-k", r.topK));
    r.topP = args.getDouble("top-p", r.topP);
    r.temperature = args.getDouble("temperature", r.temperature);
    if (args.has("kv-cache")) r.kvCache = kvCacheOption(args.get("kv-cache"));
    if (args.has("steer") || args.has("transition")) { // replaces a loaded recipe's steering
        r.steering.clear();
        for (const auto& s : args.all("steer"))
            r.steering.push_back(parseSteerArg(s));
        for (const auto& t : args.all("transition"))
            for (auto& s : parseTransitionArg(t))
                r.steering.push_back(std::move(s));
    }

    // Exact regeneration: the recipe's own model (its pinned commit for hub models) and
    // precision, and a refusal when what is found is not that model.
    const bool exact = args.has("recipe") && !args.has("model");
    checkModelFolder(r.model);
    std::string spec = r.model;
    if (exact && !r.modelRevision.empty() && RepoRef::looksLikeRepoId(r.model))
        spec = r.model + "@" + r.modelRevision;
    ModelSource source;
    try {
        source = ModelLocator().resolve(spec);
    } catch (const HubError& e) {
        throw std::runtime_error(e.what());
    }
    if (exact) {
        const auto why = ModelLocator::mismatch(r, source);
        if (!why.empty()) throw std::runtime_error(why);
    }
    LoadOptions lo;
    lo.threads = static_cast<int>(args.getInt("threads", 0));
    lo.precision = args.get("precision", exact && !r.precision.empty() ? r.precision : "f32");
    const bool quiet = args.has("quiet");
    auto engine = MusicEngine::load(source.folder, lo);
    throwIfInterrupted("nothing was written");
    if (args.has("top-k") && r.topK > engine->info().cardinality)
        throw UsageError("--top-k must be at most the model's vocabulary of " +
                         std::to_string(engine->info().cardinality) + " codes, got " +
                         std::to_string(r.topK));
    if (!midiOut.empty() && engine->info().codecName != "synthcodec")
        throw UsageError("--midi-out needs a model whose tokens are notes (the embedded model); " +
                         source.model + " uses " + engine->info().codecName);
    // A recipe file keeps its own guidance; otherwise the model's default applies.
    r.guidance = args.getDouble("guidance",
                                args.has("recipe") ? r.guidance : engine->info().defaultGuidance);
    applyEmotionGuidance(args, engine->info(), r, args.has("recipe"));

    GenerationCallbacks cb;
    cb.cancel = interruptFlag();
    if (!quiet)
        cb.onProgress = [](const GenerationProgress& p) {
            std::fprintf(stderr, "\rgenerating: step %d/%d  %.1f s elapsed, ~%.1f s left   ",
                         p.step, p.totalSteps, p.elapsedSeconds, p.etaSeconds);
            if (p.step == p.totalSteps) std::fprintf(stderr, "\n");
        };
    std::vector<GenerationResult> results;
    if (takes > 1)
        results = engine->generateTakes(r, takes, cb);
    else
        results.push_back(engine->generate(r, cb));
    if (results.front().cancelled)
        throw Interrupted("stopped while generating; nothing was written");

    OutputSet outputs;
    for (int t = 1; t <= static_cast<int>(results.size()); ++t) {
        auto& result = results[t - 1];
        ModelLocator::stamp(result.recipe, source, lo.precision);
        addClipOutputs(outputs, pathOf(out, t), result, "MoodSteer clip", pathOf(codesOut, t));
        if (!midiOut.empty())
            outputs.add(pathOf(midiOut, t), [&result](const std::string& path) {
                CodeGrid g(result.numCodebooks, result.frames);
                g.data = result.codes;
                MidiWriter::write(path, g);
            });
    }
    // With --force the previous files are replaced; without it, link() refuses a target that
    // appeared while generating.
    outputs.commit(force);

    auto clipJson = [&](const GenerationResult& result, int t) {
        return nlohmann::json{{"out", pathOf(out, t)},
                              {"seconds", result.audio.seconds()},
                              {"frames", result.frames},
                              {"generation_seconds", result.generationSeconds},
                              {"recipe", nlohmann::json::parse(result.recipe.toJson(-1))}};
    };
    if (args.has("json")) {
        nlohmann::json j = clipJson(results.front(), 1);
        if (takes > 1) {
            j = nlohmann::json{{"takes", nlohmann::json::array()}};
            for (int t = 1; t <= takes; ++t)
                j["takes"].push_back(clipJson(results[t - 1], t));
        }
        std::cout << jsonText(j) << "\n";
    } else if (!quiet) {
        for (int t = 1; t <= static_cast<int>(results.size()); ++t) {
            const auto& result = results[t - 1];
            std::cerr << "wrote " << pathOf(out, t) << " (" << result.audio.seconds() << " s, "
                      << result.frames << " frames, generated in " << result.generationSeconds
                      << " s) and " << ClipLibrary::sidecarPath(pathOf(out, t)) << "\n";
        }
    }
    return 0;
}

static CliCommand generateCommand("generate", "generate a clip from a prompt and emotion target",
                                  runGenerate);

} // namespace moodsteer::cli
