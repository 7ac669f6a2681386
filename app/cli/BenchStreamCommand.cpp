// moodsteer-cli bench-stream: text to speaker, measured (see core/bench/StreamBenchmark.h).
// A benchmark, not a test: it prints figures.
#include "CliCommand.h"
#include "CliSupport.h"
#include "Interrupt.h"
#include "OptionTable.h"

#include "core/bench/StreamBenchmark.h"
#include "core/engine/WeightPrecisions.h"
#include "core/hub/HubDownloader.h"
#include "core/hub/ModelLocator.h"

#include <filesystem>
#include <iostream>

namespace moodsteer::cli {
namespace {

const char* kHelp =
    R"(usage: moodsteer-cli bench-stream [--model small|embedded|CONFIG.json|FOLDER|REPO-ID]
                                 [--precision f32|bf16|int8|int4] [--seconds S]
                                 [--session-minutes M] [--window S] [--accept-seconds S]
                                 [--accept-pace P] [--no-read-ahead]
                                 [--threads N] [--prompt TEXT] [--seed N] [--interval S] [--json]

Text to speaker, measured: generates a clip of --seconds (default 60) and then a windowed
session of --session-minutes (default 3; 0 skips it; windows of --window s, default 30) through
the studio's path: the LM on this thread with --threads compute threads (default, as the
studio: cores - 1, and the decode step's helper; 1 turns the helper off), the clip's
EnCodec streaming on its own thread when a core is left free (a session too, made as the
studio's Session view makes one: 4 seam candidates, the guard every 5 s, no emotion check; each
try decoded on the codec's thread as it is made; --accept-seconds S: the guard every S s
instead, 0 for whole windows; after a 1 s first stretch the checks paced to the session's
length, --accept-pace P, as new sessions: 0.05; 0 for checks twice as far apart each time in the
first window; each window's context read while the window before it is made,
on the other core, as new sessions do; --no-read-ahead: at each seam), the audio into the
studio's AudioPlayer
whose output is a null device consuming at exactly real time. Playback starts at the first
audio. Prints the time to first audio, the generation speed per 10 s of audio (audio seconds per
wall second; >= 1 keeps up), underruns (count and ms of silence), the pre-buffer that would have
avoided every gap, the buffer ahead of the playhead per --interval s of output (default 5), for a
session the seconds each window spent before its first step (its prefill, and its prefill and
seam choice together: what a seam costs) and the context's columns read ahead, CPU seconds per
thread, and the load average before
and after (other work on the machine changes every figure).

--model: small (default: ../shared/parity/musicgen-small-config.json with random weights, no
download), embedded (the model in resources/model), a MusicGen config.json (random weights), a
model folder, or a Hugging Face repo id in the cache. --precision: the LM's weights (default
int8). The run takes at least the audio's length: the output plays it in real time.)";

} // namespace

static int runBenchStream(const std::vector<std::string>& argv) {
    Args args(argv, {"json", "help", "no-read-ahead"});
    if (args.has("help")) {
        std::cout << kHelp << "\n" << optionRangesHelp(kHelp);
        return 0;
    }
    args.allowOnly({"model", "precision", "seconds", "session-minutes", "window", "accept-seconds",
                    "accept-pace", "no-read-ahead", "threads", "prompt", "seed", "interval", "json",
                    "help"},
                   0);
    StreamBenchOptions o;
    const std::string model = args.get("model", "small");
    if (model == "small") {
        o.configPath = musicgenSmallConfigPath();
    } else if (model == "embedded") {
        o.embedded = true;
    } else if (std::filesystem::path(model).extension() == ".json") {
        o.configPath = model;
    } else {
        try {
            o.modelFolder = ModelLocator().resolve(model).folder;
        } catch (const HubError& e) {
            throw UsageError(std::string("--model: ") + e.what());
        }
    }
    if (!o.configPath.empty() && !std::filesystem::is_regular_file(o.configPath))
        throw UsageError("--model: no such file '" + o.configPath + "'");
    o.precision = args.get("precision", o.precision);
    if (!isWeightPrecision(o.precision))
        throw UsageError("--precision must be " + weightPrecisionChoices() + ", got '" +
                         o.precision + "'");
    o.seconds = args.getDouble("seconds", o.seconds);
    o.sessionMinutes = args.getDouble("session-minutes", o.sessionMinutes);
    o.windowSeconds = args.getDouble("window", o.windowSeconds);
    if (args.has("accept-seconds")) o.acceptSeconds = args.getDouble("accept-seconds", 0);
    if (args.has("accept-pace")) o.acceptPace = args.getDouble("accept-pace", 0);
    o.readAhead = !args.has("no-read-ahead");
    o.threads = static_cast<int>(args.getInt("threads", o.threads));
    o.prompt = args.get("prompt", o.prompt);
    o.seed = args.getU64("seed", o.seed);
    o.levelInterval = args.getDouble("interval", o.levelInterval);

    const StreamBenchReport report = runStreamBenchmark(
        o,
        [](const std::string& s) {
            throwIfInterrupted("stopped; no figures were printed");
            std::cerr << "bench-stream: " << s << "\n";
        },
        interruptFlag());
    std::cout << (args.has("json") ? report.toJson() : report.toTable()) << "\n";
    return 0;
}

static CliCommand benchStreamCommand("bench-stream",
                                     "text to speaker: first audio, speed, underruns, CPU per "
                                     "thread, with playback at real time",
                                     runBenchStream);

} // namespace moodsteer::cli
