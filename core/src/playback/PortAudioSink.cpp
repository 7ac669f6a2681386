// The PortAudio output. The stream callback hands the sample block to the AudioRenderer and
// does nothing else (stereo devices get the mono block duplicated from a preallocated buffer).
// Once a JACK stream has died with its server (see close()), PortAudio is stuck for the rest
// of the process; every later call goes to a direct libjack client (JackSink.h) instead.
#include "core/playback/AudioPlayer.h"

#include "JackSink.h"

#include <portaudio.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace moodsteer {

namespace {

class PortAudioSink final : public AudioSink {
  public:
    PortAudioSink() {
        if (stuck().load()) { // an earlier sink of this process abandoned a JACK stream
            abandoned_ = true;
            jack_ = makeJackSink();
            return;
        }
        const PaError err = Pa_Initialize();
        initialised_ = err == paNoError;
        if (!initialised_) initError_ = Pa_GetErrorText(err);
    }
    ~PortAudioSink() override {
        stop();
        close();
        jack_.reset();
        // Pa_Terminate would close an abandoned JACK stream (see close()) and abort.
        if (initialised_ && !abandoned_) Pa_Terminate();
        if (!abandoned_) delete shared_; // else its stream may still call back: leaked
    }

    std::vector<AudioOutputDevice> devices() override {
        if (abandoned_) return jack_->devices();
        std::vector<AudioOutputDevice> out;
        if (!initialised_) return out;
        const PaDeviceIndex def = Pa_GetDefaultOutputDevice();
        const int count = Pa_GetDeviceCount();
        for (int i = 0; i < count; ++i) {
            const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
            if (!info || info->maxOutputChannels <= 0) continue;
            const PaHostApiInfo* host = Pa_GetHostApiInfo(info->hostApi);
            AudioOutputDevice d;
            d.index = i;
            d.name = std::string(info->name) + (host ? std::string(" (") + host->name + ")" : "");
            d.defaultSampleRate = info->defaultSampleRate;
            d.isDefault = i == def;
            out.push_back(d);
        }
        return out;
    }

    int open(int index, int preferredRate, AudioRenderer* renderer) override {
        close();
        if (abandoned_) {
            try {
                return jack_->open(index, preferredRate, renderer);
            } catch (const AudioDeviceError& e) {
                throw AudioDeviceError(std::string("the JACK server went away during playback; "
                                                   "waiting for it to return (") +
                                       e.what() + ")");
            }
        }
        if (!initialised_) throw AudioDeviceError("audio system unavailable: " + initError_);
        dead_ = false;
        const PaDeviceIndex device = index >= 0 ? index : Pa_GetDefaultOutputDevice();
        const PaDeviceInfo* info = device == paNoDevice ? nullptr : Pa_GetDeviceInfo(device);
        if (!info || info->maxOutputChannels <= 0)
            throw AudioDeviceError(index >= 0 ? "audio device " + std::to_string(index) +
                                                    " is not an output device"
                                              : "no audio output device found");
        channels_ = std::min(2, info->maxOutputChannels);
        shared_->channels.store(channels_, std::memory_order_relaxed);
        PaStreamParameters params{};
        params.device = device;
        params.channelCount = channels_;
        params.sampleFormat = paFloat32;
        params.suggestedLatency = info->defaultLowOutputLatency;
        // The clip's rate when the device takes it (no resampling), else the device's own.
        double rate = preferredRate;
        if (Pa_IsFormatSupported(nullptr, &params, rate) != paFormatIsSupported)
            rate = info->defaultSampleRate;
        shared_->renderer.store(renderer, std::memory_order_release);
        const PaError err = Pa_OpenStream(&stream_, nullptr, &params, rate, 256, paClipOff,
                                          &PortAudioSink::callback, shared_);
        if (err != paNoError) {
            stream_ = nullptr;
            throw AudioDeviceError(std::string("cannot open audio device \"") + info->name +
                                   "\": " + Pa_GetErrorText(err));
        }
        name_ = info->name;
        const PaHostApiInfo* host = Pa_GetHostApiInfo(info->hostApi);
        onJack_ = host && host->type == paJACK;
        return static_cast<int>(rate);
    }

