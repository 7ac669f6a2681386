// moodsteer-cli session: minutes of music that follow an emotion path (the iso principle),
// generated window by window by the engine, with progress; the audio is written as it is made
// (nothing held in memory); Ctrl-C keeps the finished windows as a valid file and a recipe
// marked incomplete.
#include "CliCommand.h"
#include "CliSupport.h"
#include "Interrupt.h"
#include "SteerSupport.h"

#include "core/audio/AudioFile.h"
#include "core/audio/AudioFileStream.h"
#include "core/engine/MusicEngine.h"
#include "core/io/CodesFile.h"
#include "core/library/ClipLibrary.h"
#include "core/session/MoodWords.h"
#include "core/session/VaPath.h"
#include "core/synth/MidiWriter.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace moodsteer::cli {
namespace {

const char* kHelp =
    R"(usage: moodsteer-cli session --minutes M (--path PATH | --preset NAME) --out F.wav|.flac|.ogg

  --minutes M          session length (> 0)
  --path "0:3,3 300:7,6 600:7,6"   emotion keyframes TIME_S:VALENCE,AROUSAL (held after the last)
  --smooth             monotone-cubic interpolation between keyframes (default: linear)
  --preset calm|activate|lift   the iso principle: start -> target over the session, then hold
      --from V,A  --to V,A       override the preset's start / target
      --hold-minutes H           hold the target this long at the end (default: a fifth)
  --prompt TEXT  --prompt-ids 3,17,1   text conditioning; "{word}" in TEXT becomes the
                       mood word nearest the path's target, window by window
  --prompt-at SECONDS:TEXT   from SECONDS on, the prompt is TEXT (repeatable; applied from
                       the first window that starts at or after SECONDS)
  --model DIR          model folder; default: the embedded model
  --window S  --stride S   window and stride in seconds (default: the model's positions, 2/3)
  --continue FILE      start from a codes file, a clip's recipe, or a recording (MusicGen)
  --steer VEC.safetensors:ALPHA[:LAYER][@FROM-TO]   steering, optionally from FROM to TO seconds
  --seed N (0)  --greedy  --guidance G  --temperature T  --top-k K  --top-p P
  --emotion-guidance E guidance of the valence/arousal token alone (default: the model's,
                       generation_config.json; the embedded model's follows the path closer)
  --seam-candidates N  seeds tried for each window's opening; the first that does not jolt
                       at the seam (spectral flux) is kept, else the smoothest (1 = off;
                       1..16, default 4); the seeds kept are in the recipe
  --accept-seconds S   the guard judges each window every S seconds as it is made and what it
                       accepted plays at once; a window rejected after that ends there (0 =
                       each window judged whole before a note of it plays; default 5
                       without the emotion check, 0 with it: whole windows follow the path
                       closer)
  --no-read-ahead      read each window's context at its seam (as sessions before 2026-12-07)
                       rather than on the other core while the window before it is made
  --first-accept-seconds S  the first window is first judged after S seconds, so that its
                       first note plays after a short stretch (default 1, or --accept-seconds
                       if shorter; at most --accept-seconds)
  --accept-pace P      after the first stretch the checks come S + P x the session's seconds
                       so far apart (at most --accept-seconds), so that playback started at
                       the first note keeps going whenever the session is made more than P
                       faster than real time (default 0.05; 0 = twice as far apart each time
                       in the first window, as sessions before 2026-12-07 evening)
  --emotion-check T    the emotion head judges each window against the path; one off by more
                       than T (mean error, 1..9 scale) is remade with the next seed (up to 3
                       times) and the closest kept (0 = off; 0..8; default 1 on models
                       with valence/arousal conditioning, else 0)
  --codes-out FILE     also write the codes (safetensors)
  --midi-out F.mid     also write the session as MIDI (the embedded model, whose tokens are notes)
  --threads N  --precision f32|bf16|int8|int4  --json  --quiet
  --kv-cache f32|bf16|int8   self-attention cache precision (default: the engine's)
  --force              replace an existing OUT (and its sidecar / codes file)
Writes OUT and OUT-stem.recipe.json (and --codes-out / --midi-out files, all or none). Ctrl-C stops after the current step and keeps the
finished windows (recipe marked "incomplete"; exit code 130).)";

std::pair<double, double> parsePoint(const std::string& text, const std::string& option) {
    const auto parts = splitList(text, ',', option);
    if (parts.size() != 2)
        throw UsageError(option + " expects VALENCE,AROUSAL, got '" + text + "'");
    try {
        std::size_t a = 0, b = 0;
        const double v = std::stod(parts[0], &a), ar = std::stod(parts[1], &b);
        if (a != parts[0].size() || b != parts[1].size()) throw std::invalid_argument(text);
        return {v, ar};
    } catch (const std::logic_error&) {
        throw UsageError(option + " expects VALENCE,AROUSAL, got '" + text + "'");
    }
}

/// "SECONDS:TEXT" options -> prompt changes sorted by time, within the session.
std::vector<PromptChange> parsePromptChanges(const std::vector<std::string>& items,
                                             double sessionSeconds) {
    std::vector<PromptChange> changes;
    for (const auto& item : items) {
        const auto colon = item.find(':');
        const std::string bad = "--prompt-at expects SECONDS:TEXT, got '" + item + "'";
        if (colon == std::string::npos || colon == 0) throw UsageError(bad);
        PromptChange c;
        try {
            std::size_t used = 0;
            const std::string t = item.substr(0, colon);
            c.time = std::stod(t, &used);
            if (used != t.size()) throw std::invalid_argument(t);
        } catch (const std::logic_error&) {
            throw UsageError(bad);
        }
        if (!(c.time >= 0) || !(c.time < sessionSeconds))
            throw UsageError("--prompt-at " + item + ": the time must be >= 0 and inside the " +
                             std::to_string(sessionSeconds) + " s session");
        c.prompt = item.substr(colon + 1);
        changes.push_back(std::move(c));
    }
    std::sort(changes.begin(), changes.end(),
              [](const PromptChange& a, const PromptChange& b) { return a.time < b.time; });
    for (std::size_t i = 1; i < changes.size(); ++i)
        if (changes[i].time == changes[i - 1].time)
            throw UsageError("--prompt-at: two prompts at " + std::to_string(changes[i].time) +
                             " s");
    return changes;
}

/// "vec:alpha[:layer][@from-to]" -> a spec with an optional time range in seconds.
SteeringSpec parseRangedSteer(const std::string& text) {
    const auto at = text.rfind('@');
    SteeringSpec spec = parseSteerArg(text.substr(0, at));
    if (at == std::string::npos) return spec;
    const std::string range = text.substr(at + 1);
    const auto dash = range.find('-');
    try {
        std::size_t a = 0, b = 0;
        if (dash == std::string::npos) throw std::invalid_argument(range);
        const std::string from = range.substr(0, dash), to = range.substr(dash + 1);
        spec.fromSeconds = std::stod(from, &a);
        spec.toSeconds = std::stod(to, &b);
        if (a != from.size() || b != to.size()) throw std::invalid_argument(range);
    } catch (const std::logic_error&) {
        throw UsageError("--steer: '@" + range + "' is not @FROM-TO (seconds)");
    }
    if (!(*spec.fromSeconds >= 0 && *spec.fromSeconds < *spec.toSeconds))
        throw UsageError("--steer: the range @" + range + " needs 0 <= FROM < TO");
    return spec;
}

} // namespace

static int runSession(const std::vector<std::string>& argv) {
    Args args(argv, {"greedy", "json", "quiet", "help", "smooth", "force", "no-read-ahead"});
    if (args.has("help")) {
        std::cout << kHelp << "\n";
        return 0;
    }
    args.allowOnly({"minutes",        "path",
                    "smooth",         "preset",
                    "from",           "to",
                    "hold-minutes",   "prompt",
                    "prompt-ids",     "model",
                    "window",         "stride",
                    "continue",       "steer",
                    "seed",           "greedy",
                    "guidance",       "temperature",
                    "top-k",          "top-p",
                    "codes-out",      "threads",
                    "precision",      "json",
                    "quiet",          "out",
                    "force",          "help",
                    "prompt-at",      "seam-candidates",
                    "emotion-check",  "midi-out",
                    "kv-cache",       "emotion-guidance",
                    "accept-seconds", "first-accept-seconds",
                    "accept-pace",    "no-read-ahead"},
                   0);
    const std::string out = args.require("out");
    const bool force = args.has("force");
    const std::string codesOut = args.get("codes-out");
    checkClipTargets(out, codesOut, force);
    const std::string midiOut = args.get("midi-out");
    if (!midiOut.empty()) {
        const auto ext = std::filesystem::path(midiOut).extension();
        if (ext != ".mid" && ext != ".midi")
            throw UsageError("--midi-out must end in .mid: '" + midiOut + "'");
        checkWritableTarget(midiOut);
        checkNotExisting(midiOut, force);
    }

    const double minutes = args.getDouble("minutes", 0);
    if (!(minutes > 0) || !std::isfinite(minutes))
        throw UsageError("--minutes must be a number > 0");
    const double seconds = minutes * 60;
    Recipe r;
    r.seconds = seconds;
    const auto interpolation =
        args.has("smooth") ? PathInterpolation::Smooth : PathInterpolation::Linear;
    if (args.has("path") == args.has("preset")) throw UsageError("give either --path or --preset");
    try {
        if (args.has("path")) {
            if (args.has("from") || args.has("to") || args.has("hold-minutes"))
                throw UsageError("--from, --to and --hold-minutes go with --preset");
            r.emotionPath = VaPath::parse(args.get("path"), interpolation);
        } else {
            auto [from, to] = VaPath::presetEndpoints(args.get("preset"));
            if (args.has("from")) from = parsePoint(args.get("from"), "--from");
            if (args.has("to")) to = parsePoint(args.get("to"), "--to");
            const double hold = args.getDouble("hold-minutes", minutes / 5) * 60;
            if (!(hold >= 0) || !(hold < seconds))
                throw UsageError("--hold-minutes must be >= 0 and shorter than the session");
            r.emotionPath = VaPath::iso(from, to, seconds - hold, hold,
                                        args.has("smooth") ? PathInterpolation::Smooth
                                                           : PathInterpolation::Linear);
        }
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    r.model = args.get("model", "");
    r.prompt = args.get("prompt", "");
    if (args.has("prompt-ids")) r.promptIds = parseIdList(args.get("prompt-ids"));
    r.promptChanges = parsePromptChanges(args.all("prompt-at"), seconds);
    // A mood word in the text pins the mood the path moves (docs/sessions.md): say so, go on.
    if (!args.has("quiet")) {
        std::vector<std::string> texts{r.prompt};
        for (const auto& change : r.promptChanges)
            texts.push_back(change.prompt);
        for (const auto& text : texts)
            if (const auto conflict = moodConflict(text, r.emotionPath)) {
                std::fprintf(stderr, "session: note: %s\n", conflict->describe().c_str());
                break;
            }
    }
    r.seed = static_cast<std::uint64_t>(args.getInt("seed", 0));
    r.greedy = args.has("greedy");
    r.topK = static_cast<int>(args.getInt("top-k", r.topK));
    r.topP = args.getDouble("top-p", r.topP);
    r.temperature = args.getDouble("temperature", r.temperature);
    r.continueFrom = args.get("continue", "");
    // Range-checked by the option table (1..limits::kMaxSeamCandidates).
    r.seamCandidates =
        static_cast<int>(args.getInt("seam-candidates", Recipe::kSessionSeamCandidates));
    r.readAhead = !args.has("no-read-ahead");
    if (args.has("kv-cache")) r.kvCache = kvCacheOption(args.get("kv-cache"));
    for (const auto& s : args.all("steer"))
        r.steering.push_back(parseRangedSteer(s));

    std::string folder =
        r.model.empty() || r.model == "embedded" ? MusicEngine::embeddedModelFolder() : r.model;
    if (folder.empty())
        throw std::runtime_error("no --model given and the embedded model is not installed");
    LoadOptions lo;
    lo.threads = static_cast<int>(args.getInt("threads", 0));
    lo.precision = args.get("precision", "f32");
    auto engine = MusicEngine::load(folder, lo);
    if (!midiOut.empty() && engine->info().codecName != "synthcodec")
        throw UsageError("--midi-out needs a model whose tokens are notes (the embedded model); " +
                         folder + " uses " + engine->info().codecName);
    if (r.model.empty()) r.model = "embedded";
    r.guidance = args.getDouble("guidance", engine->info().defaultGuidance);
    applyEmotionGuidance(args, engine->info(), r, false);
    // Range-checked by the option table (0..limits::kMaxEmotionCheck; 0 = off).
    r.emotionCheck = args.getDouble("emotion-check", engine->info().sessionEmotionCheck());
    r.acceptSeconds =
        args.getDouble("accept-seconds", Recipe::sessionAcceptSeconds(r.emotionCheck));
    r.firstAcceptSeconds =
        args.getDouble("first-accept-seconds", Recipe::sessionFirstAcceptSeconds(r.acceptSeconds));
    if (r.firstAcceptSeconds > r.acceptSeconds) {
        std::ostringstream limit;
        limit << r.acceptSeconds;
        throw UsageError("--first-accept-seconds must be at most --accept-seconds (" + limit.str() +
                         " s)");
    }
    r.acceptPace = args.getDouble("accept-pace", Recipe::sessionAcceptPace(r.firstAcceptSeconds));
    if (r.acceptPace > 0 && !(r.firstAcceptSeconds > 0))
        throw UsageError("--accept-pace needs early acceptance (--accept-seconds > 0)");
    r.windowSeconds = args.getDouble("window", engine->info().maxFrames / engine->info().frameRate);
    r.strideSeconds = args.getDouble("stride", 0);
    if (!(r.windowSeconds > 0)) throw UsageError("--window must be > 0 seconds");
    if (r.strideSeconds < 0 || (r.strideSeconds > 0 && r.strideSeconds >= r.windowSeconds))
        throw UsageError("--stride must be > 0 and shorter than the window");

    const bool quiet = args.has("quiet");
    GenerationCallbacks cb;
    // Ctrl-C / SIGTERM (Interrupt.h) stops after the current step; finished windows are kept.
    cb.cancel = interruptFlag();
    double lastPrint = -1;
    if (!quiet)
        cb.onProgress = [&lastPrint](const GenerationProgress& p) {
            if (p.elapsedSeconds - lastPrint < 0.25) return; // a few lines a second
            lastPrint = p.elapsedSeconds;
            const double rtf = p.elapsedSeconds > 0 ? p.audioSeconds / p.elapsedSeconds : 0;
            std::fprintf(stderr,
                         "\rsession: window %d/%d  %.0f s of audio  %.1f s elapsed  %.1fx real "
                         "time  ~%.0f s left   ",
                         p.window + 1, p.windows, p.audioSeconds, p.elapsedSeconds, rtf,
                         p.etaSeconds);
        };
    // The audio goes to a temporary beside OUT as it is made: a 30-minute session holds no
    // audio in memory, and Ctrl-C leaves the finished windows as a valid file.
    AudioFileStream stream(out, engine->info().sampleRate, {"MoodSteer session", r.toJson(-1), ""});
    cb.keepAudio = false;
    cb.onAudio = [&stream](const float* samples, std::size_t count) {
        stream.write(samples, count);
    };
    GenerationResult result = engine->generate(r, cb);
    if (!quiet) std::fprintf(stderr, "\n");
    result.recipe.model = r.model;
    if (stream.seconds() == 0) // the stream's destructor removes the empty temporary
        throw Interrupted("stopped before the first window was finished: nothing written");

    const double audioSeconds = stream.seconds();
    const std::string streamed = stream.finish();
    // Until it is renamed into the output set, the finished temporary is ours to remove.
    struct RemoveUnlessMoved {
        const std::string& path;
        ~RemoveUnlessMoved() {
            std::error_code ec;
            std::filesystem::remove(path, ec);
        }
    } cleanup{streamed};
    OutputSet outputs;
    outputs.add(out, [&streamed](const std::string& path) {
        std::filesystem::rename(streamed, path); // same folder: a rename, never a copy
    });
    addRecipeAndCodesOutputs(outputs, out, result, codesOut);
    if (!midiOut.empty())
        outputs.add(midiOut, [&](const std::string& path) {
            CodeGrid g(result.numCodebooks, result.frames);
            g.data = result.codes;
            MidiWriter::write(path, g);
        });
    outputs.commit(force);

    const double rtf = result.generationSeconds > 0 ? audioSeconds / result.generationSeconds : 0;
    int silent = 0;
    for (double level : result.windowLevels)
        silent += level < -50.0;
    const int remade = result.remadeWindows();
    if (args.has("json")) {
        nlohmann::json j{{"out", out},
                         {"seconds", audioSeconds},
                         {"frames", result.frames},
                         {"windows", result.windowLevels.size()},
                         {"window_levels_dbfs", result.windowLevels},
                         {"silent_windows", silent},
                         {"reseeded_windows", result.recipe.reseeds.size()},
                         {"window_tries", result.windowTries},
                         {"window_emotion_errors", result.windowEmotionErrors},
                         {"remade_windows", remade},
                         {"generation_seconds", result.generationSeconds},
                         {"real_time_factor", rtf},
                         {"incomplete", result.cancelled},
                         {"recipe", nlohmann::json::parse(result.recipe.toJson(-1))}};
        std::cout << j.dump() << "\n";
    } else if (!quiet) {
        std::cerr << (result.cancelled ? "cancelled: kept " : "wrote ") << out << " ("
                  << audioSeconds << " s in " << result.windowLevels.size() << " windows, "
                  << result.generationSeconds << " s, " << rtf << "x real time, " << remade
                  << " window(s) remade by the guard"
                  << (r.emotionCheck > 0 ? " or the emotion check" : "") << ") and "
                  << ClipLibrary::sidecarPath(out) << "\n";
    }
    return result.cancelled ? (interrupted() ? interruptExitCode() : 130) : 0;
}

static CliCommand sessionCommand("session",
                                 "minutes of music following an emotion path (iso principle)",
                                 runSession);

} // namespace moodsteer::cli
