// bench-stream's measuring parts, deterministic: the clocked null output driven by a fake clock
// (exact frames due, whole blocks, the observer's clock), the underrun accounting of
// PlaybackMeter on a scripted counter, AudioPlayer's underrun frames through that output, and
// the pre-buffer that would have avoided every gap. No timing assertions.
#include "core/bench/StreamBenchmark.h"
#include "core/playback/AudioPlayer.h"
#include "core/playback/ClockedNullSink.h"
#include "core/playback/PlaybackMeter.h"
#include "core/playback/PrebufferEstimate.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

using namespace moodsteer;

namespace {

/// Writes a running count, so the test can see every frame was asked for exactly once.
class CountingRenderer : public AudioRenderer {
  public:
    void render(float* out, std::size_t frames) noexcept override {
        for (std::size_t i = 0; i < frames; ++i)
            out[i] = static_cast<float>(next++);
        ++calls;
    }
    std::uint64_t next = 0;
    int calls = 0;
};

struct FakeClock {
    double now = 0.0; // times below are binary fractions: exact frame counts
    ClockedNullSink::Clock fn() {
        return [this] { return now; };
    }
};

} // namespace

TEST(ClockedNullSink, RendersTheWholeBlocksDueByTheClock) {
    FakeClock clock;
    ClockedNullSink sink(32000, 256, clock.fn());
    CountingRenderer renderer;
    std::vector<std::pair<double, std::size_t>> seen;
    sink.setBlockObserver([&](double s, std::size_t n) { seen.emplace_back(s, n); });
    EXPECT_EQ(sink.open(-1, 48000, &renderer), 32000); // its rate, whatever is preferred
    EXPECT_EQ(sink.pump(), 0u);                        // not started
    sink.start();
    EXPECT_TRUE(sink.isRunning());
    EXPECT_EQ(sink.pump(), 0u); // nothing due at the start
    clock.now = 1.0 / 64;       // 500 frames due: one whole block
    EXPECT_EQ(sink.pump(), 256u);
    EXPECT_EQ(sink.pump(), 0u); // the same clock owes nothing more
    clock.now = 1.0;            // 32000 due in all: 125 blocks
    EXPECT_EQ(sink.pump(), 32000u - 256u);
    EXPECT_EQ(sink.framesRendered(), 32000u);
    EXPECT_EQ(renderer.next, 32000u);
    EXPECT_EQ(renderer.calls, 125);
    ASSERT_EQ(seen.size(), 125u);
    EXPECT_DOUBLE_EQ(seen.front().first, 256.0 / 32000);
    EXPECT_DOUBLE_EQ(seen.back().first, 1.0);
    sink.stop();
    clock.now += 1.0;
    EXPECT_EQ(sink.pump(), 0u);
}

TEST(ClockedNullSink, RejectsAZeroBlockAndStartBeforeOpen) {
    EXPECT_THROW(ClockedNullSink(32000, 0), std::invalid_argument);
    FakeClock clock;
    ClockedNullSink sink(32000, 256, clock.fn());
    EXPECT_THROW(sink.start(), AudioDeviceError);
}

TEST(PlaybackMeter, CountsEachGapOnceAndItsLength) {
    PlaybackMeter meter(1000, 1.0);
    // Blocks of 0.25 s; the player's cumulative underrun frames and the audio ahead.
    const std::uint64_t totals[] = {0, 0, 100, 350, 350, 350, 600, 600};
    const double ahead[] = {2.0, 1.5, 0.0, 0.0, 0.5, 0.75, 0.0, 0.25};
    for (int i = 0; i < 8; ++i)
        meter.block(0.25 * (i + 1), totals[i], ahead[i]);
    EXPECT_EQ(meter.underruns(), 2); // blocks 3-4 are one gap, block 7 another
    EXPECT_DOUBLE_EQ(meter.underrunSeconds(), 0.6);
    EXPECT_DOUBLE_EQ(meter.firstUnderrunAt(), 0.75);
    ASSERT_EQ(meter.levels().size(), 2u);
    EXPECT_DOUBLE_EQ(meter.levels()[0].seconds, 1.0);
    EXPECT_DOUBLE_EQ(meter.levels()[0].minAhead, 0.0);
    EXPECT_DOUBLE_EQ(meter.levels()[0].lastAhead, 0.0);
    EXPECT_DOUBLE_EQ(meter.levels()[0].gapSeconds, 0.35);
    EXPECT_DOUBLE_EQ(meter.levels()[1].seconds, 2.0);
    EXPECT_DOUBLE_EQ(meter.levels()[1].minAhead, 0.0);
    EXPECT_DOUBLE_EQ(meter.levels()[1].lastAhead, 0.25);
    EXPECT_DOUBLE_EQ(meter.levels()[1].gapSeconds, 0.25);
}

TEST(PlaybackMeter, NoGapNoUnderrun) {
    PlaybackMeter meter(32000, 5.0);
    for (int i = 1; i <= 100; ++i)
        meter.block(0.1 * i, 0, 3.0);
    EXPECT_EQ(meter.underruns(), 0);
    EXPECT_EQ(meter.underrunSeconds(), 0.0);
    EXPECT_EQ(meter.firstUnderrunAt(), -1.0);
    EXPECT_EQ(meter.levels().size(), 2u);
    EXPECT_THROW(PlaybackMeter(0), std::invalid_argument);
}

