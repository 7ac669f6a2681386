// `moodsteer-cli bench-codec`: EnCodec decoding speed on one thread against this core's floor.
// The floor: the SEANet decoder's multiply-adds (counted from the modules' shapes, 2 FLOPs each)
// over the core's measured peak (a one-thread GEMM probe). The LSTM's recurrent weights (read
// once per frame) are shown at DRAM bandwidth too, but mostly stay in the last-level cache.
// A benchmark, not a test. Torch-free header.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace moodsteer {

struct CodecBenchOptions {
    std::string configPath; ///< a MusicGen config.json (its audio_encoder section)
    double audioSeconds = 10;
    int rounds = 3;     ///< best of
    int pushFrames = 5; ///< frames per push of the streaming decoder
};

struct CodecStage {
    std::string name;
    double gflop = 0; ///< for audioSeconds
    double seconds = 0;
};

struct CodecBenchReport {
    double audioSeconds = 0;
    double decoderGflop = 0;       ///< SEANet decoder, for audioSeconds
    double lstmRecurrentGflop = 0; ///< of which the LSTM's recurrent products
    double lstmWeightMBPerFrame = 0;
    double peakGflops = 0;       ///< one-thread GEMM probe
    std::string blas;            ///< activeBlas(): the library and kernels the probe and GEMMs ran
    double bandwidthGBs = 0;     ///< one thread
    double floorSeconds = 0;     ///< decoderGflop / peakGflops
    double lstmDramSeconds = 0;  ///< the LSTM's recurrent weights at bandwidthGBs
    double oneShotSeconds = 0;   ///< whole-clip decode, one thread
    double streamingSeconds = 0; ///< pushes of pushFrames frames, one thread
    int pushFrames = 0;
    std::vector<CodecStage> stages; ///< one-shot decode by stage
    std::string load;               ///< /proc/loadavg before the run

    std::string toTable() const;
    std::string toJson() const;
};

CodecBenchReport runCodecBenchmark(const CodecBenchOptions& options,
                                   const std::function<void(const std::string&)>& say);

} // namespace moodsteer
