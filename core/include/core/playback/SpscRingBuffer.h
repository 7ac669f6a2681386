// Lock-free single-producer/single-consumer ring buffer for the audio path: the feeder
// thread writes, the audio callback reads. No locks, no allocation after construction.
//
// Thread contract: exactly one thread calls the producer methods (write, writeSpace) and
// exactly one thread calls the consumer methods (read, discard, readAvailable) at a time.
// reset() may only be called while neither side is active.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <type_traits>

namespace moodsteer {

template <typename T> class SpscRingBuffer {
    static_assert(std::is_trivially_copyable_v<T>, "SpscRingBuffer holds plain samples");

  public:
    /// Capacity is rounded up to a power of two so that indices wrap with a mask.
    explicit SpscRingBuffer(std::size_t minCapacity) {
        if (minCapacity == 0) throw std::invalid_argument("SpscRingBuffer: capacity must be > 0");
        capacity_ = 1;
        while (capacity_ < minCapacity)
            capacity_ <<= 1;
        mask_ = capacity_ - 1;
        data_ = std::make_unique<T[]>(capacity_);
    }

    std::size_t capacity() const { return capacity_; }

    /// Producer: copies up to `count` items; returns how many fitted.
    std::size_t write(const T* src, std::size_t count) {
        const std::size_t w = writeIndex_.load(std::memory_order_relaxed);
        const std::size_t r = readIndex_.load(std::memory_order_acquire);
        const std::size_t n = std::min(count, capacity_ - (w - r));
        const std::size_t start = w & mask_;
        const std::size_t first = std::min(n, capacity_ - start);
        std::copy(src, src + first, data_.get() + start);
        std::copy(src + first, src + n, data_.get());
        writeIndex_.store(w + n, std::memory_order_release);
        return n;
    }

    /// Consumer: copies up to `count` items into `dst`; returns how many were read.
    std::size_t read(T* dst, std::size_t count) {
        const std::size_t r = readIndex_.load(std::memory_order_relaxed);
        const std::size_t w = writeIndex_.load(std::memory_order_acquire);
        const std::size_t n = std::min(count, w - r);
        const std::size_t start = r & mask_;
        const std::size_t first = std::min(n, capacity_ - start);
        std::copy(data_.get() + start, data_.get() + start + first, dst);
        std::copy(data_.get(), data_.get() + (n - first), dst + first);
        readIndex_.store(r + n, std::memory_order_release);
        return n;
    }

    /// Consumer: drops everything currently readable (used to flush on seek); returns count.
    std::size_t discardAll() {
        const std::size_t r = readIndex_.load(std::memory_order_relaxed);
        const std::size_t w = writeIndex_.load(std::memory_order_acquire);
        readIndex_.store(w, std::memory_order_release);
        return w - r;
    }

    /// Either side: items ready to read (exact for the consumer, a lower bound for others).
    std::size_t readAvailable() const {
        return writeIndex_.load(std::memory_order_acquire) -
               readIndex_.load(std::memory_order_acquire);
    }
    /// Either side: free slots (exact for the producer, a lower bound for others).
    std::size_t writeSpace() const { return capacity_ - readAvailable(); }

    /// Only while no producer or consumer is running.
    void reset() {
        readIndex_.store(0, std::memory_order_relaxed);
        writeIndex_.store(0, std::memory_order_relaxed);
    }

  private:
    std::size_t capacity_ = 0;
    std::size_t mask_ = 0;
    std::unique_ptr<T[]> data_;
    // Separate cache lines so producer and consumer do not false-share.
    alignas(64) std::atomic<std::size_t> readIndex_{0};
    alignas(64) std::atomic<std::size_t> writeIndex_{0};
};

} // namespace moodsteer
