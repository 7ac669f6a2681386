// moodsteer-cli bench-codec: EnCodec decoding on one thread against this core's floor (see
// core/bench/CodecBenchmark.h). A benchmark, not a test: it prints figures.
#include "CliCommand.h"
#include "CliSupport.h"
#include "Interrupt.h"
#include "OptionTable.h"

#include "core/bench/CodecBenchmark.h"

#include <filesystem>
#include <iostream>

namespace moodsteer::cli {
namespace {

const char* kHelp =
    R"(usage: moodsteer-cli bench-codec [--config small|FILE] [--seconds S] [--rounds R]
                                [--push-frames N] [--json]

EnCodec 32 kHz (the audio_encoder of FILE, default ../shared/parity/musicgen-small-config.json,
random weights) decoding --seconds of audio (default 10) on one thread: the decoder's work in
GFLOP (counted from its layers), this core's peak (a one-thread GEMM probe) and one-thread
bandwidth, the floor (work / peak), and
the measured one-shot decode (by stage) and streaming decode in pushes of --push-frames frames
(default 5), best of --rounds (default 3), as ratios to the floor.)";

} // namespace

static int runBenchCodec(const std::vector<std::string>& argv) {
    Args args(argv, {"json", "help"});
    if (args.has("help")) {
        std::cout << kHelp << "\n" << optionRangesHelp(kHelp);
        return 0;
    }
    args.allowOnly({"config", "seconds", "rounds", "push-frames", "json", "help"}, 0);
    CodecBenchOptions o;
    const std::string config = args.get("config", "small");
    o.configPath = config == "small" ? musicgenSmallConfigPath() : config;
    if (!std::filesystem::is_regular_file(o.configPath))
        throw UsageError("--config: no such file '" + o.configPath + "'");
    o.audioSeconds = args.getDouble("seconds", o.audioSeconds);
    o.rounds = static_cast<int>(args.getInt("rounds", o.rounds));
    o.pushFrames = static_cast<int>(args.getInt("push-frames", o.pushFrames));
    const CodecBenchReport report = runCodecBenchmark(o, [](const std::string& s) {
        throwIfInterrupted("stopped; no figures were printed");
        std::cerr << "bench-codec: " << s << "\n";
    });
    std::cout << (args.has("json") ? report.toJson() : report.toTable()) << "\n";
    return 0;
}

static CliCommand benchCodecCommand("bench-codec",
                                    "EnCodec decoding on one thread against this core's floor",
                                    runBenchCodec);

} // namespace moodsteer::cli
