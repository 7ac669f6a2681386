// An audio output with no device that consumes at exactly real time: a benchmark's stand-in for
// a sound card (bench-stream), so that what is measured is the studio's own path, AudioPlayer's
// feeder and ring buffer included. An ALSA null device is no substitute: it calls back unpaced.
//
// The clock decides how much audio is due: since start(), floor(elapsed x rate) frames, taken
// in blocks of `blockFrames` (a late wake-up renders every block it owes, as a device's period
// queue would). With the default clock (steady_clock) the sink runs its own thread, which calls
// pump() once per block period. With a clock given, it runs no thread: the caller advances its
// clock and calls pump() (deterministic tests).
//
// Threads: open/start/stop/close and setBlockObserver on one control thread (AudioPlayer's);
// pump() on the sink's thread, or the caller's when the clock is given. The observer runs
// right after each block's render(), on the thread that pumps.
#pragma once

#include "core/playback/AudioPlayer.h"

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace moodsteer {

class ClockedNullSink final : public AudioSink {
  public:
    /// Monotonic seconds.
    using Clock = std::function<double()>;
    /// After each block: the sink's clock in seconds since start() at the block's end (its
    /// audio time), and the frames in the block.
    using BlockObserver = std::function<void(double seconds, std::size_t frames)>;

    /// `rate` is what open() returns whatever is asked (0 or less: the preferred rate).
    explicit ClockedNullSink(int rate = 0, std::size_t blockFrames = 256, Clock clock = {});
    ~ClockedNullSink() override;

    void setBlockObserver(BlockObserver observer);

    std::vector<AudioOutputDevice> devices() override;
    int open(int index, int preferredRate, AudioRenderer* renderer) override;
    void start() override;
    void stop() override;
    void close() override;
    bool isRunning() const override { return running_.load(); }
    std::string deviceName() const override { return "null output (real-time clock)"; }

    /// Renders every whole block due by the clock; returns the frames rendered.
    std::size_t pump();
    /// Frames rendered since start().
    std::uint64_t framesRendered() const { return rendered_.load(); }
    std::size_t blockFrames() const { return block_; }
    /// CPU seconds of the sink's own thread (0 without one), read after stop().
    double threadCpuSeconds() const { return threadCpu_.load(); }

  private:
    void run();

    int fixedRate_ = 0;
    int rate_ = 0;
    std::size_t block_ = 256;
    Clock clock_;
    bool ownThread_ = true;
    AudioRenderer* renderer_ = nullptr;
    BlockObserver observer_;
    std::vector<float> buffer_;
    double startTime_ = 0;
    std::atomic<bool> running_{false};
    std::atomic<std::uint64_t> rendered_{0};
    std::atomic<double> threadCpu_{0};
    std::mutex mutex_;
    std::condition_variable wake_;
    bool quit_ = false;
    std::thread thread_;
};

} // namespace moodsteer
