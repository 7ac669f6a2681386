// PipelinedStreamDecoder: the codec on its own thread hands back exactly the wrapped decoder's
// audio, in order, however the frames were batched; errors reach the caller.
#include "engine/PipelinedStreamDecoder.h"
#include "ToyStream.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <optional>
#include <stdexcept>

using namespace moodsteer;
using moodsteer::test::ToyStream;

namespace {

CodeGrid frames(int from, int count) {
    CodeGrid g(2, count);
    for (int t = 0; t < count; ++t) {
        g.at(0, t) = from + t;
        g.at(1, t) = (from + t) % 7;
    }
    return g;
}

int codecThreads() {
    int n = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream comm(task.path() / "comm");
        std::string name;
        std::getline(comm, name);
        n += name == "codec-decode";
    }
    return n;
}

void append(std::vector<float>& to, const std::vector<float>& more) {
    to.insert(to.end(), more.begin(), more.end());
}

} // namespace

TEST(PipelinedStreamDecoder, SameAudioInTheSameOrderAsTheWrappedDecoder) {
    ToyStream reference;
    std::vector<float> expected;
    PipelinedStreamDecoder pipelined(std::make_unique<ToyStream>());
    std::vector<float> got;
    for (int t = 0; t < 200; t += 3) {
        const CodeGrid f = frames(t, 3);
        auto a = reference.push(f);
        expected.insert(expected.end(), a.begin(), a.end());
        auto b = pipelined.push(f);
        got.insert(got.end(), b.begin(), b.end());
        auto c = pipelined.push(CodeGrid(2, 0)); // an empty push only collects
        got.insert(got.end(), c.begin(), c.end());
    }
    auto a = reference.finish();
    expected.insert(expected.end(), a.begin(), a.end());
    auto b = pipelined.finish();
    got.insert(got.end(), b.begin(), b.end());
    EXPECT_EQ(got, expected);
    EXPECT_GE(pipelined.innerPushes(), 1);
    EXPECT_GE(pipelined.cpuSeconds(), 0.0);

    // Reusable after finish(), as the wrapped decoder is.
    std::vector<float> again = pipelined.push(frames(0, 5));
    auto tail = pipelined.finish();
    again.insert(again.end(), tail.begin(), tail.end());
    EXPECT_EQ(again.size(), 5u * 4u);
}

TEST(PipelinedStreamDecoder, AnErrorOfTheWrappedDecoderReachesTheCaller) {
    PipelinedStreamDecoder pipelined(std::make_unique<ToyStream>());
    CodeGrid bad = frames(0, 2);
    bad.at(0, 1) = -1;
    pipelined.push(bad);
    EXPECT_THROW(pipelined.finish(), CodecError);
}

TEST(PipelinedStreamDecoder, WaitsForItsMinimumPushExceptAtTheEnd) {
    // Records the size of every push it gets.
    class Sizes : public StreamDecoder {
      public:
        explicit Sizes(std::vector<int>& sizes) : sizes_(sizes) {}
        std::vector<float> push(const CodeGrid& f) override {
            sizes_.push_back(f.frames);
            return std::vector<float>(static_cast<std::size_t>(f.frames), 1.0f);
        }
        std::vector<float> finish() override { return {}; }

      private:
        std::vector<int>& sizes_;
    };
    std::vector<int> sizes;
    std::size_t samples = 0;
    {
        PipelinedStreamDecoder pipelined(std::make_unique<Sizes>(sizes), 4);
        for (int t = 0; t < 21; ++t) // one frame per push, as the LM makes them
            samples += pipelined.push(frames(t, 1)).size();
        samples += pipelined.finish().size();
    }
    ASSERT_FALSE(sizes.empty());
    int total = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        total += sizes[i];
        if (i + 1 < sizes.size()) EXPECT_GE(sizes[i], 4) << "push " << i;
    }
    EXPECT_EQ(21, total);
    EXPECT_EQ(21u, samples); // every frame's audio came back, in the end
    EXPECT_THROW(PipelinedStreamDecoder(std::make_unique<Sizes>(sizes), 0), std::invalid_argument);
}

