// `moodsteer-cli bench-stream`: text to speaker, measured. Generates through the studio's own
// path (MusicEngine::generate with streaming audio: the LM on the calling thread, EnCodec on its
// own thread when a core is free) into an AudioPlayer whose output is a ClockedNullSink that
// consumes at exactly real time, playback starting at the first audio. Prints what a listener
// would get: time to first audio, generation speed per 10 s of audio, underruns (count, total
// time), the buffer ahead of the playhead over time, the pre-buffer that would have avoided
// every gap, and CPU per thread. A benchmark, not a test: it asserts nothing. Torch-free.
#pragma once

#include "core/playback/PlaybackMeter.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace moodsteer {

struct StreamBenchOptions {
    /// What to load: a model folder (MusicEngine::load), "embedded", or a MusicGen config.json
    /// built with random weights (MusicEngine::withRandomWeights; prompts are token ids then).
    std::string modelFolder;
    std::string configPath;
    bool embedded = false;
    std::string precision = "int8";
    double seconds = 60;       ///< the single clip; 0 skips it
    double sessionMinutes = 3; ///< the windowed session; 0 skips it
    double windowSeconds = 30; ///< the session's windows (at most the model's positions)
    /// The session's guard checks (Recipe::acceptSeconds; 0: whole windows); unset: as new
    /// sessions (Recipe::sessionAcceptSeconds), the first stretch as they have it.
    std::optional<double> acceptSeconds;
    /// The pace of those checks (Recipe::acceptPace); unset: as new sessions.
    std::optional<double> acceptPace;
    /// The session reads each window's context while the window before it is made
    /// (Recipe::readAhead), as new sessions do; false: at each seam.
    bool readAhead = true;
    int threads = 0; ///< LM compute threads (0: cores - 1, as the studio)
    std::string prompt = "calm ambient piece with piano";
    std::uint64_t seed = 1;
    double levelInterval = 5; ///< seconds of output per buffer-level row
};

struct ThreadCpu {
    std::string thread; ///< "engine (LM)", "codec-decode", "audio-feeder", "null-sink", "other"
    double cpuSeconds = 0;
};

struct StreamRun {
    std::string what; ///< "clip" or "session"
    double audioSeconds = 0;
    double wallSeconds = 0;        ///< generate() call to its return
    double firstAudioSeconds = -1; ///< generate() call to the first audio chunk
    /// Audio seconds made per wall second, for each 10 s of audio (the first counts from the
    /// generate() call, so it includes the text encoder and the first audio's latency).
    std::vector<double> speedPer10s;
    double meanSpeed = 0; ///< audio seconds / wall seconds after the first audio
    int underruns = 0;
    double underrunSeconds = 0;
    double firstUnderrunAt = -1; ///< output clock (s) of the first gap
    /// The wait after the first audio that would have played every chunk in time (0: none).
    double prebufferNeededSeconds = 0;
    /// Sessions, per window: seconds before its decode steps (prefills and the seam choice)
    /// and seam candidates tried (GenerationResult::windowPrepareSeconds, ...SeamCandidates).
    std::vector<double> windowPrepareSeconds;
    std::vector<double> windowPrefillSeconds; ///< of those, the begin and prefill
    std::vector<int> windowAheadColumns;      ///< the context's columns read ahead
    std::vector<int> windowSeamCandidates;
    std::vector<PlaybackMeter::Level> levels;
    std::vector<ThreadCpu> cpu;
    double processCpuSeconds = 0;
    bool codecOnOwnThread = false;
    std::string loadBefore, loadAfter; ///< /proc/loadavg
};

struct StreamBenchReport {
    std::string model;
    std::string precision;
    int threads = 0;
    int cores = 0;
    std::vector<StreamRun> runs;

    std::string toJson() const;
    std::string toTable() const;
};

/// The wait after the first audio that plays every chunk in time: chunk i arrives at
/// `arrivals[i]` seconds (from any origin) after `audioBefore[i]` seconds of audio arrived.
/// max(0, max_i (arrival_i - arrival_0 - audioBefore_i)).
double prebufferNeeded(const std::vector<double>& arrivals, const std::vector<double>& audioBefore);

/// Throws std::runtime_error (no model, bad options); `cancel` stops between decode steps.
StreamBenchReport runStreamBenchmark(const StreamBenchOptions& options,
                                     const std::function<void(const std::string&)>& say,
                                     const std::atomic<bool>* cancel = nullptr);

} // namespace moodsteer
