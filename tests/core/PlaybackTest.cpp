// AudioPlayer without a sound card: an offline sink whose render() calls the test makes
// itself, so the realtime path (ring reads, flushes, end detection, underrun counting) is
// exercised exactly. operator new is replaced in this binary to prove that the callback
// path never allocates. An optional run on JACK's dummy backend covers the PortAudio sink.
#include "core/playback/AudioPlayer.h"

#include "TestPaths.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <new>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace {
thread_local bool tlInCallback = false;
std::atomic<int> gCallbackAllocations{0};
} // namespace

// GCC flags free() in a replaced operator delete as mismatched; the pair is consistent.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
// Replaced for the whole test binary; counts allocations made while a render() is running.
void* operator new(std::size_t size) {
    if (tlInCallback) gCallbackAllocations.fetch_add(1);
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
    return ::operator new(size);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
// The nothrow forms too (std::stable_sort's buffer uses them): a replaced set must be
// complete, or a sanitizer's own nothrow new meets this free() (ASan: alloc-dealloc-mismatch).
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    if (tlInCallback) gCallbackAllocations.fetch_add(1);
    return std::malloc(size ? size : 1);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
    return ::operator new(size, tag);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}

using moodsteer::AudioBuffer;
using moodsteer::AudioDeviceError;
using moodsteer::AudioOutputDevice;
using moodsteer::AudioPlayer;
using moodsteer::AudioRenderer;
using moodsteer::AudioSink;

namespace {

/// A sink driven by the test: pump() is "the audio thread".
class OfflineSink final : public AudioSink {
  public:
    explicit OfflineSink(int rate, bool present = true) : rate_(rate), present_(present) {}
    std::vector<AudioOutputDevice> devices() override {
        if (!present_) return {};
        return {AudioOutputDevice{0, "offline", double(rate_), true}};
    }
    int open(int, int, AudioRenderer* renderer) override {
        if (!present_) throw AudioDeviceError("no audio output device found");
        renderer_ = renderer;
        return rate_;
    }
    void start() override { running_ = true; }
    void stop() override { running_ = false; }
    void close() override { renderer_ = nullptr; }
    bool isRunning() const override { return running_; }
    std::string deviceName() const override { return "offline"; }

    std::vector<float> pump(std::size_t frames) {
        std::vector<float> out(frames, 123.0f);
        tlInCallback = true;
        renderer_->render(out.data(), frames);
        tlInCallback = false;
        return out;
    }

