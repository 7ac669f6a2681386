// moodsteer-cli bench: decode speed against the memory-bandwidth floor (see
// core/bench/Benchmark.h).
#include "CliCommand.h"
#include "CliSupport.h"
#include "Interrupt.h"
#include "OptionTable.h"

#include "core/bench/Benchmark.h"
#include "core/engine/ValueLimits.h"
#include "core/engine/WeightPrecisions.h"
#include "core/io/Resources.h"

#include <filesystem>

#include <iostream>
#include <sstream>

namespace moodsteer::cli {

static const char* kHelp =
    R"(usage: moodsteer-cli bench [--config small|medium|large|FILE] [--steps N] [--rounds R]
                          [--threads N] [--precision f32,bf16,int8,int4] [--seconds S]
                          [--positions 0,500,1000,1500|none] [--kv-cache f32,bf16,int8]
                          [--takes 1,2,4,8] [--json]

Builds the architecture in FILE (default ../shared/parity/musicgen-small-config.json, i.e.
facebook/musicgen-small) with random weights and prints ms per decode step with classifier-free
guidance at batch 1, steps/s, the real-time factor, codec and T5 timings, peak RSS, threads, the
active BLAS, the measured memory bandwidth, the bandwidth floor per step and the ratio to it,
and the resident memory per precision. medium and large are the public facebook/musicgen-medium
(1.5 B) and -large (3.3 B) configs in resources/configs (random weights, no download). One
bf16, int8 or int4 precision alone is built directly at that precision, layer by layer, without the
float32 model (run one precision per process to bench large on a 24 GB machine). A model that
would not fit in the available memory is refused with its estimate.

Each precision runs R rounds (default 5) of: measure the bandwidth (best of 3 passes over
512 MiB), generate N decode steps (default 16; the first step, which also computes the
cross-attention keys/values, is left out of ms/step), measure the bandwidth again. The table
gives medians over the rounds; step/floor is the median of each round's step time over its
own floor (from the better of its two probes), with the range; "vs best" divides the median
step by the floor of the best probe of the whole run (the strict reading).

Long context: for each precision, a guided step is also timed after each of --positions cached
positions (default 0,500,1000,1500; "none" skips it) with each --kv-cache precision (default:
the model's, float32 with f32 weights), the cache filled directly with random keys/values of its
dtype. Its floor counts the bytes of the KV cache the step reads besides the weights:
(weights + cache) / bandwidth, R rounds of N steps as above. With more than one core and
--threads other than 1, the decode step shares work with a second thread (int8 weights' GEMVs
at every position, the attention over the cache from 256 cached positions on); such a position
is then timed with and without that helper in each round, between the same probes ("step
threads" 2 and 1), and a step on two threads has its floor from probes on two threads. Each position
above 0 is also reached in one pass first, R times, and the "prefill" table gives its median
time: what a session window's context (500 positions = 10 s) costs before its first new frame,
on the threads the engine gives it: every core (--threads N: N), OpenBLAS's pool only with f32
weights.

Takes: with --takes, each precision also generates that many takes (clips of the same prompt,
seeds 1, 2, ...) in one guided batch, R rounds of N steps, and prints ms per step, the step time
against 1 take, seconds of audio (all takes) per second of decoding and the ratio to the floor
(weights read once for all rows + the batch's KV cache). The embedded model then also makes
each number of takes of S seconds end to end (text, decode, codec).)";

std::string musicgenSmallConfigPath() {
    return std::string(MOODSTEER_SHARED_DIR) + "/parity/musicgen-small-config.json";
}

static int runBench(const std::vector<std::string>& argv) {
    Args args(argv, {"json", "help"});
    if (args.has("help")) {
        std::cout << kHelp << "\n" << optionRangesHelp(kHelp);
        return 0;
    }
    args.allowOnly({"config", "steps", "rounds", "threads", "precision", "seconds", "positions",
                    "kv-cache", "takes", "json", "help"},
                   0);
    BenchOptions o;
    const std::string config = args.get("config", "small");
    if (config == "small")
        o.configPath = musicgenSmallConfigPath();
    else if (config == "medium" || config == "large")
        o.configPath = resourcePath("configs/musicgen-" + config + "-config.json");
    else
        o.configPath = config;
    if (!std::filesystem::is_regular_file(o.configPath))
        throw UsageError("--config: no such file '" + o.configPath + "'");
    o.steps = static_cast<int>(args.getInt("steps", o.steps));
    o.threads = static_cast<int>(args.getInt("threads", 0));
    o.audioSeconds = args.getDouble("seconds", o.audioSeconds);
    o.rounds = static_cast<int>(args.getInt("rounds", o.rounds));
    if (o.steps < 8) throw UsageError("--steps must be at least 8");
    if (o.rounds < 1) throw UsageError("--rounds must be at least 1");
    if (args.has("precision"))
        o.precisions = parseNameList("precision", args.get("precision"), weightPrecisions());
    if (args.has("positions")) {
        const std::string p = args.get("positions");
        o.positions = p == "none" ? std::vector<int>{} : parseIntList("positions", p, 0, 30000);
    }
    if (args.has("kv-cache"))
        o.kvCaches = parseNameList("kv-cache", args.get("kv-cache"), {"f32", "bf16", "int8"});
    if (args.has("takes")) o.takes = parseIntList("takes", args.get("takes"), 1, limits::kMaxTakes);
    auto report = runBenchmark(o, [](const std::string& s) {
        throwIfInterrupted("stopped; no figures were printed");
        std::cerr << "bench: " << s << "\n";
    });
    std::cout << (args.has("json") ? report.toJson() : report.toTable()) << "\n";
    return 0;
}

static CliCommand benchCommand("bench", "decode-speed benchmark against the memory-bandwidth floor",
                               runBench);

} // namespace moodsteer::cli
