// A StreamDecoder that runs another one on its own thread, so that the codec decodes frame n
// while the LM computes frame n + 1: on a 2-core machine the LM keeps one core and the codec
// takes the other (EnCodec at one frame per push: ~7 ms a frame on this machine's cores, a third
// of a musicgen-small int8 step; docs/performance.md).
//
// push() only queues the frames and returns the audio the thread has finished since the last
// call (often none: it arrives with a later push); finish() waits for everything. The order of
// samples is kept, so the concatenation of all returned audio equals the wrapped decoder's. Frames
// queued while the thread is busy are decoded together in one push of the wrapped decoder, which
// is also cheaper per frame (each push of EnCodec reads its LSTM's 64 MB of weights once). The
// thread waits for `minPushFrames` frames (or the end) before a push: one-frame pushes stream
// ~100 MB of EnCodec weights per frame, memory bandwidth the LM's step on the other core needs.
//
// The thread runs kNiceIncrement below its creator's priority: it needs a fifth of a core and
// catches up in larger pushes when late, while the LM's thread is what a listener waits for
// (paired bench-stream runs: 0.83-0.97x real time against 0.77-0.82x at the same priority, when
// the decode helper's waits were not yet taken back; docs/performance.md). The decode helper runs
// at idle priority, below this thread: it never delays the codec.
//
// drain() waits for the audio of every frame pushed so far (what a synchronous push would have
// returned), pushing fewer than `minPushFrames` if it must: a session's guard hears a try up to
// a check that way, the frames having been decoded while the LM made them. clone() copies the
// stream (the wrapped decoder's clone, and what is queued or ready) once the worker is between
// pushes; a copy starts its own worker at its first push, so checkpoints cost no thread.
//
// Threads: push(), drain(), finish(), clone() and cpuSeconds() from one thread (the engine's);
// the wrapped decoder is used only by the worker thread once it has started (at the first push).
// An exception thrown by the wrapped decoder is rethrown by the next push(), drain() or finish().
#pragma once

#include "core/audio/AudioCodec.h"

#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace moodsteer {

class PipelinedStreamDecoder final : public StreamDecoder {
  public:
    /// minPushFrames >= 1: frames to wait for before a push of the wrapped decoder (the
    /// stream's end pushes what is left).
    /// `cpu`: where the worker adds its CPU seconds (shared by this stream's copies); a new
    /// counter when null.
    explicit PipelinedStreamDecoder(std::unique_ptr<StreamDecoder> inner,
                                    int minPushFrames = kDefaultMinPushFrames,
                                    std::shared_ptr<std::atomic<double>> cpu = nullptr);
    /// 4 frames: 80 ms of audio at EnCodec's 50 Hz (docs/performance.md).
    static constexpr int kDefaultMinPushFrames = 4;
    /// Nice levels the worker thread adds to its own (capped at 19; not lowered if refused).
    static constexpr int kNiceIncrement = 10;
    ~PipelinedStreamDecoder() override;

    std::vector<float> push(const CodeGrid& newFrames) override;
    std::vector<float> drain() override;
    std::vector<float> finish() override;
    /// A pipelined copy (null when the wrapped decoder cannot copy itself).
    std::unique_ptr<StreamDecoder> clone() const override;
    /// CPU seconds of the decoding threads so far: this stream's and its copies'.
    double cpuSeconds() const { return cpu_->load(); }
    /// Pushes of the wrapped decoder so far (a measure of the batching).
    int innerPushes() const { return innerPushes_.load(); }

  private:
    void run();
    void start();                   // mutex held: the worker, if not yet running
    std::vector<float> takeReady(); // mutex held
    void rethrow();                 // mutex held

    std::unique_ptr<StreamDecoder> inner_;
    const int minPushFrames_;
    mutable std::mutex mutex_;
    mutable std::condition_variable wake_, done_;
    CodeGrid pending_;
    std::vector<float> ready_;
    bool busy_ = false; // the worker is pushing a batch into inner_ (unlocked)
    bool draining_ = false, finishing_ = false, finished_ = false, quit_ = false;
    std::exception_ptr error_;
    std::shared_ptr<std::atomic<double>> cpu_;
    std::atomic<int> innerPushes_{0};
    std::thread thread_;
};

} // namespace moodsteer
