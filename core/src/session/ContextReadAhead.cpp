#include "session/ContextReadAhead.h"
#include "engine/BackgroundThread.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <pthread.h>

#include <algorithm>

namespace moodsteer {

std::optional<AheadPlan> AheadPlan::after(int windowStart, int newFrames, int promptFrames,
                                          int contextFrames, int windowFrames, int totalNewFrames,
                                          int madeBefore, int maxCut, double frameRate) {
    if (madeBefore + newFrames >= totalNewFrames || newFrames < 2 * maxCut) return std::nullopt;
    AheadPlan p;
    const int end = windowStart + newFrames;
    p.contextStart = std::max(0, end - contextFrames);
    p.fixedEnd = end - maxCut;
    p.aheadColumns = p.fixedEnd - p.contextStart + 1; // column t reads frames before t
    if (p.aheadColumns < 2) return std::nullopt;
    p.plannedContext = end - p.contextStart;
    p.conditionFrame = p.fixedEnd - promptFrames;
    p.plannedNew = std::min(windowFrames - p.plannedContext, totalNewFrames - p.conditionFrame);
    if (p.conditionFrame < 0 || p.plannedNew < 1) return std::nullopt;
    p.textSeconds = p.conditionFrame / frameRate;
    p.moodSeconds = (p.conditionFrame + p.plannedNew / 2.0) / frameRate;
    return p;
}

ContextReadAhead::ContextReadAhead(std::unique_ptr<WindowDecoder> window)
    : window_(std::move(window)) {
    thread_ = std::thread([this] { run(); });
    pthread_setname_np(thread_.native_handle(), "context-ahead");
}

ContextReadAhead::~ContextReadAhead() {
    finish();
}

void ContextReadAhead::offer(CodeGrid known) {
    {
        std::lock_guard lock(mutex_);
        known_ = std::move(known);
        ++version_;
    }
    wake_.notify_one();
}

std::unique_ptr<WindowDecoder> ContextReadAhead::finish() {
    if (thread_.joinable()) {
        {
            std::lock_guard lock(mutex_);
            stop_.store(true, std::memory_order_relaxed);
        }
        wake_.notify_one();
        thread_.join();
    }
    if (failed_) window_.reset();
    return std::move(window_);
}

void ContextReadAhead::run() {
    lowerOwnPriority(kNiceIncrement);
    // One math thread: the decode step has the other core. (Set after LibTorch's own lazy
    // set-up of this thread, which would otherwise copy whatever count is set process-wide.)
    at::internal::lazy_init_num_threads();
    torch::set_num_threads(1);
    const double cpu0 = threadCpuNow();
    std::uint64_t seen = 0;
    try {
        for (;;) {
            CodeGrid known;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [&] { return stop_.load() || version_ != seen; });
                if (stop_.load()) break;
                seen = version_;
                known = known_;
            }
            while (!stop_.load(std::memory_order_relaxed) && window_->readAhead(known)) {
            }
        }
    } catch (...) {
        failed_ = true;
    }
    cpuSeconds_ = threadCpuNow() - cpu0;
}

std::unique_ptr<WindowDecoder> settleOrBegin(ModelFamily& family, const WindowRequest& request,
                                             std::unique_ptr<WindowDecoder> ahead) {
    if (ahead && ahead->settle(request)) return ahead;
    ahead.reset(); // its KV cache goes before the new window's is made
    return family.begin(request);
}

} // namespace moodsteer