// A session's guard waits for a try's audio up to a check: drain() gives what a synchronous
// push would have, even when fewer frames than the minimum push are queued.
TEST(PipelinedStreamDecoder, DrainHandsOverTheAudioOfEveryFramePushed) {
    ToyStream reference;
    PipelinedStreamDecoder pipelined(std::make_unique<ToyStream>(), 4);
    std::vector<float> expected, got;
    for (int t = 0; t < 3; ++t) { // fewer than the minimum push
        append(expected, reference.push(frames(t, 1)));
        append(got, pipelined.push(frames(t, 1)));
    }
    append(got, pipelined.drain());
    EXPECT_EQ(expected, got);
    EXPECT_EQ(2u * 4u, got.size());         // the toy holds its last frame back
    EXPECT_TRUE(pipelined.drain().empty()); // nothing more to wait for
    for (int t = 3; t < 40; ++t) {
        append(expected, reference.push(frames(t, 1)));
        append(got, pipelined.push(frames(t, 1)));
        if (t % 9 == 0) {
            append(got, pipelined.drain());
            EXPECT_EQ(expected, got) << "at frame " << t;
        }
    }
    append(expected, reference.finish());
    append(got, pipelined.finish());
    EXPECT_EQ(expected, got);
}

// A copy (a try, a checkpoint) goes on exactly as the original would, without a thread until
// its first push, and leaves the original alone; both count their CPU in one total.
TEST(PipelinedStreamDecoder, ACopyGoesOnAsTheOriginalAndLeavesItAlone) {
    ToyStream reference;
    std::vector<float> before;
    PipelinedStreamDecoder pipelined(std::make_unique<ToyStream>(), 4);
    for (int t = 0; t < 11; ++t) {
        append(before, reference.push(frames(t, 1)));
        pipelined.push(frames(t, 1)); // some frames are still queued (11 is no multiple of 4)
    }
    const int threads = codecThreads();
    std::unique_ptr<StreamDecoder> copy = pipelined.clone();
    ASSERT_NE(nullptr, copy);
    EXPECT_EQ(threads, codecThreads()) << "a copy starts its worker at its first push";

    std::vector<float> after;
    for (int t = 11; t < 30; ++t)
        append(after, reference.push(frames(t, 1)));
    append(after, reference.finish());
    const auto rest = [&](StreamDecoder& d) {
        std::vector<float> out;
        for (int t = 11; t < 30; ++t)
            append(out, d.push(frames(t, 1)));
        append(out, d.finish());
        return out;
    };
    std::vector<float> fromCopy = copy->drain(); // what the original had queued or ready
    append(fromCopy, rest(*copy));
    std::vector<float> fromOriginal = pipelined.drain();
    append(fromOriginal, rest(pipelined));
    std::vector<float> whole = before;
    append(whole, after);
    // Both streams as a whole: what each handed over before the copy is not in its return.
    EXPECT_EQ(fromCopy, fromOriginal);
    ASSERT_LE(fromCopy.size(), whole.size());
    EXPECT_TRUE(std::equal(fromCopy.begin(), fromCopy.end(), whole.end() - fromCopy.size()));
    EXPECT_DOUBLE_EQ(pipelined.cpuSeconds(),
                     static_cast<PipelinedStreamDecoder&>(*copy).cpuSeconds());

    class NoCopy : public ToyStream {
      public:
        std::unique_ptr<StreamDecoder> clone() const override { return nullptr; }
    };
    PipelinedStreamDecoder uncopyable(std::make_unique<NoCopy>());
    EXPECT_EQ(nullptr, uncopyable.clone());
}

// The worker runs below its creator (so that it never preempts the LM's thread).
TEST(PipelinedStreamDecoder, WorkerRunsBelowTheCallersPriority) {
    const int mine = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
    PipelinedStreamDecoder pipelined(std::make_unique<ToyStream>());
    pipelined.push(frames(0, 1)); // the worker starts at the first push
    const auto niceOfWorker = []() -> std::optional<int> {
        for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
            std::ifstream comm(task.path() / "comm");
            std::string name;
            std::getline(comm, name);
            if (name != "codec-decode") continue;
            return getpriority(PRIO_PROCESS, static_cast<id_t>(std::stoi(task.path().filename())));
        }
        return std::nullopt;
    };
    const int expected = std::min(19, mine + PipelinedStreamDecoder::kNiceIncrement);
    std::optional<int> nice;
    for (int i = 0; i < 200 && nice != expected; ++i) { // the worker sets it when it starts
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        nice = niceOfWorker();
    }
    ASSERT_TRUE(nice.has_value()) << "no codec-decode thread";
    EXPECT_EQ(expected, *nice);
}
