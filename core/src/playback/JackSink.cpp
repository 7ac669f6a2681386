// A JACK client of our own, for the one case PortAudio cannot handle: its JACK stream died
// with the server, and Debian's PortAudio can neither close that stream (an assert() in
// pa_jack.c aborts the process) nor reinitialise while it is open. libjack itself survives a
// dead server: the client is told through its shutdown callback and can be closed and a new
// one opened when a server is back, all in this process (JackSink.h).
#include "JackSink.h"

#include <jack/jack.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>

namespace moodsteer {

namespace {

constexpr int kChannels = 2; // mono duplicated to a stereo pair, as PortAudioSink does

// libjack prints "Cannot connect to server socket" and the like to stderr on every failed
// open; a rescan every few seconds while no server runs would flood the terminal. The
// failure is reported through the sink's own error instead.
void quiet(const char*) {}
void silenceLibjack() {
    jack_set_error_function(quiet);
    jack_set_info_function(quiet);
}

class JackSink final : public AudioSink {
  public:
    ~JackSink() override { close(); }

    std::vector<AudioOutputDevice> devices() override {
        // A probe client: whether a server runs, and at which rate.
        silenceLibjack();
        jack_status_t status{};
        jack_client_t* probe = jack_client_open("moodsteer-probe", JackNoStartServer, &status);
        if (!probe) return {};
        AudioOutputDevice d;
        d.index = 0;
        d.name = "JACK (direct)";
        d.defaultSampleRate = jack_get_sample_rate(probe);
        d.isDefault = true;
        jack_client_close(probe);
        return {d};
    }

    int open(int index, int /*preferredRate: JACK runs at the server's rate*/,
             AudioRenderer* renderer) override {
        close();
        if (index > 0) throw AudioDeviceError("JACK has one output here (device 0)");
        silenceLibjack();
        jack_status_t status{};
        client_ = jack_client_open("moodsteer", JackNoStartServer, &status);
        if (!client_) throw AudioDeviceError("no JACK server is running");
        state_.dead.store(false);
        state_.callbacks.store(0);
        state_.renderer.store(renderer, std::memory_order_release);
        for (int c = 0; c < kChannels; ++c) {
            const std::string name = "out_" + std::to_string(c + 1);
            ports_[c] = jack_port_register(client_, name.c_str(), JACK_DEFAULT_AUDIO_TYPE,
                                           JackPortIsOutput, 0);
            if (!ports_[c]) {
                close();
                throw AudioDeviceError("cannot register the JACK output port " + name);
            }
            state_.ports[c] = ports_[c];
        }
        jack_set_process_callback(client_, &JackSink::process, &state_);
        jack_on_shutdown(client_, &JackSink::shutdown, &state_);
        name_ = std::string("JACK (") + jack_get_client_name(client_) + ")";
        return static_cast<int>(jack_get_sample_rate(client_));
    }

    void start() override {
        if (!client_) return;
        if (jack_activate(client_) != 0) throw AudioDeviceError("cannot activate the JACK client");
        running_ = true;
        seenCallbacks_ = state_.callbacks.load();
        lastProgress_ = std::chrono::steady_clock::now();
        // To the first physical playback ports, as a desktop player would; without any (a
        // server with no hardware) the ports stay for the user to connect.
        if (const char** targets = jack_get_ports(client_, nullptr, JACK_DEFAULT_AUDIO_TYPE,
                                                  JackPortIsPhysical | JackPortIsInput)) {
            for (int c = 0; c < kChannels && targets[c]; ++c)
                jack_connect(client_, jack_port_name(ports_[c]), targets[c]);
            jack_free(targets);
        }
    }
    void stop() override {
        // Deactivating returns once the process callback has finished; a dead server has no
        // callback left (and libjack answers at once with an error).
        if (client_ && running_ && !state_.dead.load()) jack_deactivate(client_);
        running_ = false;
    }
    void close() override {
        if (!client_) return;
        stop();
        state_.renderer.store(nullptr, std::memory_order_release);
        // Closing a client whose server died is what libjack asks for (not from within the
        // shutdown callback); it frees the client without talking to the server.
        jack_client_close(client_);
        client_ = nullptr;
        ports_[0] = ports_[1] = nullptr;
        name_.clear();
    }
    bool isRunning() const override { return running_; }
    std::string deviceName() const override { return name_; }

    std::string failure() const override {
        if (!client_ || !running_) return {};
        if (state_.dead.load()) return "the JACK server went away";
        const auto now = std::chrono::steady_clock::now();
        const std::uint64_t calls = state_.callbacks.load(std::memory_order_relaxed);
        if (calls != seenCallbacks_) {
            seenCallbacks_ = calls;
            lastProgress_ = now;
            return {};
        }
        if (now - lastProgress_ > std::chrono::seconds(2))
            return "the JACK server stopped responding";
        return {};
    }

  private:
    // What the realtime thread touches (no locks, no allocation).
    struct State {
        std::atomic<AudioRenderer*> renderer{nullptr};
        std::atomic<bool> dead{false};
        std::atomic<std::uint64_t> callbacks{0};
        jack_port_t* ports[kChannels] = {};
    };

    static int process(jack_nframes_t frames, void* arg) {
        auto* s = static_cast<State*>(arg);
        s->callbacks.fetch_add(1, std::memory_order_relaxed);
        auto* first = static_cast<float*>(jack_port_get_buffer(s->ports[0], frames));
        AudioRenderer* renderer = s->renderer.load(std::memory_order_acquire);
        if (renderer)
            renderer->render(first, frames);
        else
            std::fill(first, first + frames, 0.0f);
        for (int c = 1; c < kChannels; ++c)
            std::memcpy(jack_port_get_buffer(s->ports[c], frames), first, frames * sizeof(float));
        return 0;
    }
    // libjack's thread, after the server is gone: only a flag.
    static void shutdown(void* arg) { static_cast<State*>(arg)->dead.store(true); }

    jack_client_t* client_ = nullptr;
    jack_port_t* ports_[kChannels] = {};
    State state_;
    std::atomic<bool> running_{false};
    mutable std::uint64_t seenCallbacks_ = 0;
    mutable std::chrono::steady_clock::time_point lastProgress_{};
    std::string name_;
};

} // namespace

std::unique_ptr<AudioSink> makeJackSink() {
    return std::make_unique<JackSink>();
}

} // namespace moodsteer
