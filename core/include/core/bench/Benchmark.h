// `moodsteer-cli bench`: decode speed of a MusicGen architecture (default: musicgen-small
// built from its config with random weights, no download) against this machine's memory
// bandwidth floor. A benchmark, not a test: it prints figures and ratios, asserts nothing.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace moodsteer {

struct BenchOptions {
    std::string configPath; ///< config.json of the architecture
    int threads = 0;        ///< 0: one per core
    int steps = 16;         ///< decode steps per round and precision
    /// Rounds per precision: each measures the memory bandwidth and then times a generation
    /// of `steps` steps, so that a step is compared with the bandwidth of its own moment
    /// (other tenants of a VM move it by +-20 % within seconds).
    int rounds = 5;
    std::vector<std::string> precisions{"f32"};
    double audioSeconds = 10.0; ///< for the real-time factor and codec timing
    bool codec = true;
    bool textEncoder = true;
    bool embedded = true; ///< also time the model shipped in resources/model (if present)
    /// Cached positions at which the long-context table times a guided step (each precision),
    /// with the floor counting the KV cache read per step besides the weights; empty: none.
    std::vector<int> positions{0, 500, 1000, 1500};
    /// KV cache precisions ("f32", "bf16", "int8") of the long-context table; empty: the
    /// model's default for each weight precision.
    std::vector<std::string> kvCaches;
    /// Takes (clips in one batch) of the takes table, e.g. {1, 2, 4, 8}; empty: none. With the
    /// embedded model also timed end to end (generateTakes of audioSeconds, codec included).
    std::vector<int> takes;
};

/// One round: a bandwidth probe, one generation, another probe.
struct BenchRound {
    double bandwidthGBs = 0; ///< the better of the probes before and after
    double msPerStep = 0;    ///< steps 2.. (step 1 also computes the cross-attention keys/values)
    double floorMs = 0;      ///< weight bytes per step / this round's bandwidth
    double ratioToFloor = 0;
    double firstFrameMs = 0; ///< generation start to the end of step K (first complete frame)
};

/// Medians over the rounds; the ratio is the median of the rounds' own ratios.
struct BenchPrecisionResult {
    std::string precision;
    double msPerStep = 0;
    double cpuMsPerStep = 0; ///< process CPU time per step: robust to a busy machine
    double stepsPerSecond = 0;
    double realTimeFactor = 0; ///< generation time / audio duration for audioSeconds
    double weightBytesPerStep = 0;
    double floorMs = 0; ///< weightBytesPerStep / bandwidth
    double ratioToFloor = 0;
    double ratioMin = 0, ratioMax = 0;
    double ratioToBestFloor = 0;   ///< msPerStep over the floor of the run's best probe (strict)
    double timeToFirstAudioMs = 0; ///< T5 + generation start to the first complete frame
    /// Resident memory after this precision's runs (f32 masters + this precision's copies).
    double rssMB = 0;
    int readThreads = 1; ///< threads reading memory in the steps (2: the decode helper's share)
    std::vector<BenchRound> rounds;
};

/// One row of the long-context table: a guided decode step after `position` cached positions.
struct BenchPositionResult {
    std::string precision; ///< of the weights
    std::string kvCache;   ///< of the self-attention cache
    int position = 0;
    double msPerStep = 0; ///< median over the rounds
    double weightBytesPerStep = 0;
    double kvBytesPerStep = 0; ///< keys and values (and int8 scales) the step reads, on average
    double floorMs = 0;        ///< (weights + KV cache bytes) / bandwidth, median over rounds
    double ratioToFloor = 0;   ///< median of the rounds' own ratios
    double ratioMin = 0, ratioMax = 0;
    double cpuMsPerStep = 0; ///< process CPU time per step: robust to a busy machine
    int stepThreads = 1;     ///< 2: with the decode step's helper (models/DecodeThreads.h)
    /// Filling the cache to `position` in one guided pass (a session window's context is such
    /// a prefill, at every core): median ms over the rounds; 0 at position 0 and on the
    /// helper's duplicate row.
    double prefillMs = 0;
    /// LibTorch threads the prefill ran on: the engine's (AllCoresFor: every core unless
    /// --threads chose a count).
    int prefillThreads = 0;
};

