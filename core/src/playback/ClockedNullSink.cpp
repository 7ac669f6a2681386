#include "core/playback/ClockedNullSink.h"

#include <chrono>
#include <cmath>
#include <pthread.h>
#include <stdexcept>
#include <time.h>

namespace moodsteer {
namespace {

double steadySeconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

double threadCpuNow() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

} // namespace

ClockedNullSink::ClockedNullSink(int rate, std::size_t blockFrames, Clock clock)
    : fixedRate_(rate), block_(blockFrames), clock_(std::move(clock)), ownThread_(!clock_) {
    if (block_ == 0) throw std::invalid_argument("ClockedNullSink: blockFrames must be > 0");
    if (!clock_) clock_ = steadySeconds;
    buffer_.resize(block_);
}

ClockedNullSink::~ClockedNullSink() {
    stop();
}

void ClockedNullSink::setBlockObserver(BlockObserver observer) {
    observer_ = std::move(observer);
}

std::vector<AudioOutputDevice> ClockedNullSink::devices() {
    return {AudioOutputDevice{0, deviceName(), double(fixedRate_ > 0 ? fixedRate_ : 32000), true}};
}

int ClockedNullSink::open(int, int preferredRate, AudioRenderer* renderer) {
    if (!renderer) throw AudioDeviceError("null output: no renderer");
    renderer_ = renderer;
    rate_ = fixedRate_ > 0 ? fixedRate_ : (preferredRate > 0 ? preferredRate : 32000);
    return rate_;
}

void ClockedNullSink::start() {
    if (!renderer_) throw AudioDeviceError("null output: start() before open()");
    if (running_) return;
    rendered_ = 0;
    startTime_ = clock_();
    running_ = true;
    if (!ownThread_) return;
    {
        std::lock_guard lock(mutex_);
        quit_ = false;
    }
    thread_ = std::thread([this] { run(); });
    pthread_setname_np(thread_.native_handle(), "null-sink");
}

void ClockedNullSink::stop() {
    if (thread_.joinable()) {
        {
            std::lock_guard lock(mutex_);
            quit_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
    running_ = false;
}

void ClockedNullSink::close() {
    stop();
    renderer_ = nullptr;
}

std::size_t ClockedNullSink::pump() {
    if (!running_ || !renderer_) return 0;
    const double elapsed = clock_() - startTime_;
    const auto due = static_cast<std::uint64_t>(std::floor(std::max(0.0, elapsed) * rate_));
    std::size_t done = 0;
    std::uint64_t rendered = rendered_.load(std::memory_order_relaxed);
    while (rendered + block_ <= due) {
        renderer_->render(buffer_.data(), block_);
        rendered += block_;
        done += block_;
        rendered_.store(rendered, std::memory_order_relaxed);
        if (observer_) observer_(double(rendered) / rate_, block_);
    }
    return done;
}

void ClockedNullSink::run() {
    std::unique_lock lock(mutex_);
    const auto origin = std::chrono::steady_clock::now() -
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(clock_() - startTime_));
    while (!quit_) {
        // Wake when the next block is due (as a device's period interrupt would).
        const double next = double(rendered_.load() + block_) / rate_;
        wake_.wait_until(lock, origin + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                            std::chrono::duration<double>(next)));
        if (quit_) break;
        lock.unlock();
        pump();
        threadCpu_ = threadCpuNow();
        lock.lock();
    }
}

} // namespace moodsteer
