// Reads a session window's context while the window before it is still being made
// (Recipe::readAhead): on a 2-core machine the decode step keeps one core, and the next window's
// prefill, in chunks of Generator::kPrefillChunk columns, takes what the codec's thread leaves of
// the other (musicgen-small int8, 500 frames of context: a chunk every 0.2-0.26 s beside a step
// ~2 % slower, against a 1.1-1.4 s prefill at the seam; docs/performance.md).
//
// The window is begun on the engine thread (its conditioning) with a request whose context is a
// plan of its length and WindowRequest::aheadColumns set; offer() hands the reader the context's
// first frames as the window before makes them (a new try's frames replace a rejected one's: the
// window reads again what they contradict); finish() stops it after the chunk under way and hands
// the window back to be settled (WindowDecoder::settle) with the context as it came out. Reading
// ahead changes no result: the same chunks are read at prefill() when nothing was read ahead.
//
// Threads: the constructor, offer() and finish() on the engine thread; the window is used only
// by the reader's thread until finish() returns. An error on the reader's thread drops the
// window (finish() returns null): the caller begins the window anew and meets the error there.
// The reader runs kNiceIncrement below its creator's priority with one LibTorch thread, as every
// read of such columns does (Generator's OneThreadFor). torch::set_num_threads also sets the
// count LibTorch gives threads that start their math later (until the engine sets its own
// again: AllCoresFor, setComputeThreads): on two cores the engine's count anyway, on more a
// codec thread started meanwhile would compute on one. OpenBLAS's pool is process-wide: an f32
// prefill on every core (AllCoresFor) while a chunk is read would lend that chunk its threads;
// the engine runs one only for a remade try of a window read at its seam, whose reader then reads
// the rejected try's frames, which its next offer drops.
#pragma once

#include "core/engine/ModelFamily.h"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace moodsteer {

/// Recipe::readAhead: the next window's context and conditioning, fixed when the window before
/// it begins. That window starts at stream frame `windowStart` and plans `newFrames`; if it ends
/// at or after fixedEnd (uncut, or cut back at most `maxCut` frames), the next window's
/// context is stream frames [contextStart, its end) and its first aheadColumns columns (frames
/// before fixedEnd) can be read while it is made.
struct AheadPlan {
    int contextStart = 0;   ///< stream frame
    int fixedEnd = 0;       ///< stream frame
    int plannedContext = 0; ///< frames, were the window uncut
    int plannedNew = 0;     ///< new frames of the next window at most (its cache's length)
    int conditionFrame = 0; ///< session clock (new frames): where its conditioning is read
    int aheadColumns = 0;
    /// Its prompt change and mood word: the prompt at conditionFrame, the target's mood at the
    /// middle of plannedNew frames from there (seconds).
    double textSeconds = 0, moodSeconds = 0;

    /// Null when no window follows (the window is the last) or the window is too short to
    /// read ahead of.
    static std::optional<AheadPlan> after(int windowStart, int newFrames, int promptFrames,
                                          int contextFrames, int windowFrames, int totalNewFrames,
                                          int madeBefore, int maxCut, double frameRate);
    bool holds(int streamEnd) const { return streamEnd >= fixedEnd; }
};

class ContextReadAhead {
  public:
    static constexpr int kNiceIncrement = 10;
    /// Frames handed on at a time (a prefill chunk's columns): fewer offers, none wasted.
    static constexpr int kOfferFrames = 50;

    explicit ContextReadAhead(std::unique_ptr<WindowDecoder> window);
    ~ContextReadAhead();
    ContextReadAhead(const ContextReadAhead&) = delete;
    ContextReadAhead& operator=(const ContextReadAhead&) = delete;

    /// The context's first frames as far as they are made (the whole of what is known).
    void offer(CodeGrid known);
    /// Stops reading (after the chunk under way) and returns the window, or null when reading
    /// failed. Once only.
    std::unique_ptr<WindowDecoder> finish();
    /// CPU seconds the reader's thread used (after finish()).
    double cpuSeconds() const { return cpuSeconds_; }

  private:
    void run();

    std::unique_ptr<WindowDecoder> window_;
    std::mutex mutex_;
    std::condition_variable wake_;
    CodeGrid known_;
    std::uint64_t version_ = 0;
    std::atomic<bool> stop_{false}; ///< set under mutex_; also read between chunks
    // Written by the reader before it exits; read after the join.
    bool failed_ = false;
    double cpuSeconds_ = 0;
    std::thread thread_;
};

/// The window for `request`: `ahead` (begun for it and read ahead) settled with it, else one
/// begun anew (its contextColumnsRead() then 0).
std::unique_ptr<WindowDecoder> settleOrBegin(ModelFamily& family, const WindowRequest& request,
                                             std::unique_ptr<WindowDecoder> ahead);

} // namespace moodsteer
