// decodeAll: the takes of a batch are rendered in order, on several threads when asked (the
// engine asks for SynthCodec only), and a codec error reaches the caller after every worker has
// stopped.
#include "engine/ParallelDecode.h"
#include "core/synth/SynthCodec.h"
#include "engine/ComputeThreads.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

using namespace moodsteer;

namespace {

// Each decode returns its grid's first code as a one-sample clip, and records how many decodes
// ran at the same moment (each waits, up to 2 s, for a second one to start).
class CountingCodec : public AudioCodec {
  public:
    std::string name() const override { return "counting"; }
    int sampleRate() const override { return 100; }
    double frameRate() const override { return 1.0; }
    int numCodebooks() const override { return 1; }
    int cardinality() const override { return 1000; }
    int samplesPerFrame() const override { return 1; }
    bool canEncode() const override { return false; }
    CodeGrid encode(const AudioBuffer&) const override { throw CodecError("no"); }
    std::unique_ptr<StreamDecoder> streamDecoder() const override { return nullptr; }
    AudioBuffer decode(const CodeGrid& codes) const override {
        const int now = ++active_;
        int seen = maxActive_.load();
        while (now > seen && !maxActive_.compare_exchange_weak(seen, now)) {
        }
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (maxActive_.load() < 2 && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        --active_;
        if (codes.at(0, 0) == 666) throw CodecError("counting: bad code 666");
        AudioBuffer a;
        a.sampleRate = 100;
        a.samples = {static_cast<float>(codes.at(0, 0))};
        return a;
    }
    int maxActive() const { return maxActive_.load(); }

  private:
    mutable std::atomic<int> active_{0}, maxActive_{0};
};

std::vector<CodeGrid> grids(std::initializer_list<int> firstCodes) {
    std::vector<CodeGrid> out;
    for (int c : firstCodes) {
        CodeGrid g(1, 1);
        g.at(0, 0) = c;
        out.push_back(g);
    }
    return out;
}

std::vector<const CodeGrid*> pointers(const std::vector<CodeGrid>& g) {
    std::vector<const CodeGrid*> out;
    for (const auto& x : g)
        out.push_back(&x);
    return out;
}

} // namespace

TEST(ParallelDecode, ConcurrentCodecRendersOnSeveralThreadsInOrder) {
    CountingCodec codec;
    const auto g = grids({1, 2, 3, 4, 5, 6, 7, 8});
    const auto audio = decodeAll(codec, pointers(g), 2);
    ASSERT_EQ(audio.size(), 8u);
    for (int i = 0; i < 8; ++i)
        EXPECT_EQ(audio[i].samples, std::vector<float>{float(i + 1)}) << "take " << i + 1;
    EXPECT_EQ(codec.maxActive(), 2);
}

TEST(ParallelDecode, OneThreadDecodesOneAfterTheOther) {
    // (Each decode then waits its 2 s for a partner that never comes: 2 grids.)
    const auto g = grids({1, 2});
    CountingCodec oneThread;
    const auto audio = decodeAll(oneThread, pointers(g), 1);
    ASSERT_EQ(audio.size(), 2u);
    EXPECT_EQ(audio[1].samples, std::vector<float>{2.0f});
    EXPECT_EQ(oneThread.maxActive(), 1);
}

TEST(ParallelDecode, OnlySynthCodecTakesRenderInParallel) {
    EXPECT_EQ(decodeThreadsFor(SynthCodec()), availableCores());
    EXPECT_EQ(decodeThreadsFor(CountingCodec()), 1);
}

TEST(ParallelDecode, TheFirstErrorReachesTheCaller) {
    CountingCodec codec;
    const auto g = grids({1, 666, 3, 666});
    EXPECT_THROW(
        {
            try {
                decodeAll(codec, pointers(g), 2);
            } catch (const CodecError& e) {
                EXPECT_STREQ(e.what(), "counting: bad code 666");
                throw;
            }
        },
        CodecError);
}

TEST(ParallelDecode, SynthCodecTakesRenderAsTheyDoAlone) {
    // The embedded model's codec: parallel rendering gives each take's samples bit for bit.
    SynthCodec codec;
    std::vector<CodeGrid> g;
    for (int take = 0; take < 4; ++take) {
        CodeGrid c(codec.numCodebooks(), 50);
        for (int k = 0; k < c.numCodebooks; ++k)
            for (int t = 0; t < c.frames; ++t)
                c.at(k, t) = (k * 131 + t * 17 + take * 29) % 64;
        g.push_back(c);
    }
    const auto together = decodeAll(codec, pointers(g), 4);
    for (int take = 0; take < 4; ++take) {
        EXPECT_EQ(together[take].samples, codec.decode(g[take]).samples) << "take " << take + 1;
        float peak = 0;
        for (float x : together[take].samples)
            peak = std::max(peak, std::abs(x));
        EXPECT_GT(peak, 0.01f) << "take " << take + 1 << " is silent: the test would prove little";
    }
}
