#include "engine/PipelinedStreamDecoder.h"
#include "audio/CodeGridJoin.h"
#include "engine/BackgroundThread.h"

#include <torch/torch.h>

#include <pthread.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace moodsteer {

PipelinedStreamDecoder::PipelinedStreamDecoder(std::unique_ptr<StreamDecoder> inner,
                                               int minPushFrames,
                                               std::shared_ptr<std::atomic<double>> cpu)
    : inner_(std::move(inner)), minPushFrames_(minPushFrames),
      cpu_(cpu ? std::move(cpu) : std::make_shared<std::atomic<double>>(0.0)) {
    if (minPushFrames < 1)
        throw std::invalid_argument("PipelinedStreamDecoder: minPushFrames must be >= 1, got " +
                                    std::to_string(minPushFrames));
}

PipelinedStreamDecoder::~PipelinedStreamDecoder() {
    {
        std::lock_guard lock(mutex_);
        quit_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void PipelinedStreamDecoder::start() {
    if (thread_.joinable()) return;
    thread_ = std::thread([this] { run(); });
    pthread_setname_np(thread_.native_handle(), "codec-decode");
}

std::unique_ptr<StreamDecoder> PipelinedStreamDecoder::clone() const {
    std::unique_lock lock(mutex_);
    // The wrapped decoder is the worker's while it pushes; it takes no new batch while the
    // mutex is held, so the copy below sees it between pushes.
    done_.wait(lock, [&] { return !busy_; });
    std::unique_ptr<StreamDecoder> inner = inner_->clone();
    if (!inner) return nullptr;
    auto copy = std::make_unique<PipelinedStreamDecoder>(std::move(inner), minPushFrames_, cpu_);
    copy->pending_ = pending_;
    copy->ready_ = ready_;
    return copy;
}

std::vector<float> PipelinedStreamDecoder::takeReady() {
    std::vector<float> out;
    out.swap(ready_);
    return out;
}

void PipelinedStreamDecoder::rethrow() {
    if (!error_) return;
    auto e = error_;
    error_ = nullptr;
    // The stream cannot continue after a failed push: what was queued is dropped.
    pending_ = CodeGrid();
    std::rethrow_exception(e);
}

std::vector<float> PipelinedStreamDecoder::push(const CodeGrid& fresh) {
    std::lock_guard lock(mutex_);
    rethrow();
    if (fresh.frames > 0) {
        if (pending_.frames > 0 && pending_.numCodebooks != fresh.numCodebooks)
            throw CodecError("a push of " + std::to_string(fresh.numCodebooks) +
                             " code streams into a stream of " +
                             std::to_string(pending_.numCodebooks));
        pending_ = joinFrames(pending_, fresh);
        start();
        wake_.notify_all();
    }
    return takeReady();
}

std::vector<float> PipelinedStreamDecoder::drain() {
    std::unique_lock lock(mutex_);
    if (pending_.frames > 0) {
        start();
        draining_ = true;
        wake_.notify_all();
    }
    done_.wait(lock, [&] { return (pending_.frames == 0 && !busy_) || error_; });
    draining_ = false;
    rethrow();
    return takeReady();
}

std::vector<float> PipelinedStreamDecoder::finish() {
    std::unique_lock lock(mutex_);
    start();
    finishing_ = true;
    wake_.notify_all();
    done_.wait(lock, [&] { return finished_ || error_; });
    finishing_ = finished_ = false;
    rethrow();
    return takeReady();
}

void PipelinedStreamDecoder::run() {
    // NoGradGuard is per thread: the engine's guard does not reach this one.
    torch::NoGradGuard noGrad;
    lowerOwnPriority(kNiceIncrement);
    double cpuSoFar = threadCpuNow();
    std::unique_lock lock(mutex_);
    while (true) {
        wake_.wait(lock, [&] {
            return quit_ || pending_.frames >= minPushFrames_ ||
                   (draining_ && pending_.frames > 0) || (finishing_ && !finished_ && !error_);
        });
        if (quit_) return;
        CodeGrid batch;
        batch.numCodebooks = pending_.numCodebooks;
        std::swap(batch, pending_);
        pending_.numCodebooks = batch.numCodebooks;
        const bool last = finishing_ && batch.frames == 0;
        busy_ = true;
        lock.unlock();
        std::vector<float> audio;
        std::exception_ptr error;
        try {
            if (batch.frames > 0) {
                audio = inner_->push(batch);
                ++innerPushes_;
            } else if (last) {
                audio = inner_->finish();
            }
        } catch (...) {
            error = std::current_exception();
        }
        const double now = threadCpuNow();
        for (double total = cpu_->load();
             !cpu_->compare_exchange_weak(total, total + (now - cpuSoFar));)
            ;
        cpuSoFar = now;
        lock.lock();
        busy_ = false;
        ready_.insert(ready_.end(), audio.begin(), audio.end());
        if (error) error_ = error;
        if (last || error) finished_ = !error;
        done_.notify_all(); // finish(), drain() and clone() wait for the worker
    }
}

} // namespace moodsteer