// The studio's player through the clocked output: the gap heard is exactly the frames the
// output asked for beyond what had been generated, and the end of the stream is no gap.
TEST(ClockedNullSink, PlayerUnderrunFramesAreTheGapHeard) {
    FakeClock clock;
    auto owned = std::make_unique<ClockedNullSink>(32000, 256, clock.fn());
    ClockedNullSink* sink = owned.get();
    AudioPlayer player(std::move(owned));
    ASSERT_TRUE(player.openDevice(-1));
    player.beginStream(32000);
    std::vector<float> chunk(1600, 0.25f); // 50 ms: less than the feeder keeps queued
    player.appendStream(chunk.data(), chunk.size());
    ASSERT_TRUE(player.play());
    // The first block acknowledges the stream's start (the feeder writes only after that);
    // nothing is queued yet, which is not an underrun.
    clock.now = 1.0 / 64;
    EXPECT_EQ(sink->pump(), 256u);
    EXPECT_EQ(player.underrunFrames(), 0u);
    // The feeder thread queues the chunk; wait for it (a condition, not a timing).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (player.bufferedFrames() < chunk.size() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_EQ(player.bufferedFrames(), chunk.size());
    clock.now += 3.0 / 32; // 3500 frames due in all: 12 more blocks = 3072 frames
    EXPECT_EQ(sink->pump(), 3072u);
    EXPECT_EQ(player.underrunFrames(), 3072u - 1600u);
    EXPECT_EQ(player.underruns(), 6u); // the block that ran dry and the five after it
    player.endStream();
    clock.now += 0.1;
    sink->pump();
    EXPECT_EQ(player.underrunFrames(), 3072u - 1600u); // the end is not a gap
}

TEST(StreamBenchmark, PrebufferIsTheLatestChunkAgainstThePlayhead) {
    // Chunks at 1.0 s (first audio), 1.5 s and 4.0 s after 0, 1 and 2 s of audio: playback
    // from 1.0 s needs the third chunk at 3.0 s; it comes 1.0 s late.
    EXPECT_DOUBLE_EQ(prebufferNeeded({1.0, 1.5, 4.0}, {0.0, 1.0, 2.0}), 1.0);
    EXPECT_DOUBLE_EQ(prebufferNeeded({1.0, 1.5, 2.0}, {0.0, 1.0, 2.0}), 0.0);
    EXPECT_DOUBLE_EQ(prebufferNeeded({}, {}), 0.0);
    EXPECT_THROW(prebufferNeeded({1.0}, {}), std::invalid_argument);
}

TEST(PrebufferEstimate, FastGeneratorStartsAfterOneSecond) {
    // 2 s made, 8 s left in 1 s: 8x real time.
    EXPECT_FALSE(PrebufferEstimate::of(10, 0.5, 1.0, 0.1).startNow);
    const auto e = PrebufferEstimate::of(10, 1.0, 1.0, 0.1);
    EXPECT_TRUE(e.startNow);
    EXPECT_DOUBLE_EQ(e.speed, 9.0);
    EXPECT_DOUBLE_EQ(e.waitSeconds, 0.0);
}

TEST(PrebufferEstimate, SlowGeneratorWaitsForTheAudioItWillNeed) {
    // 0.8x real time on a 20 s clip, 0.5 s made: taken as 0.64x, playback needs
    // 0.36 * R / 0.64 + 1 s buffered; that is 7.84 s, reached after 9.175 s at 0.8x.
    const auto e = PrebufferEstimate::of(20, 0.5, 19.5 / 0.8, 0.5);
    EXPECT_FALSE(e.startNow);
    EXPECT_NEAR(e.speed, 0.8, 1e-12);
    EXPECT_NEAR(e.waitSeconds, 9.175, 1e-9);
    EXPECT_NEAR(e.bufferSeconds, 7.84, 1e-9);
    // Once that much is made, it starts.
    EXPECT_TRUE(PrebufferEstimate::of(20, 7.85, 12.15 / 0.8, 0.5).startNow);
    // Audio arriving in 10 s windows needs a window more.
    EXPECT_FALSE(PrebufferEstimate::of(20, 7.85, 12.15 / 0.8, 10).startNow);
}

TEST(PrebufferEstimate, VerySlowStartsNearTheEndAndFinishedAtOnce) {
    // 0.1x (taken as 0.08x): playback may start only 0.72 s before the end is made, at
    // (0.92 * 9 + 0.08 * (1 - 1)) / 0.1 = 82.8 s.
    const auto slow = PrebufferEstimate::of(10, 1, 90, 0.5);
    EXPECT_FALSE(slow.startNow);
    EXPECT_NEAR(slow.waitSeconds, 82.8, 1e-9);
    EXPECT_NEAR(slow.bufferSeconds, 9.28, 1e-9);
    EXPECT_TRUE(PrebufferEstimate::of(10, 10, 0, 0.5).startNow);
    EXPECT_FALSE(PrebufferEstimate::of(10, 0, 0, 0.5).startNow); // nothing made, no speed yet
    EXPECT_FALSE(PrebufferEstimate::of(10, 2, -1, 0.5).startNow);
}
