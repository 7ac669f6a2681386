// StreamProbe: a session window's try heard through a copy of the stream decoder. What it hands
// back (committed stretches, the window's end, an end cut back to its checkpoint) is exactly
// what one decoder fed the accepted frames once would return, on this thread or pipelined.
#include "session/StreamProbe.h"
#include "ToyStream.h"
#include "engine/PipelinedStreamDecoder.h"

#include <gtest/gtest.h>

using namespace moodsteer;
using moodsteer::test::ToyStream;

namespace {

CodeGrid window(int frames) {
    CodeGrid g(2, frames);
    for (int t = 0; t < frames; ++t) {
        g.at(0, t) = (t * 37) % 101;
        g.at(1, t) = t % 5;
    }
    return g;
}

std::unique_ptr<StreamDecoder> stream(bool pipelined) {
    auto plain = std::make_unique<ToyStream>();
    if (!pipelined) return plain;
    return std::make_unique<PipelinedStreamDecoder>(std::move(plain), 4);
}

/// What a decoder fed `codes` in one push, and then `more`, returns: the reference.
std::vector<float> once(const CodeGrid& codes, int from, int to) {
    ToyStream d;
    d.push(codes.slice(0, from));
    return d.push(codes.slice(from, to));
}

std::vector<float> rest(StreamDecoder& d, const CodeGrid& more) {
    std::vector<float> out = d.pushAndDrain(more);
    const std::vector<float> tail = d.finish();
    out.insert(out.end(), tail.begin(), tail.end());
    return out;
}

/// The reference's audio after frame `from`: frames [from, to) pushed, then finish().
std::vector<float> restOnce(const CodeGrid& codes, int from, int to) {
    ToyStream d;
    d.push(codes.slice(0, from));
    return rest(d, codes.slice(from, to));
}

} // namespace

class StreamProbeTest : public ::testing::TestWithParam<bool> {};

TEST_P(StreamProbeTest, CommitsAndEndsGiveTheAudioOfOneDecode) {
    const CodeGrid codes = window(100);
    auto s = stream(GetParam());
    auto probe = StreamProbe::open(*s, 0);
    ASSERT_NE(nullptr, probe);
    for (int t = 0; t < 100; ++t) {
        probe->add(codes.slice(t, t + 1));
        if (GetParam()) probe->feed(std::min(t + 1, 30)); // ahead, up to the check
    }
    probe->feed(30);
    EXPECT_EQ(30, probe->fed());
    StreamProbe::Part first = probe->commit();
    EXPECT_EQ(once(codes, 0, 30), first.chunk);
    EXPECT_EQ(once(codes, 0, 30), probe->heard());
    ASSERT_NE(nullptr, first.decoder);
    EXPECT_EQ(restOnce(codes, 30, 100), rest(*first.decoder, codes.slice(30, 100)));
    probe->feed(70);
    EXPECT_EQ(once(codes, 30, 70), probe->untaken());
    StreamProbe::Part end = probe->end(70);
    ASSERT_NE(nullptr, end.decoder);
    EXPECT_EQ(once(codes, 30, 70), end.chunk);
    EXPECT_EQ(restOnce(codes, 70, 100), rest(*end.decoder, codes.slice(70, 100)));
}

// A window cut back (the seam's cut) ends from the checkpoint, not decoded from its start; an
// end before the checkpoint says so with no decoder.
TEST_P(StreamProbeTest, AnEndCutBackGoesOnFromTheCheckpoint) {
    const CodeGrid codes = window(100);
    auto s = stream(GetParam());
    for (const int at : {85, 92, 100}) {
        auto probe = StreamProbe::open(*s, 85);
        probe->add(codes);
        probe->feed(100);
        StreamProbe::Part end = probe->end(at);
        ASSERT_NE(nullptr, end.decoder) << at;
        EXPECT_EQ(once(codes, 0, at), end.chunk) << at;
        EXPECT_EQ(restOnce(codes, at, 100), rest(*end.decoder, codes.slice(at, 100))) << at;
    }
    auto probe = StreamProbe::open(*s, 85);
    probe->add(codes);
    probe->feed(100);
    EXPECT_EQ(nullptr, probe->end(60).decoder);

    // After a commit past the checkpoint, the checkpoint's audio has partly played.
    auto late = StreamProbe::open(*s, 85);
    late->add(codes);
    late->feed(90);
    late->commit();
    late->feed(100);
    EXPECT_EQ(nullptr, late->end(95).decoder);
    EXPECT_THROW(StreamProbe::open(*s, 85)->end(101), std::logic_error);
}

// A codec that cannot copy its stream has no probe: the session decodes after the context.
TEST(StreamProbe, NoProbeForADecoderThatCannotCopy) {
    class NoCopy : public ToyStream {
      public:
        std::unique_ptr<StreamDecoder> clone() const override { return nullptr; }
    };
    NoCopy d;
    EXPECT_EQ(nullptr, StreamProbe::open(d, 0));
}

INSTANTIATE_TEST_SUITE_P(OnThisThreadOrPipelined, StreamProbeTest, ::testing::Bool());
