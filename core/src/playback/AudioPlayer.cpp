#include "core/playback/AudioPlayer.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cmath>
#include <pthread.h>

namespace moodsteer {

namespace {
constexpr std::size_t kRingCapacity = 16384;
// How far ahead the feeder keeps the ring filled: long enough to ride out the feeder thread
// not being scheduled for a while on a loaded machine (80 ms was not, at load 6-10 on 2
// cores). A seek or an A/B switch discards the ring, so the lead adds no latency to them.
constexpr double kAheadSeconds = 0.25;
constexpr auto kFeederPeriod = std::chrono::milliseconds(2);
} // namespace

AudioPlayer::AudioPlayer(std::unique_ptr<AudioSink> sink)
    : sink_(sink ? std::move(sink) : makePortAudioSink()), ring_(kRingCapacity) {
    scratch_.resize(kRingCapacity);
    feeder_ = std::thread([this] { feederLoop(); });
    // Named so that per-thread CPU figures (bench-stream, top -H) can tell it apart.
    pthread_setname_np(feeder_.native_handle(), "audio-feeder");
}

AudioPlayer::~AudioPlayer() {
    {
        std::lock_guard lock(mutex_);
        quit_ = true;
    }
    wake_.notify_all();
    feeder_.join();
    if (sink_) {
        sink_->stop();
        sink_->close();
    }
}

std::vector<AudioOutputDevice> AudioPlayer::devices() {
    try {
        return sink_->devices();
    } catch (const std::exception&) {
        return {};
    }
}

bool AudioPlayer::openDevice(int index) {
    assertControlThread();
    std::lock_guard lock(mutex_);
    wantedDevice_ = index;
    lastAttempt_ = std::chrono::steady_clock::now();
    const double keep = position();
    sink_->stop(); // from here on render() is not running: the ring may be reset directly
    sink_->close();
    hasDevice_ = false;
    deviceRate_ = 0;
    try {
        deviceRate_ = sink_->open(index, clipRate_, this);
        deviceError_.clear();
        hasDevice_ = true;
    } catch (const std::exception& e) {
        deviceError_ = e.what();
        state_ = State::Stopped;
    }
    ratio_ = deviceRate_ > 0 ? static_cast<double>(clipRate_) / deviceRate_ : 1.0;
    requestFlush(keep);
    if (hasDevice_) {
        try {
            sink_->start();
        } catch (const std::exception& e) {
            deviceError_ = e.what();
            sink_->close();
            hasDevice_ = false;
            state_ = State::Stopped;
        }
    }
    wake_.notify_all();
    return hasDevice_;
}

AudioPlayer::DeviceChange AudioPlayer::checkDevice() {
    assertControlThread();
    if (hasDevice_) {
        std::string why;
        try {
            why = sink_->failure();
        } catch (const std::exception& e) {
            why = e.what();
        }
        if (why.empty()) return DeviceChange::None;
        const int wanted = wantedDevice_;
        closeDevice(); // keeps the position; the clip and any stream stay loaded
        std::lock_guard lock(mutex_);
        wantedDevice_ = wanted;
        deviceError_ = "audio device lost: " + why;
        lastAttempt_ = std::chrono::steady_clock::now();
        return DeviceChange::Lost;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - lastAttempt_ < std::chrono::duration<double>(retrySeconds_))
        return DeviceChange::None;
    const int wanted = wantedDevice_;
    try {
        sink_->rescan();
    } catch (const std::exception&) {
    }
    // Device indices may change after a rescan: fall back to the default device.
    bool ok = openDevice(wanted);
    if (!ok && wanted != -1) ok = openDevice(-1);
    wantedDevice_ = wanted;
    lastAttempt_ = std::chrono::steady_clock::now();
    return ok ? DeviceChange::Recovered : DeviceChange::None;
}

void AudioPlayer::closeDevice() {
    assertControlThread();
    std::lock_guard lock(mutex_);
    const double keep = position();
    sink_->stop();
    sink_->close();
    hasDevice_ = false;
    deviceRate_ = 0;
    ratio_ = 1.0;
    state_ = State::Stopped;
    requestFlush(keep);
}

std::string AudioPlayer::deviceError() const {
    std::lock_guard lock(mutex_);
    return deviceError_;
}

std::string AudioPlayer::deviceName() const {
    std::lock_guard lock(mutex_);
    return hasDevice_ ? sink_->deviceName() : std::string();
}

void AudioPlayer::setClip(AudioBuffer clip, bool keepPosition) {
    assertControlThread();
    std::lock_guard lock(mutex_);
    const double keep = keepPosition ? position() : 0.0;
    clip_ = std::move(clip.samples);
    clipRate_ = clip.sampleRate > 0 ? clip.sampleRate : 32000;
    clipFinal_ = true;
    clipSeconds_ = static_cast<double>(clip_.size()) / clipRate_;
    ratio_ = deviceRate_ > 0 ? static_cast<double>(clipRate_) / deviceRate_ : 1.0;
    if (!keepPosition) {
        state_ = State::Stopped;
        loopBegin_ = loopEnd_ = 0.0;
    }
    requestFlush(std::min(keep, clipSeconds_.load()));
}

void AudioPlayer::beginStream(int sampleRate) {
    assertControlThread();
    std::lock_guard lock(mutex_);
    clip_.clear();
    clipRate_ = sampleRate > 0 ? sampleRate : 32000;
    clipFinal_ = false;
    clipSeconds_ = 0.0;
    ratio_ = deviceRate_ > 0 ? static_cast<double>(clipRate_) / deviceRate_ : 1.0;
    state_ = State::Stopped;
    loopBegin_ = loopEnd_ = 0.0;
    requestFlush(0.0);
}

void AudioPlayer::appendStream(const float* samples, std::size_t count) {
    assertControlThread();
    {
        std::lock_guard lock(mutex_);
        clip_.insert(clip_.end(), samples, samples + count);
        clipSeconds_ = static_cast<double>(clip_.size()) / clipRate_;
    }
    wake_.notify_all();
}

void AudioPlayer::endStream() {
    assertControlThread();
    std::lock_guard lock(mutex_);
    clipFinal_ = true;
    // Everything may already be queued: then the feeder will write nothing more, so the end
    // is marked here, or the callback would take the last short block for an underrun.
    if (!loop_ && readPos() >= static_cast<double>(clip_.size()))
        feedEndGen_.store(flushGen_.load(), std::memory_order_release);
    wake_.notify_all();
}

void AudioPlayer::clearClip() {
    setClip(AudioBuffer{clipRate_, {}});
}

bool AudioPlayer::streamFinished() const {
    return clipFinal_.load();
}

bool AudioPlayer::play() {
    assertControlThread();
    std::lock_guard lock(mutex_);
    if (!hasDevice_ || (clip_.empty() && clipFinal_)) return false;
    if (atEnd_) {
        atEnd_ = false;
        requestFlush(0.0);
    }
    state_ = State::Playing;
    wake_.notify_all();
    return true;
}

void AudioPlayer::pause() {
    assertControlThread();
    if (state_ == State::Playing) state_ = State::Paused;
}

void AudioPlayer::stop() {
    assertControlThread();
    std::lock_guard lock(mutex_);
    state_ = State::Stopped;
    requestFlush(0.0);
}

void AudioPlayer::seek(double seconds) {
    assertControlThread();
    std::lock_guard lock(mutex_);
    requestFlush(std::clamp(seconds, 0.0, clipSeconds_.load()));
}

void AudioPlayer::setLoop(bool loop) {
    assertControlThread();
    std::lock_guard lock(mutex_);
    if (loop == loop_) return;
    // Re-anchor at the position being heard so that the position arithmetic (which folds
    // looped passes) stays right when looping is switched while playing.
    const double keep = position();
    loop_ = loop;
    requestFlush(keep);
}

void AudioPlayer::setLoopRegion(double beginSeconds, double endSeconds) {
    assertControlThread();
    if (!std::isfinite(beginSeconds) || !std::isfinite(endSeconds) || beginSeconds < 0 ||
        endSeconds < beginSeconds)
        throw std::invalid_argument("loop region [" + std::to_string(beginSeconds) + ", " +
                                    std::to_string(endSeconds) +
                                    ") s: times must be finite, >= 0 and in order");
    std::lock_guard lock(mutex_);
    const double keep = position(); // re-anchored, as in setLoop()
    const bool none = endSeconds == beginSeconds;
    loopBegin_ = none ? 0.0 : beginSeconds;
    loopEnd_ = none ? 0.0 : endSeconds;
    requestFlush(keep);
}

void AudioPlayer::assertControlThread() const {
    assert(std::this_thread::get_id() == controlThread_ &&
           "AudioPlayer control methods belong to the thread that created it");
}

double AudioPlayer::clipSeconds(double devFrames) const {
    return devFrames * ratio_.load() / std::max(1, clipRate_);
}

double AudioPlayer::position() const {
    const double start = segmentStart_.load();
    if (flushAck_.load() != flushGen_.load()) return start;
    const double total = clipSeconds_.load();
    double p = start + clipSeconds(static_cast<double>(consumed_.load()));
    const bool final = clipFinal_;
    const double begin = loopBegin_.load(),
                 end = final ? std::min(loopEnd_.load(), total) : loopEnd_.load();
    if (loop_ && end > begin && end <= total) {
        // Mirrors fillRing(): a pass that starts before the region's end wraps there, one that
        // starts after it wraps at the clip's end; both go on inside the region.
        const double wrapAt = start < end ? end : (final ? total : -1.0);
        if (wrapAt >= 0 && p >= wrapAt) p = begin + std::fmod(p - wrapAt, end - begin);
    } else if (loop_ && final && total > 0) {
        p = std::fmod(p, total);
    }
    return std::min(p, total);
}

double AudioPlayer::duration() const {
    return clipSeconds_.load();
}

void AudioPlayer::requestFlush(double seconds) {
    // mutex_ held. The feeder writes nothing for the new generation until the callback has
    // acknowledged it (and discarded what the ring held), so no stale audio is heard.
    const std::uint32_t gen = flushGen_.load() + 1;
    segmentStart_ = seconds;
    readBase_ = seconds * clipRate_;
    readCount_ = 0;
    atEnd_ = false;
    flushGen_.store(gen, std::memory_order_release);
    if (!sink_->isRunning()) { // no consumer: flush on its behalf
        ring_.reset();
        consumed_ = 0;
        flushAck_.store(gen, std::memory_order_release);
    }
    wake_.notify_all();
}

void AudioPlayer::render(float* out, std::size_t frames) noexcept {
    const std::uint32_t gen = flushGen_.load(std::memory_order_acquire);
    if (gen != flushAck_.load(std::memory_order_relaxed)) {
        ring_.discardAll();
        consumed_.store(0, std::memory_order_relaxed);
        flushAck_.store(gen, std::memory_order_release);
    }
    std::size_t got = 0;
    if (state_.load(std::memory_order_acquire) == State::Playing &&
        endGen_.load(std::memory_order_relaxed) != gen) {
        got = ring_.read(out, frames);
        consumed_.fetch_add(got, std::memory_order_relaxed);
        if (got < frames) {
            if (feedEndGen_.load(std::memory_order_acquire) == gen && ring_.readAvailable() == 0)
                endGen_.store(gen, std::memory_order_release);
            else if (primedGen_.load(std::memory_order_acquire) == gen) {
                underruns_.fetch_add(1, std::memory_order_relaxed);
                underrunFrames_.fetch_add(frames - got, std::memory_order_relaxed);
            }
        }
    }
    float blockPeak = 0.0f;
    for (std::size_t i = 0; i < got; ++i)
        blockPeak = std::max(blockPeak, std::fabs(out[i]));
    std::fill(out + got, out + frames, 0.0f);
    float current = peak_.load(std::memory_order_relaxed);
    while (blockPeak > current && !peak_.compare_exchange_weak(current, blockPeak)) {
    }
}

void AudioPlayer::fillRing(std::unique_lock<std::mutex>&) {
    const std::uint32_t gen = flushGen_.load();
    const std::size_t target = std::min<std::size_t>(
        ring_.capacity(),
        std::max<std::size_t>(1024, static_cast<std::size_t>(deviceRate_ * kAheadSeconds)));
    const std::size_t have = ring_.readAvailable();
    if (have >= target) return;
    const std::size_t want = std::min(target - have, scratch_.size());
    const double size = static_cast<double>(clip_.size());
    std::size_t n = 0;
    bool ended = false;
    // A loop region in clip samples; it is closed once its end has been generated.
    const double regionBegin = loopBegin_ * clipRate_;
    double regionEnd = loopEnd_ * clipRate_;
    if (clipFinal_) regionEnd = std::min(regionEnd, size);
    const bool region = loop_ && regionEnd > regionBegin;
    while (n < want) {
        const double pos = readPos();
        if (region && readBase_ < regionEnd && pos >= regionEnd && regionEnd <= size) {
            readBase_ = regionBegin + (pos - regionEnd);
            readCount_ = 0;
            continue;
        }
        if (pos >= size) {
            if (!clipFinal_) break; // wait for the generator
            if (loop_ && size > 0) {
                readBase_ = (region ? regionBegin : 0.0) + (pos - size);
                readCount_ = 0;
                continue;
            }
            ended = true;
            break;
        }
        const auto i0 = static_cast<std::size_t>(pos);
        const double frac = pos - static_cast<double>(i0);
        float value = clip_[i0];
        if (frac > 0) {
            float next = value;
            if (i0 + 1 < clip_.size())
                next = clip_[i0 + 1];
            else if (!clipFinal_)
                break; // the interpolation partner is not generated yet
            else if (loop_)
                next = clip_[0];
            value += static_cast<float>(frac) * (next - value);
        }
        scratch_[n++] = value;
        ++readCount_;
    }
    if (n > 0) {
        ring_.write(scratch_.data(), n);
        primedGen_.store(gen, std::memory_order_release);
    }
    if (ended) feedEndGen_.store(gen, std::memory_order_release);
}

double AudioPlayer::readPos() const {
    const double count = static_cast<double>(readCount_);
    return readBase_ + (deviceRate_ > 0 ? count * clipRate_ / deviceRate_ : count);
}

void AudioPlayer::feederLoop() {
    std::unique_lock lock(mutex_);
    while (!quit_) {
        const std::uint32_t gen = flushGen_.load();
        if (hasDevice_ && flushAck_.load(std::memory_order_acquire) == gen) {
            fillRing(lock);
            if (endGen_.load(std::memory_order_acquire) == gen && state_ == State::Playing) {
                state_ = State::Stopped;
                atEnd_ = true;
            }
        }
        // Poll fast only while the callback is draining the ring.
        wake_.wait_for(lock, state_ == State::Playing ? kFeederPeriod : 10 * kFeederPeriod);
    }
}

} // namespace moodsteer