  private:
    int rate_;
    bool present_;
    AudioRenderer* renderer_ = nullptr;
    std::atomic<bool> running_{false};
};

AudioBuffer ramp(std::size_t n, int rate = 32000) {
    AudioBuffer b;
    b.sampleRate = rate;
    b.samples.resize(n);
    for (std::size_t i = 0; i < n; ++i)
        b.samples[i] = static_cast<float>(i % 1000) / 1000.0f - 0.5f;
    return b;
}

/// Waits (bounded) for the feeder to queue at least `frames`; the player's feeder thread
/// runs on its own schedule, so the tests wait for it rather than sleep a guessed time.
bool waitBuffered(const AudioPlayer& player, std::size_t frames) {
    for (int i = 0; i < 4000; ++i) {
        if (player.bufferedFrames() >= frames) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
}

struct Rig {
    OfflineSink* sink;
    std::unique_ptr<AudioPlayer> player;
    explicit Rig(int rate = 32000, bool present = true) {
        auto s = std::make_unique<OfflineSink>(rate, present);
        sink = s.get();
        player = std::make_unique<AudioPlayer>(std::move(s));
        gCallbackAllocations = 0;
    }
    /// One callback block after waiting for a full block (or `available`) to be queued.
    std::vector<float> block(std::size_t frames, std::size_t available = SIZE_MAX) {
        sink->pump(0); // a zero-frame callback acknowledges a pending flush (seek, new clip)
        waitBuffered(*player, std::min(frames, available));
        return sink->pump(frames);
    }
};

} // namespace

TEST(Playback, PlaysAClipExactlyAndStopsAtTheEnd) {
    Rig rig;
    ASSERT_TRUE(rig.player->openDevice());
    const AudioBuffer clip = ramp(10000);
    rig.player->setClip(clip);
    ASSERT_TRUE(rig.player->play());
    std::vector<float> heard;
    for (std::size_t left = clip.samples.size(); left > 0;) {
        auto b = rig.block(256, left);
        const std::size_t take = std::min<std::size_t>(256, left);
        heard.insert(heard.end(), b.begin(), b.begin() + take);
        for (std::size_t i = take; i < 256; ++i)
            ASSERT_EQ(b[i], 0.0f) << "silence after the end";
        left -= take;
    }
    EXPECT_EQ(heard, clip.samples);
    rig.sink->pump(256); // the callback notices the end
    for (int i = 0; i < 2000 && rig.player->state() == AudioPlayer::State::Playing; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_EQ(rig.player->state(), AudioPlayer::State::Stopped);
    EXPECT_NEAR(rig.player->position(), clip.seconds(), 1e-9);
    EXPECT_EQ(rig.player->underruns(), 0u);
    EXPECT_EQ(gCallbackAllocations.load(), 0) << "the callback path allocated";
    // Play after the end restarts from the beginning.
    ASSERT_TRUE(rig.player->play());
    auto again = rig.block(256);
    EXPECT_EQ(again[0], clip.samples[0]);
    EXPECT_EQ(again[255], clip.samples[255]);
}

TEST(Playback, CountsUnderrunsWhileStreamingAndNotAtTheEnd) {
    Rig rig;
    ASSERT_TRUE(rig.player->openDevice());
    const AudioBuffer clip = ramp(3000);
    rig.player->beginStream(32000);
    ASSERT_TRUE(rig.player->play()) << "a stream can be played while it is generated";
    rig.sink->pump(256); // nothing generated yet: silence, but not an underrun
    EXPECT_EQ(rig.player->underruns(), 0u);
    rig.player->appendStream(clip.samples.data(), 1000);
    std::vector<float> heard;
    for (int i = 0; i < 4; ++i) { // 1024 > 1000: the 4th block runs dry
        auto b = rig.block(256, 1000 - heard.size());
        heard.insert(heard.end(), b.begin(),
                     b.begin() + std::min<std::size_t>(256, 1000 - heard.size()));
    }
    EXPECT_EQ(rig.player->underruns(), 1u);
    rig.sink->pump(256);
    EXPECT_EQ(rig.player->underruns(), 2u);
    rig.player->appendStream(clip.samples.data() + 1000, 2000);
    rig.player->endStream();
    for (std::size_t left = 2000; left > 0;) {
        auto b = rig.block(256, left);
        const std::size_t take = std::min<std::size_t>(256, left);
        heard.insert(heard.end(), b.begin(), b.begin() + take);
        left -= take;
    }
    EXPECT_EQ(heard, clip.samples) << "streamed audio continues seamlessly";
    rig.sink->pump(256);
    rig.sink->pump(256);
    EXPECT_EQ(rig.player->underruns(), 2u) << "the end of a finished clip is not an underrun";
    EXPECT_EQ(gCallbackAllocations.load(), 0);
}

TEST(Playback, SeekFlushesAndContinuesAtTheNewPosition) {
    Rig rig;
    ASSERT_TRUE(rig.player->openDevice());
    const AudioBuffer clip = ramp(64000);
    rig.player->setClip(clip);
    ASSERT_TRUE(rig.player->play());
    rig.block(512);
    rig.player->seek(1.0);
    EXPECT_DOUBLE_EQ(rig.player->position(), 1.0);
    auto first = rig.sink->pump(256); // acknowledges the flush; the ring is empty then
    for (float v : first)
        ASSERT_EQ(v, 0.0f);
    auto b = rig.block(256);
    for (int i = 0; i < 256; ++i)
        ASSERT_EQ(b[i], clip.samples[32000 + i]);
    EXPECT_NEAR(rig.player->position(), 1.0 + 256.0 / 32000, 1e-9);
    EXPECT_EQ(rig.player->underruns(), 0u) << "a seek is not an underrun";
    EXPECT_EQ(gCallbackAllocations.load(), 0);
}

TEST(Playback, AbSwitchKeepsThePosition) {
    Rig rig;
    ASSERT_TRUE(rig.player->openDevice());
    AudioBuffer a = ramp(32000), b = ramp(32000);
    for (float& v : b.samples)
        v = -v;
    rig.player->setClip(a);
    ASSERT_TRUE(rig.player->play());
    for (int i = 0; i < 4; ++i)
        rig.block(256);
    const double at = rig.player->position();
    EXPECT_NEAR(at, 1024.0 / 32000, 1e-9);
    rig.player->setClip(b, /*keepPosition=*/true);
    EXPECT_EQ(rig.player->state(), AudioPlayer::State::Playing);
    rig.sink->pump(256);
    auto heard = rig.block(256);
    for (int i = 0; i < 256; ++i)
        ASSERT_EQ(heard[i], b.samples[1024 + i]);
}

TEST(Playback, LoopRepeatsTheClip) {
    Rig rig;
    ASSERT_TRUE(rig.player->openDevice());
    const AudioBuffer clip = ramp(1000);
    rig.player->setClip(clip);
    rig.player->setLoop(true);
    ASSERT_TRUE(rig.player->play());
    std::vector<float> heard;
    while (heard.size() < 3000) {
        auto b = rig.block(250);
        heard.insert(heard.end(), b.begin(), b.end());
    }
    for (std::size_t i = 0; i < 3000; ++i)
        ASSERT_EQ(heard[i], clip.samples[i % 1000]) << i;
    EXPECT_EQ(rig.player->state(), AudioPlayer::State::Playing);
    EXPECT_NEAR(rig.player->position(), 0.0, 1e-9);
    EXPECT_EQ(rig.player->underruns(), 0u);
}

namespace {
// 1024 samples at 1024 Hz, each its own index: loop boundaries in seconds are exact samples.
AudioBuffer counting() {
    AudioBuffer b;
    b.sampleRate = 1024;
    for (int i = 0; i < 1024; ++i)
        b.samples.push_back(static_cast<float>(i));
    return b;
}
std::vector<float> hear(Rig& rig, std::size_t frames) {
    std::vector<float> heard;
    while (heard.size() < frames) {
        auto b = rig.block(64);
        heard.insert(heard.end(), b.begin(), b.end());
    }
    return heard;
}
} // namespace

TEST(Playback, LoopRegionRepeatsItsStretchFromBeforeAndAfterIt) {
    Rig rig(1024);
    ASSERT_TRUE(rig.player->openDevice());
    rig.player->setClip(counting());
    rig.player->setLoop(true);
    rig.player->setLoopRegion(0.25, 0.5); // samples 256..511
    ASSERT_TRUE(rig.player->play());
    auto heard = hear(rig, 512 + 256 * 2 + 128);
    for (std::size_t i = 0; i < heard.size(); ++i)
        ASSERT_EQ(heard[i], i < 512 ? float(i) : float(256 + (i - 512) % 256)) << i;
    EXPECT_DOUBLE_EQ(rig.player->position(), 0.25 + 128.0 / 1024);

    // From after the region: to the clip's end, then inside the region.
    rig.player->seek(0.75);
    rig.sink->pump(0);
    heard = hear(rig, 256 + 256 + 64);
    for (std::size_t i = 0; i < heard.size(); ++i)
        ASSERT_EQ(heard[i], i < 256 ? float(768 + i) : float(256 + (i - 256) % 256)) << i;
    EXPECT_DOUBLE_EQ(rig.player->position(), 0.25 + 64.0 / 1024);
    EXPECT_EQ(rig.player->underruns(), 0u);
    EXPECT_EQ(gCallbackAllocations.load(), 0);
}

TEST(Playback, LoopRegionClearsAndIsCheckedAndBelongsToItsClip) {
    Rig rig(1024);
    ASSERT_TRUE(rig.player->openDevice());
    rig.player->setClip(counting());
    EXPECT_THROW(rig.player->setLoopRegion(0.5, 0.25), std::invalid_argument);
    EXPECT_THROW(rig.player->setLoopRegion(-1, 0.25), std::invalid_argument);
    EXPECT_THROW(rig.player->setLoopRegion(0, std::nan("")), std::invalid_argument);
    EXPECT_EQ(rig.player->loopRegion(), std::make_pair(0.0, 0.0)) << "a refused region is not set";
    rig.player->setLoopRegion(0.25, 0.5);
    rig.player->setLoopRegion(0.5, 0.5); // cleared: the whole clip loops again
    EXPECT_EQ(rig.player->loopRegion(), std::make_pair(0.0, 0.0));
    rig.player->setLoop(true);
    ASSERT_TRUE(rig.player->play());
    auto heard = hear(rig, 1024 + 128);
    for (std::size_t i = 0; i < heard.size(); ++i)
        ASSERT_EQ(heard[i], float(i % 1024)) << i;
    // A region without looping changes nothing; an A/B switch keeps it, a new clip drops it.
    rig.player->setLoopRegion(0.25, 0.5);
    rig.player->setClip(counting(), /*keepPosition=*/true);
    EXPECT_EQ(rig.player->loopRegion(), std::make_pair(0.25, 0.5));
    rig.player->setClip(counting());
    EXPECT_EQ(rig.player->loopRegion(), std::make_pair(0.0, 0.0));
}

TEST(Playback, LoopRegionOfAStreamClosesWhenItsEndArrives) {
    Rig rig(1024);
    ASSERT_TRUE(rig.player->openDevice());
    const AudioBuffer all = counting();
    rig.player->beginStream(1024);
    rig.player->appendStream(all.samples.data(), 384);
    rig.player->setLoop(true);
    rig.player->setLoopRegion(0.25, 0.5); // its end (512) is not generated yet
    ASSERT_TRUE(rig.player->play());
    auto heard = hear(rig, 384);
    rig.player->appendStream(all.samples.data() + 384, 640); // the rest, stream still open
    auto more = hear(rig, 128 + 256 + 64);
    heard.insert(heard.end(), more.begin(), more.end());
    for (std::size_t i = 0; i < heard.size(); ++i)
        ASSERT_EQ(heard[i], i < 512 ? float(i) : float(256 + (i - 512) % 256)) << i;
    EXPECT_DOUBLE_EQ(rig.player->position(), 0.25 + 64.0 / 1024);
    EXPECT_EQ(rig.player->underruns(), 0u);
}

TEST(Playback, PauseHoldsThePositionAndOutputsSilence) {
    Rig rig;
    ASSERT_TRUE(rig.player->openDevice());
    rig.player->setClip(ramp(20000));
    ASSERT_TRUE(rig.player->play());
    rig.block(256);
    rig.player->pause();
    const double at = rig.player->position();
    for (float v : rig.sink->pump(256))
        ASSERT_EQ(v, 0.0f);
    EXPECT_DOUBLE_EQ(rig.player->position(), at);
    rig.player->stop();
    EXPECT_DOUBLE_EQ(rig.player->position(), 0.0);
}

TEST(Playback, ResamplesToTheDeviceRate) {
    Rig rig(48000);
    ASSERT_TRUE(rig.player->openDevice());
    EXPECT_EQ(rig.player->deviceSampleRate(), 48000);
    AudioBuffer clip;
    clip.sampleRate = 32000;
    for (int i = 0; i < 3200; ++i) // a 0.1 s ramp 0..1: linear interpolation keeps it exact
        clip.samples.push_back(static_cast<float>(i) / 3200.0f);
    rig.player->setClip(clip);
    ASSERT_TRUE(rig.player->play());
    std::vector<float> heard;
    for (int i = 0; i < 19; ++i) {
        auto b = rig.block(256, heard.size() < 4800 ? 4800 - heard.size() : 0);
        heard.insert(heard.end(), b.begin(), b.end());
    }
    float maxErr = 0;
    for (int j = 0; j < 4799; ++j)
        maxErr =
            std::max(maxErr, std::fabs(heard[j] - static_cast<float>(j) * (2.0f / 3.0f) / 3200.0f));
    EXPECT_LT(maxErr, 1e-5f);
    EXPECT_EQ(heard[4800], 0.0f) << "48 kHz output of a 0.1 s clip has 4800 frames";
    EXPECT_NEAR(rig.player->position(), 0.1, 1e-9);
}

TEST(Playback, PeakFollowsTheOutput) {
    Rig rig;
    ASSERT_TRUE(rig.player->openDevice());
    AudioBuffer clip = ramp(2000);
    clip.samples[100] = -0.9f;
    rig.player->setClip(clip);
    ASSERT_TRUE(rig.player->play());
    rig.player->takePeak();
    rig.block(256);
    EXPECT_FLOAT_EQ(rig.player->takePeak(), 0.9f);
    EXPECT_EQ(rig.player->takePeak(), 0.0f) << "takePeak resets";
}

TEST(Playback, NoDeviceIsAStateNotACrash) {
    Rig rig(32000, /*present=*/false);
    EXPECT_FALSE(rig.player->openDevice());
    EXPECT_FALSE(rig.player->hasDevice());
    EXPECT_NE(rig.player->deviceError().find("no audio output device"), std::string::npos);
    rig.player->setClip(ramp(32000));
    EXPECT_FALSE(rig.player->play());
    rig.player->seek(0.5);
    EXPECT_DOUBLE_EQ(rig.player->position(), 0.5);
    EXPECT_DOUBLE_EQ(rig.player->duration(), 1.0);
}

// Real PortAudio on JACK's dummy backend, when jackd is installed; skipped loudly if not.
TEST(Playback, PortAudioOnJackDummyPlaysToTheEnd) {
    if (std::system("command -v jackd >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "*** jackd not installed: PortAudio playback NOT checked ***";
    const std::string server = "mstest" + std::to_string(getpid());
    const pid_t pid = fork();
    if (pid == 0) {
        setenv("JACK_NO_AUDIO_RESERVATION", "1", 1);
        const int fd = ::open("/dev/null", 1);
        dup2(fd, 1);
        dup2(fd, 2);
        execlp("jackd", "jackd", "--no-realtime", "-n", server.c_str(), "-d", "dummy", "-r",
               "48000", "-p", "256", static_cast<char*>(nullptr));
        _exit(127);
    }
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    setenv("JACK_DEFAULT_SERVER", server.c_str(), 1);
    bool opened = false;
    double reached = 0;
    AudioPlayer::State endState = AudioPlayer::State::Playing;
    {
        AudioPlayer player;
        opened = player.openDevice();
        if (opened) {
            player.setClip(ramp(16000)); // 0.5 s
            EXPECT_TRUE(player.play());
            for (int i = 0; i < 400 && player.state() == AudioPlayer::State::Playing; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            endState = player.state();
            reached = player.position();
        } else {
            std::cerr << "PortAudio could not open JACK dummy: " << player.deviceError() << "\n";
        }
    }
    unsetenv("JACK_DEFAULT_SERVER");
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    if (!opened)
        GTEST_SKIP() << "*** PortAudio found no JACK device: PortAudio playback NOT checked ***";
    EXPECT_EQ(endState, AudioPlayer::State::Stopped);
    EXPECT_NEAR(reached, 0.5, 1e-6);
}
