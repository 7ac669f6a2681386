// Playback of clips (whole or still being generated) through an audio output: a realtime
// callback that only reads a lock-free ring buffer, fed by a non-realtime feeder thread.
// Torch-free and Qt-free so that the studio and the tests can use it directly.
//
// Threads: every public method except render() is for one control thread (the GUI);
// render() is the realtime callback (called by the AudioSink): no locks, allocation,
// logging or exceptions. position(), state(), takePeak() and underruns() read atomics only.
#pragma once

#include "core/audio/AudioBuffer.h"
#include "core/playback/SpscRingBuffer.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace moodsteer {

class AudioDeviceError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct AudioOutputDevice {
    int index = -1; ///< backend's device index
    std::string name;
    double defaultSampleRate = 0;
    bool isDefault = false;
};

/// What a sink calls from its realtime thread.
class AudioRenderer {
  public:
    virtual ~AudioRenderer() = default;
    /// Fill `frames` mono samples. Realtime-safe.
    virtual void render(float* out, std::size_t frames) noexcept = 0;
};

/// An audio output (PortAudio in the studio, an offline sink in tests).
class AudioSink {
  public:
    virtual ~AudioSink() = default;
    virtual std::vector<AudioOutputDevice> devices() = 0;
    /// Opens device `index` (-1: the default) as a mono float stream, preferring
    /// `preferredRate`; returns the rate actually used. Throws AudioDeviceError with a
    /// user-readable reason (e.g. "no audio output device").
    virtual int open(int index, int preferredRate, AudioRenderer* renderer) = 0;
    virtual void start() = 0; ///< begin calling renderer->render() periodically
    virtual void stop() = 0;  ///< after return, render() is not running and will not be called
    virtual void close() = 0;
    virtual bool isRunning() const = 0;
    virtual std::string deviceName() const = 0;
    /// Why the started stream has died (device unplugged, sound server gone, callback stalled),
    /// or "" while it works. Control thread; polled by AudioPlayer::checkDevice().
    virtual std::string failure() const { return {}; }
    /// Refreshes the backend's device list (PortAudio only sees devices present when it was
    /// initialised). Called with no stream open, before a retry.
    virtual void rescan() {}
};

/// The PortAudio output (JACK, ALSA, ... as Debian's PortAudio provides).
std::unique_ptr<AudioSink> makePortAudioSink();
/// PortAudio's version text (for the About box).
std::string playbackBackendVersion();

class AudioPlayer final : private AudioRenderer {
  public:
    enum class State { Stopped, Playing, Paused };

    /// nullptr: PortAudio. The device is not opened until openDevice().
    explicit AudioPlayer(std::unique_ptr<AudioSink> sink = nullptr);
    ~AudioPlayer() override;
    AudioPlayer(const AudioPlayer&) = delete;
    AudioPlayer& operator=(const AudioPlayer&) = delete;

    std::vector<AudioOutputDevice> devices();
    /// Opens (or switches to) an output device, -1 = default. Returns false and keeps a
    /// readable reason in deviceError() when it cannot: the player then has no device,
    /// transport calls still work (positions, clips), they are just silent.
    bool openDevice(int index = -1);
    void closeDevice();
    bool hasDevice() const { return hasDevice_; }
    std::string deviceError() const;
    std::string deviceName() const;
    int deviceSampleRate() const { return deviceRate_; }

    enum class DeviceChange { None, Lost, Recovered };
    /// Call from the control thread about once a second (TransportPanel's timer does).
    /// A device that died while open (sink failure()) is closed: the player becomes deviceless
    /// and Stopped with its position kept, deviceError() says what happened -> Lost. While
    /// there is no device, every retry interval the backend is rescanned and the last
    /// requested device (else the default) reopened -> Recovered when that works. Clips,
    /// streams and positions are untouched throughout, so generation and export go on.
    DeviceChange checkDevice();
    /// Seconds between reopen attempts while deviceless (default 2; tests use less).
    void setDeviceRetryInterval(double seconds) { retrySeconds_ = seconds; }

    /// A finished clip. With `keepPosition` the play position (seconds) is kept and the
    /// playing state is unchanged: A/B switching.
    void setClip(AudioBuffer clip, bool keepPosition = false);
    /// A clip that is still being generated: append chunks, then endStream().
    void beginStream(int sampleRate);
    void appendStream(const float* samples, std::size_t count);
    void endStream();
    void clearClip();

