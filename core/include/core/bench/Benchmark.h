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
    std::vector<BenchRound> rounds;
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
    double bandwidthGBs = 0; ///< median of every round's measurement
    double bandwidthMinGBs = 0, bandwidthMaxGBs = 0;
    double codecSeconds = 0; ///< codec decode of audioSeconds
    double audioSeconds = 0;
    double textEncoderMs = 0;
    double peakRssMB = 0;
    long long parameters = 0;
    std::vector<BenchPrecisionResult> results;
    std::string embeddedModel; ///< "" when not measured
    double embeddedClipSeconds = 0;
    std::vector<BenchEmbeddedResult> embedded;

    std::string toJson() const;
    std::string toTable() const;
};

/// The BLAS library LibTorch's matrix products run on (as mapped into this process).
std::string activeBlas();
/// Read bandwidth in GB/s with `threads` threads over a buffer much larger than the caches,
/// best of `passes`. The buffer is on huge pages like the decode weights (so that the floor is
/// not flattered by a slower probe) and is kept between calls.
double measureMemoryBandwidth(int threads, int passes = 5);
/// Peak resident set size of this process in MB.
double peakRssMB();
/// Current resident set size of this process in MB (VmRSS).
double currentRssMB();
/// MemAvailable of the machine in MB (0 if unknown).
double availableMemoryMB();
/// Bytes a MusicGen architecture needs to benchmark `precisions` here, plus T5-base and
/// EnCodec. One bf16 or int8 precision alone is built directly (benchBuildsDirectly): its
/// reduced copies, the weights that stay float32 and one float32 layer at a time. Otherwise the
/// float32 decoder (the masters every precision is converted from) plus the largest reduced
/// copy. Used to refuse a run that would not fit instead of swapping the machine.
double benchMemoryEstimateMB(const std::string& configPath,
                             const std::vector<std::string>& precisions);
/// True when `precisions` is one of bf16, int8: the model is then built without float32 masters.
bool benchBuildsDirectly(const std::vector<std::string>& precisions);

BenchReport runBenchmark(const BenchOptions& options,
                         const std::function<void(const std::string&)>& log = {});

} // namespace moodsteer