    void start() override {
        if (abandoned_) return jack_->start();
        if (!stream_) return;
        const PaError err = Pa_StartStream(stream_);
        if (err != paNoError)
            throw AudioDeviceError(std::string("cannot start audio stream: ") +
                                   Pa_GetErrorText(err));
        running_ = true;
        seenCallbacks_ = shared_->callbacks.load();
        lastProgress_ = std::chrono::steady_clock::now();
    }
    void stop() override {
        if (abandoned_) return jack_->stop();
        if (stream_ && running_) {
            // Stop waits until the callback has returned; a stream whose device is gone has
            // no callback left to wait for, so it is aborted instead. A JACK stream whose server
            // died still reads as active and both calls wait for ever: it is left alone.
            if (!dead_ && Pa_IsStreamActive(stream_) != 1) dead_ = true;
            if (!dead_)
                Pa_StopStream(stream_);
            else if (!onJack_)
                Pa_AbortStream(stream_);
        }
        running_ = false;
    }
    void close() override {
        if (abandoned_) return jack_->close();
        if (stream_) {
            if (onJack_ && (dead_ || !failure().empty())) {
                // Debian's PortAudio asserts (abort()) when it unregisters the ports of a JACK
                // stream whose server is gone (pa_jack.c CleanUpStream). Such a stream is
                // abandoned instead: a little memory, and no reinitialisation of PortAudio
                // (which would close it) for the rest of the process.
                abandoned_ = true;
                stuck().store(true);
                jack_ = makeJackSink();
                shared_->renderer.store(nullptr, std::memory_order_release);
                running_ = false;
                stream_ = nullptr;
                name_.clear();
                return;
            }
            stop();
            Pa_CloseStream(stream_);
            stream_ = nullptr;
        }
        name_.clear();
    }
    bool isRunning() const override { return abandoned_ ? jack_->isRunning() : running_.load(); }
    std::string deviceName() const override { return abandoned_ ? jack_->deviceName() : name_; }

    std::string failure() const override {
        if (abandoned_) return jack_->failure();
        if (!stream_ || !running_) return {};
        const PaError active = Pa_IsStreamActive(stream_);
        if (active < 0) {
            dead_ = true;
            return std::string("audio stream error: ") + Pa_GetErrorText(active);
        }
        if (active == 0) {
            dead_ = true;
            return "the audio device stopped (unplugged, or its sound server quit)";
        }
        // Active but silent: a JACK server that was killed, a USB device that vanished
        // mid-callback. The callback counts its calls; no progress for 2 s is a dead device.
        const auto now = std::chrono::steady_clock::now();
        const std::uint64_t calls = shared_->callbacks.load(std::memory_order_relaxed);
        if (calls != seenCallbacks_) {
            seenCallbacks_ = calls;
            lastProgress_ = now;
            return {};
        }
        if (now - lastProgress_ > std::chrono::seconds(2)) {
            dead_ = true;
            return "the audio device stopped responding";
        }
        return {};
    }

    void rescan() override {
        if (stream_ || abandoned_) return;
        if (initialised_) Pa_Terminate();
        const PaError err = Pa_Initialize();
        initialised_ = err == paNoError;
        initError_ = initialised_ ? std::string() : Pa_GetErrorText(err);
    }

  private:
    // PortAudio is process-wide: once a JACK stream is abandoned it stays initialised with it
    // for good, so every later sink of the process goes straight to the direct JACK client.
    static std::atomic<bool>& stuck() {
        static std::atomic<bool> flag{false};
        return flag;
    }

    static int callback(const void*, void* output, unsigned long frames,
                        const PaStreamCallbackTimeInfo*, PaStreamCallbackFlags, void* user) {
        auto* shared = static_cast<Shared*>(user);
        auto* out = static_cast<float*>(output);
        shared->callbacks.fetch_add(1, std::memory_order_relaxed);
        const int channels = shared->channels.load(std::memory_order_relaxed);
        AudioRenderer* renderer = shared->renderer.load(std::memory_order_acquire);
        if (!renderer) { // an abandoned stream whose callback came back: silence
            std::fill(out, out + frames * static_cast<unsigned long>(channels), 0.0f);
            return paContinue;
        }
        if (channels == 1) {
            renderer->render(out, frames);
            return paContinue;
        }
        unsigned long done = 0;
        while (done < frames) {
            const unsigned long n = std::min<unsigned long>(frames - done, kMonoBlock);
            renderer->render(shared->mono, n);
            for (unsigned long i = 0; i < n; ++i)
                for (int c = 0; c < channels; ++c)
                    out[(done + i) * channels + c] = shared->mono[i];
            done += n;
        }
        return paContinue;
    }

    static constexpr unsigned long kMonoBlock = 1024;
    // What the callback touches. Separate from the sink so that it can outlive it: an
    // abandoned JACK stream (see close()) keeps its callback registered for ever.
    struct Shared {
        std::atomic<AudioRenderer*> renderer{nullptr};
        std::atomic<int> channels{1};
        std::atomic<std::uint64_t> callbacks{0}; // liveness for failure()
        float mono[kMonoBlock] = {};
    };
    Shared* shared_ = new Shared;
    bool initialised_ = false;
    std::string initError_;
    PaStream* stream_ = nullptr;
    int channels_ = 1;
    std::atomic<bool> running_{false};
    bool onJack_ = false;             // the open stream is on PortAudio's JACK host API
    bool abandoned_ = false;          // a dead JACK stream was left open (see close())
    std::unique_ptr<AudioSink> jack_; // after abandonment: the direct JACK client
    mutable bool dead_ = false;       // the open stream's device is gone (control thread only)
    mutable std::uint64_t seenCallbacks_ = 0;
    mutable std::chrono::steady_clock::time_point lastProgress_{};
    std::string name_;
};

} // namespace

std::unique_ptr<AudioSink> makePortAudioSink() {
    return std::make_unique<PortAudioSink>();
}

std::string playbackBackendVersion() {
    return Pa_GetVersionText();
}

} // namespace moodsteer
