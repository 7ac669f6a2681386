// PipelinedStreamDecoder: the codec on its own thread hands back exactly the wrapped decoder's
// audio, in order, however the frames were batched; errors reach the caller.
#include "engine/PipelinedStreamDecoder.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <optional>
#include <stdexcept>

using namespace moodsteer;

namespace {

/// Emits, for each frame, 4 samples derived from its codes; holds the last frame back until
/// finish() (like a codec's lookahead). Throws on a code of -1.
class ToyStream : public StreamDecoder {
  public:
    std::vector<float> push(const CodeGrid& f) override {
        std::vector<float> out;
        for (int t = 0; t < f.frames; ++t) {
            if (f.at(0, t) < 0) throw CodecError("toy: bad code");
            if (held_) emit(*held_, out);
            held_ = f.at(0, t) * 10 + f.at(1, t);
        }
        return out;
    }
    std::vector<float> finish() override {
        std::vector<float> out;
        if (held_) emit(*held_, out);
        held_.reset();
        return out;
    }

  private:
    static void emit(std::int64_t v, std::vector<float>& out) {
        for (int i = 0; i < 4; ++i)
            out.push_back(static_cast<float>(v * 4 + i));
    }
    std::optional<std::int64_t> held_;
};

CodeGrid frames(int from, int count) {
    CodeGrid g(2, count);
    for (int t = 0; t < count; ++t) {
        g.at(0, t) = from + t;
        g.at(1, t) = (from + t) % 7;
    }
    return g;
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

// The worker runs below its creator (so that the LM's attention helper is not preempted by it).
TEST(PipelinedStreamDecoder, WorkerRunsBelowTheCallersPriority) {
    const int mine = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
    PipelinedStreamDecoder pipelined(std::make_unique<ToyStream>());
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