/// One row of the takes table: N takes decoded in one batch (2N rows with guidance).
struct BenchTakesResult {
    std::string precision;
    int takes = 1;
    double msPerStep = 0;
    double weightBytesPerStep = 0;
    double kvBytesPerStep = 0; ///< the cache the steps read, on average over the generation
    double floorMs = 0;
    double ratioToFloor = 0; ///< median of the rounds' own ratios
    double ratioMin = 0, ratioMax = 0;
    double audioPerSecond = 0; ///< seconds of audio (all takes) per second of decoding
    double relativeToOne = 0;  ///< step time over the step time of 1 take (same precision)
};

/// The embedded model making N takes of a clip end to end (MusicEngine::generateTakes: text
/// encoder, decode, codec), median of 3 runs after a warm-up.
struct BenchEmbeddedTakesResult {
    std::string precision;
    int takes = 1;
    double clipSeconds = 0;
    double wallSeconds = 0;
    double audioPerSecond = 0;
};

/// The embedded model (resources/model, SynthCodec) through the engine with streaming audio,
/// measured end to end: tokenizer, text encoder, decode steps, codec; medians of 5 runs.
struct BenchEmbeddedResult {
    std::string precision;
    double timeToFirstAudioMs = 0; ///< generate() call to the first streamed audio chunk
    double msPerStep = 0;          ///< whole generation / decode steps
    int steps = 0;                 ///< decode steps of the timed clip
};

struct BenchReport {
    std::string architecture;
    std::string blas;
    int threads = 0;
    bool decodeHelper = false; ///< the decode step's second thread (models/DecodeThreads.h)
    double bandwidthGBs = 0;   ///< median of every round's measurement
    double bandwidthMinGBs = 0, bandwidthMaxGBs = 0;
    int bandwidthProbes = 0; ///< how many probes the median is over
    /// The steps the decode helper takes part in (reduced weights' GEMVs, the attention on a long
    /// cache: models/DecodeThreads.h) read memory on two threads: their floors use probes on two
    /// threads, whose median this is (0 without such steps).
    double helperBandwidthGBs = 0;
    std::vector<double> helperProbes;
    double codecSeconds = 0; ///< codec decode of audioSeconds
    double audioSeconds = 0;
    double textEncoderMs = 0;
    double peakRssMB = 0;
    long long parameters = 0;
    std::vector<BenchPrecisionResult> results;
    std::vector<BenchPositionResult> positions; ///< the long-context table
    std::vector<BenchTakesResult> takes;        ///< the takes table
    std::vector<BenchEmbeddedTakesResult> embeddedTakes;
    std::string embeddedModel; ///< "" when not measured
    double embeddedClipSeconds = 0;
    std::vector<BenchEmbeddedResult> embedded;

    std::string toJson() const;
    std::string toTable() const;
};

/// The BLAS library LibTorch's matrix products run on (as mapped into this process), and for
/// OpenBLAS the kernels it picked (", Haswell kernels"): every GEMM figure depends on them.
std::string activeBlas();
/// Read bandwidth in GB/s with `threads` threads over a buffer much larger than the caches,
/// best of `passes`. The buffer is on huge pages like the decode weights (so that the floor is
/// not flattered by a slower probe) and is kept between calls.
double measureMemoryBandwidth(int threads, int passes = 5);
/// The threads whose probes give the floor of a guided decode step with `precision` weights
/// ("f32", "bf16", "int8", "int4") attending `positions` cached positions: `threads`, or at
/// least 2 where the decode helper takes part in the step (models/DecodeThreads.h).
int decodeReadThreads(const std::string& precision, int64_t positions, int threads);
/// Peak resident set size of this process in MB.
double peakRssMB();
/// Current resident set size of this process in MB (VmRSS).
double currentRssMB();
/// MemAvailable of the machine in MB (0 if unknown).
double availableMemoryMB();
/// Bytes a MusicGen architecture needs to benchmark `precisions` here, plus T5-base and
/// EnCodec. One bf16, int8 or int4 precision alone is built directly (benchBuildsDirectly): its
/// reduced copies, the weights that stay float32 and one float32 layer at a time. Otherwise the
/// float32 decoder (the masters every precision is converted from) plus the largest reduced
/// copy. Used to refuse a run that would not fit instead of swapping the machine.
double benchMemoryEstimateMB(const std::string& configPath,
                             const std::vector<std::string>& precisions);
/// True when `precisions` is one of bf16, int8, int4: the model is then built without float32
/// masters.
bool benchBuildsDirectly(const std::vector<std::string>& precisions);

BenchReport runBenchmark(const BenchOptions& options,
                         const std::function<void(const std::string&)>& log = {});

} // namespace moodsteer