    /// Returns false when there is nothing to play or no device (see deviceError()).
    bool play();
    void pause();
    void stop(); ///< stops and rewinds to 0
    void seek(double seconds);
    void setLoop(bool loop);
    bool loop() const { return loop_.load(); }
    /// While looping, repeat [begin, end) seconds of the clip instead of the whole clip: a
    /// play position before `end` wraps from `end` to `begin`, one after it plays to the
    /// clip's end and then wraps to `begin`. The position heard is kept. `end` may lie beyond
    /// the audio generated so far (a session still streaming): the loop closes when it
    /// arrives. begin == end clears the region (so does a new clip, not an A/B switch).
    /// Throws std::invalid_argument for a non-finite or negative time or end < begin.
    void setLoopRegion(double beginSeconds, double endSeconds);
    /// {begin, end}; {0, 0} when there is none.
    std::pair<double, double> loopRegion() const { return {loopBegin_.load(), loopEnd_.load()}; }

    State state() const { return state_.load(); }
    double position() const;     ///< seconds into the clip being heard
    double duration() const;     ///< seconds of audio known so far
    bool streamFinished() const; ///< the clip is complete (not still being generated)
    /// The highest |sample| output since the last call (for a level meter).
    float takePeak() { return peak_.exchange(0.0f); }
    std::uint64_t underruns() const { return underruns_.load(); }
    /// Device frames of silence the callback output because the ring ran dry while a clip
    /// was playing (what underruns() counts, in frames: the length of the gaps heard).
    std::uint64_t underrunFrames() const { return underrunFrames_.load(); }
    /// Device frames queued for the callback (diagnostics and tests).
    std::size_t bufferedFrames() const { return ring_.readAvailable(); }

    void render(float* out, std::size_t frames) noexcept override;

  private:
    void feederLoop();
    void fillRing(std::unique_lock<std::mutex>& lock);
    void requestFlush(double seconds); // mutex held
    double clipSeconds(double devFrames) const;
    /// Debug builds check the thread contract: control calls come from the creating thread.
    void assertControlThread() const;

    std::unique_ptr<AudioSink> sink_;
    std::atomic<bool> hasDevice_{false};
    int wantedDevice_ = -1; // what openDevice() was last asked for
    double retrySeconds_ = 2.0;
    std::chrono::steady_clock::time_point lastAttempt_{};
    std::string deviceError_;
    int deviceRate_ = 0;

    // Control state, guarded by mutex_ (non-realtime side only).
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<float> clip_;
    int clipRate_ = 32000;
    // The feeder's next clip sample is readBase_ + readCount_ * clipRate_ / deviceRate_,
    // computed from a count (not accumulated) so a resampled clip ends on the exact frame.
    double readBase_ = 0;
    std::uint64_t readCount_ = 0;
    double readPos() const;
    bool atEnd_ = false; // reached the end: next play() restarts from 0
    bool quit_ = false;
    std::vector<float> scratch_;

    // Shared with the callback.
    SpscRingBuffer<float> ring_;
    std::atomic<State> state_{State::Stopped};
    std::atomic<bool> loop_{false};
    std::atomic<std::uint32_t> flushGen_{0};   // bumped by control on seek/clip change
    std::atomic<std::uint32_t> flushAck_{0};   // set by the callback once it has flushed
    std::atomic<std::uint32_t> primedGen_{0};  // feeder wrote data for this generation
    std::atomic<std::uint32_t> feedEndGen_{0}; // feeder wrote the last sample of this gen
    std::atomic<std::uint32_t> endGen_{0};     // callback drained the last sample of this gen
    std::atomic<double> segmentStart_{0};      // clip seconds at the start of this generation
    std::atomic<std::uint64_t> consumed_{0};   // device frames output since the last flush
    std::atomic<double> clipSeconds_{0};
    std::atomic<bool> clipFinal_{true}; // written under mutex_, read by position()
    std::atomic<double> ratio_{1.0};    // clip samples per device frame
    // The loop region in clip seconds (end <= begin: none); written under mutex_.
    std::atomic<double> loopBegin_{0};
    std::atomic<double> loopEnd_{0};
    std::atomic<float> peak_{0.0f};
    std::atomic<std::uint64_t> underruns_{0};
    std::atomic<std::uint64_t> underrunFrames_{0};

    std::thread feeder_;
    std::thread::id controlThread_ = std::this_thread::get_id();
};

} // namespace moodsteer
