// moodsteer-cli bench-session: a long session's speed, memory and path-following quality on
// the embedded model, and speed/memory of a random-weight MusicGen session (see
// core/bench/SessionBenchmark.h). A benchmark, not a test: it prints figures.
#include "CliCommand.h"
#include "CliSupport.h"
#include "Interrupt.h"

#include "core/bench/SessionBenchmark.h"
#include "core/engine/WeightPrecisions.h"
#include "core/io/Resources.h"

#include <cmath>
#include <filesystem>
#include <iostream>

namespace moodsteer::cli {
namespace {

const char* kHelp =
    R"(usage: moodsteer-cli bench-session [--minutes M] [--from V,A] [--to V,A] [--hold-minutes H]
                                  [--prompt TEXT] [--seed N] [--window S] [--threads N]
                                  [--seam-candidates N] [--accept-seconds S] [--guidance G]
                                  [--emotion-guidance E]
                                  [--emotion-check T]
                                  [--musicgen-seconds S] [--musicgen-config small|FILE]
                                  [--musicgen-precision f32|bf16|int8|int4] [--json]

Embedded model: a session of M minutes (default 3) on the iso path --from -> --to (default the
calming preset 5,8 -> 6,2) over M - H minutes, then held H (default a fifth). Prints the
real-time factor, RSS at 2 minutes of audio and at the end, peak RSS, and, from the emotion head
on consecutive 10 s blocks, CCC and mean absolute error of predicted vs target valence/arousal,
Spearman of predicted vs target arousal over the monotone part, the seam score (spectral flux
at each window seam / median flux inside windows), windows under -50 dBFS, and the share of 2 s
bars repeating an earlier bar within a window and across windows.
Then a random-weight MusicGen (default small: ../shared/parity/musicgen-small-config.json, int8)
generates a --musicgen-seconds session (default 45; 0 skips it) in 30 s windows: speed and RSS.
--seam-candidates N: seeds tried for each window's opening (default 4, as sessions; 1 = off).
--accept-seconds S: the guard judges each window every S s as it is made (default as sessions:
5 without the emotion check, 0 = whole windows with it); as sessions, the first window first
after 1 s (or S if shorter).
--emotion-check T: a window the emotion head hears more than T from the path is remade (default
1, as sessions; 0 = off). The check and the figures use the same head; the Spearman of the
blocks' level, which the head never hears, is printed beside it.
--prompt (default "ambient piece with piano": the path carries the mood; a mood word that
contradicts the path is pointed out) may hold "{word}": the mood word nearest the path's
target, window by window.
The 10-minute calming session of docs/sessions.md:
    moodsteer-cli bench-session --minutes 10 --hold-minutes 2)";

std::pair<double, double> point(const std::string& text, const std::string& option) {
    const auto comma = text.find(',');
    try {
        std::size_t a = 0, b = 0;
        if (comma == std::string::npos) throw std::invalid_argument(text);
        const std::string v = text.substr(0, comma), ar = text.substr(comma + 1);
        const std::pair<double, double> p{std::stod(v, &a), std::stod(ar, &b)};
        if (a != v.size() || b != ar.size()) throw std::invalid_argument(text);
        if (!(p.first >= 1 && p.first <= 9 && p.second >= 1 && p.second <= 9))
            throw UsageError(option + " " + text + ": valence and arousal must lie in [1, 9]");
        return p;
    } catch (const std::logic_error&) {
        throw UsageError(option + " expects VALENCE,AROUSAL, got '" + text + "'");
    }
}

} // namespace

static int runBenchSession(const std::vector<std::string>& argv) {
    Args args(argv, {"json", "help"});
    if (args.has("help")) {
        std::cout << kHelp << "\n";
        return 0;
    }
    args.allowOnly({"minutes", "from", "to", "hold-minutes", "prompt", "seed", "window", "threads",
                    "musicgen-seconds", "musicgen-config", "musicgen-precision", "json", "help",
                    "seam-candidates", "guidance", "emotion-guidance", "emotion-check",
                    "accept-seconds"},
                   0);
    SessionBenchOptions o;
    o.minutes = args.getDouble("minutes", o.minutes);
    if (!(o.minutes > 0) || !std::isfinite(o.minutes))
        throw UsageError("--minutes must be a number > 0");
    if (args.has("from")) o.from = point(args.get("from"), "--from");
    if (args.has("to")) o.to = point(args.get("to"), "--to");
    if (args.has("hold-minutes")) {
        o.holdMinutes = args.getDouble("hold-minutes", 0);
        if (!(o.holdMinutes >= 0) || !(o.holdMinutes < o.minutes))
            throw UsageError("--hold-minutes must be >= 0 and shorter than --minutes");
    }
    o.prompt = args.get("prompt", o.prompt);
    o.seed = args.getU64("seed", o.seed);
    o.windowSeconds = args.getDouble("window", 0);
    o.threads = static_cast<int>(args.getInt("threads", 0));
    o.seamCandidates = static_cast<int>(args.getInt("seam-candidates", o.seamCandidates));
    if (args.has("accept-seconds")) o.acceptSeconds = args.getDouble("accept-seconds", 0);
    if (args.has("guidance")) o.guidance = args.getDouble("guidance", 0);
    if (args.has("emotion-guidance")) o.emotionGuidance = args.getDouble("emotion-guidance", 0);
    o.emotionCheck = args.getDouble("emotion-check", o.emotionCheck); // 0..8 by the option table
    o.musicgenSeconds = args.getDouble("musicgen-seconds", o.musicgenSeconds);
    if (!(o.musicgenSeconds >= 0) || !std::isfinite(o.musicgenSeconds))
        throw UsageError("--musicgen-seconds must be >= 0 (0 skips MusicGen)");
    const std::string config = args.get("musicgen-config", "small");
    o.musicgenConfig = config == "small" ? musicgenSmallConfigPath() : config;
    if (o.musicgenSeconds > 0 && !std::filesystem::is_regular_file(o.musicgenConfig))
        throw UsageError("--musicgen-config: no such file '" + o.musicgenConfig + "'");
    o.musicgenPrecision = args.get("musicgen-precision", o.musicgenPrecision);
    if (!isWeightPrecision(o.musicgenPrecision))
        throw UsageError("--musicgen-precision must be " + weightPrecisionChoices() + ", got '" +
                         o.musicgenPrecision + "'");

    const SessionBenchReport report = runSessionBenchmark(
        o,
        [](const std::string& s) {
            throwIfInterrupted("stopped; no figures were printed");
            std::cerr << "bench-session: " << s << "\n";
        },
        interruptFlag());
    std::cout << (args.has("json") ? report.toJson() : report.toTable()) << "\n";
    return 0;
}

static CliCommand
    benchSessionCommand("bench-session",
                        "long-session benchmark: speed, memory, path following, seams, repetition",
                        runBenchSession);

} // namespace moodsteer::cli
