#include "core/audio/AudioFile.h"
#include "TestPaths.h"

#include <gtest/gtest.h>
#include <sndfile.h>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace moodsteer;

namespace {

AudioBuffer signal(const std::string& kind) {
    AudioBuffer a;
    a.sampleRate = 32000;
    a.samples.assign(16000, 0.0f);
    for (std::size_t i = 0; i < a.samples.size(); ++i) {
        if (kind == "sine")
            a.samples[i] = 0.5f * std::sin(2 * M_PI * 440.0 * i / a.sampleRate);
        else if (kind == "dc")
            a.samples[i] = 0.25f;
        else if (kind == "dirac")
            a.samples[i] = i == 1000 ? 0.9f : 0.0f;
    }
    return a;
}

double maxDiff(const AudioBuffer& a, const AudioBuffer& b) {
    double d = 0;
    for (std::size_t i = 0; i < std::min(a.samples.size(), b.samples.size()); ++i)
        d = std::max(d, std::fabs(double(a.samples[i]) - b.samples[i]));
    return d;
}

} // namespace

struct RoundTripCase {
    const char* signal;
    const char* ext;
    double tolerance; // 16-bit PCM: ~3e-5; Vorbis is lossy
};

class AudioFileRoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(AudioFileRoundTrip, WritesAndReadsBack) {
    const auto c = GetParam();
    auto dir = test::scratchDir(std::string("audio-") + c.signal + (c.ext + 1));
    const auto path = (dir / (std::string("clip") + c.ext)).string();
    const auto in = signal(c.signal);
    AudioTags tags{"title", R"({"seed":7})", ""};
    writeAudioFile(path, in, tags);
    const auto out = readAudioFile(path);
    EXPECT_EQ(in.sampleRate, out.sampleRate);
    if (std::string(c.ext) != ".ogg") {
        ASSERT_EQ(in.samples.size(), out.samples.size());
        EXPECT_LT(maxDiff(in, out), c.tolerance) << c.signal << c.ext;
    } else {
        // Vorbis: lossy and may pad; compare energy instead of samples.
        double ein = 0, eout = 0;
        for (float s : in.samples)
            ein += s * s;
        for (std::size_t i = 0; i < in.samples.size() && i < out.samples.size(); ++i)
            eout += out.samples[i] * out.samples[i];
        EXPECT_NEAR(ein, eout, 0.1 * ein + 1e-3);
    }
    // Tags survive where the container supports them.
    SF_INFO info{};
    SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
    ASSERT_NE(nullptr, f);
    const char* comment = sf_get_string(f, SF_STR_COMMENT);
    ASSERT_NE(nullptr, comment);
    EXPECT_EQ(R"({"seed":7})", std::string(comment));
    sf_close(f);
}

INSTANTIATE_TEST_SUITE_P(
    Signals, AudioFileRoundTrip,
    ::testing::Values(RoundTripCase{"sine", ".wav", 4e-5}, RoundTripCase{"dc", ".wav", 4e-5},
                      RoundTripCase{"dirac", ".wav", 4e-5}, RoundTripCase{"sine", ".flac", 4e-5},
                      RoundTripCase{"dirac", ".flac", 4e-5}, RoundTripCase{"sine", ".ogg", 0}));

TEST(AudioFile, RejectsBadInputWithoutLeavingFiles) {
    auto dir = test::scratchDir("audio-bad");
    auto a = signal("sine");
    EXPECT_THROW(writeAudioFile((dir / "x.mp3").string(), a), AudioFileError);
    a.samples[10] = std::nanf("");
    EXPECT_THROW(writeAudioFile((dir / "x.wav").string(), a), AudioFileError);
    EXPECT_THROW(writeAudioFile((dir / "no" / "such" / "x.wav").string(), signal("dc")),
                 AudioFileError);
    EXPECT_TRUE(std::filesystem::is_empty(dir));
    writeAudioFile((dir / "keep.wav").string(), signal("dc"));
    EXPECT_THROW(writeAudioFile((dir / "keep.wav").string(), signal("sine"), {}, false),
                 AudioFileError);
    EXPECT_NEAR(0.25, readAudioFile((dir / "keep.wav").string()).samples[100], 1e-4);
}

TEST(AudioFile, UnreadableFilesGiveNamedErrors) {
    auto dir = test::scratchDir("audio-unreadable");
    const auto junk = (dir / "junk.wav").string();
    std::ofstream(junk) << "this is not audio";
    try {
        readAudioFile(junk);
        FAIL();
    } catch (const AudioFileError& e) {
        EXPECT_NE(std::string::npos, std::string(e.what()).find("junk.wav"));
    }
    EXPECT_THROW(readAudioFile((dir / "missing.wav").string()), AudioFileError);
}

TEST(AudioFile, MixesStereoToMono) {
    auto dir = test::scratchDir("audio-stereo");
    const auto path = (dir / "st.wav").string();
    SF_INFO info{};
    info.samplerate = 24000;
    info.channels = 2;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    float frames[8] = {0.5f, -0.5f, 1.0f, 0.0f, 0.2f, 0.4f, 0.f, 0.f};
    sf_writef_float(f, frames, 4);
    sf_close(f);
    auto a = readAudioFile(path);
    ASSERT_EQ(4u, a.samples.size());
    EXPECT_EQ(24000, a.sampleRate);
    EXPECT_FLOAT_EQ(0.0f, a.samples[0]);
    EXPECT_FLOAT_EQ(0.5f, a.samples[1]);
    EXPECT_NEAR(0.3f, a.samples[2], 1e-6);
}
