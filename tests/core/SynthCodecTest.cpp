// SynthCodec: token layout round trips, interface numbers, determinism, streaming == one-shot
// (bit for bit), audio sanity (finite, bounded, no DC, no clicks), bad codes -> CodecError.
#include "core/synth/SynthCodec.h"
#include "core/corpus/Composer.h"
#include "synth/SynthTokens.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace moodsteer;
using namespace moodsteer::synth;

namespace {

Piece piece(const std::string& genre, double v, double a, std::uint64_t seed, double seconds = 4) {
    static const Composer composer;
    return composer.compose({genre, v, a, seconds, seed});
}

struct Stats {
    double peak = 0, mean = 0, rms = 0, maxJump = 0;
    std::size_t jumpAt = 0;
    bool finite = true;
};

Stats stats(const std::vector<float>& x) {
    Stats s;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (!std::isfinite(x[i])) s.finite = false;
        s.peak = std::max(s.peak, std::fabs(static_cast<double>(x[i])));
        s.mean += x[i];
        s.rms += static_cast<double>(x[i]) * x[i];
        const double jump = i ? std::fabs(static_cast<double>(x[i]) - x[i - 1]) : 0.0;
        if (jump > s.maxJump) {
            s.maxJump = jump;
            s.jumpAt = i;
        }
    }
    s.mean /= static_cast<double>(x.size());
    s.rms = std::sqrt(s.rms / static_cast<double>(x.size()));
    return s;
}

} // namespace

TEST(SynthCodecTest, InterfaceNumbers) {
    SynthCodec codec;
    EXPECT_EQ(codec.name(), "synthcodec");
    EXPECT_EQ(codec.sampleRate(), 32000);
    EXPECT_DOUBLE_EQ(codec.frameRate(), 25.0);
    EXPECT_EQ(codec.numCodebooks(), 4);
    EXPECT_EQ(codec.cardinality(), 2048);
    EXPECT_EQ(codec.samplesPerFrame(), 1280);
    EXPECT_FALSE(codec.canEncode());
    try {
        codec.encode(AudioBuffer{32000, std::vector<float>(100, 0.f)});
        FAIL() << "encode did not throw";
    } catch (const CodecError& e) {
        EXPECT_NE(std::string(e.what()).find("cannot encode recordings"), std::string::npos);
    }
}

TEST(SynthCodecTest, TokenLayoutRoundTripsEveryUsedCode) {
    static_assert(kHarmonyCodes <= kCardinality && kMelodyCodes <= kCardinality &&
                  kDrumCodes <= kCardinality && kTextureCodes <= kCardinality);
    for (std::int64_t c = 0; c < kCardinality; ++c) {
        HarmonyToken h;
        MelodyToken m;
        DrumToken d;
        TextureToken t;
        ASSERT_EQ(decodeHarmony(c, h), c < kHarmonyCodes);
        ASSERT_EQ(c < kHarmonyCodes ? encodeHarmony(h) : c, c);
        ASSERT_EQ(decodeMelody(c, m), c < kMelodyCodes);
        ASSERT_EQ(c < kMelodyCodes ? encodeMelody(m) : c, c);
        ASSERT_TRUE(decodeDrums(c, d));
        ASSERT_EQ(encodeDrums(d), c);
        ASSERT_EQ(decodeTexture(c, t), c < kTextureCodes);
        ASSERT_EQ(c < kTextureCodes ? encodeTexture(t) : c, c);
    }
    // Hand-checked values: C major 7 (root 0, quality 3), strike, bass fifth.
    EXPECT_EQ(encodeHarmony({3, kCompStrike, kBassFifth}), (3 * 3 + 1) * 7 + 5);
    EXPECT_EQ(bassPitch(0 * kNumQualities + kMajor, kBassRoot), 36);  // C2
    EXPECT_EQ(bassPitch(4 * kNumQualities + kMinor, kBassThird), 31); // E1 + 3
    EXPECT_DOUBLE_EQ(tempoBpm(1), 125.0);
}

TEST(SynthCodecTest, DecodeIsDeterministic) {
    SynthCodec codec;
    const auto p = piece("jazz", 6, 6, 11);
    const auto a = codec.decode(p.codes), b = codec.decode(p.codes);
    ASSERT_EQ(a.samples.size(), static_cast<std::size_t>(p.codes.frames) * 1280 + 8000);
    EXPECT_EQ(0, std::memcmp(a.samples.data(), b.samples.data(), a.samples.size() * sizeof(float)));
}

TEST(SynthCodecTest, StreamingIsBitIdenticalToOneShot) {
    SynthCodec codec;
    for (const char* genre : {"classical", "electronic", "jazz", "rock"}) {
        const auto p = piece(genre, 3, 8, 5);
        const auto ref = codec.decode(p.codes);
        auto dec = codec.streamDecoder();
        std::vector<float> out;
        const int chunks[] = {1, 7, 2, 13, 30, 3};
        int pos = 0, i = 0;
        while (pos < p.codes.frames) {
            const int end = std::min(p.codes.frames, pos + chunks[i++ % 6]);
            const auto part = dec->push(p.codes.slice(pos, end));
            ASSERT_EQ(part.size(), static_cast<std::size_t>(end - pos) * 1280);
            out.insert(out.end(), part.begin(), part.end());
            pos = end;
        }
        const auto tail = dec->finish();
        out.insert(out.end(), tail.begin(), tail.end());
        ASSERT_EQ(out.size(), ref.samples.size()) << genre;
        EXPECT_EQ(0, std::memcmp(out.data(), ref.samples.data(), out.size() * sizeof(float)))
            << genre;
    }
}

TEST(SynthCodecTest, AudioIsSaneForEveryGenreAndMood) {
    SynthCodec codec;
    for (const auto& genre : Composer::genres())
        for (auto [v, a] : {std::pair{1.5, 1.5}, {8.5, 8.5}, {2, 8.5}, {8.5, 2}}) {
            const auto audio = codec.decode(piece(genre, v, a, 3).codes);
            const Stats s = stats(audio.samples);
            SCOPED_TRACE(genre + " v=" + std::to_string(v) + " a=" + std::to_string(a));
            EXPECT_TRUE(s.finite);
            EXPECT_LE(s.peak, 0.9);
            EXPECT_LT(std::fabs(s.mean), 0.005);
            EXPECT_GT(s.rms, 0.01);                           // audible music, not silence
            EXPECT_LT(std::fabs(audio.samples.back()), 1e-3); // the tail fades to silence
        }
}

TEST(SynthCodecTest, LouderTokensGiveLouderAudio) {
    SynthCodec codec;
    auto p = piece("rock", 5, 5, 2);
    auto loud = p.codes;
    for (int t = 0; t < p.codes.frames; ++t) {
        TextureToken tex;
        ASSERT_TRUE(decodeTexture(p.codes.at(kTextureStream, t), tex));
        tex.loudness = 1;
        p.codes.at(kTextureStream, t) = encodeTexture(tex);
        tex.loudness = 6;
        loud.at(kTextureStream, t) = encodeTexture(tex);
    }
    EXPECT_GT(stats(codec.decode(loud).samples).rms,
              2.0 * stats(codec.decode(p.codes).samples).rms);
}

TEST(SynthCodecTest, NoClicksAtNoteBoundaries) {
    // Melody and chords only (no drums, whose noise is legitimately jumpy), with notes that
    // start and stop every few frames on every pitched instrument set.
    SynthCodec codec;
    for (int genre = 0; genre < kNumGenres; ++genre)
        for (int variant = 0; variant < kNumVariants; ++variant) {
            CodeGrid g(4, 100);
            for (int t = 0; t < 100; ++t) {
                TextureToken tex;
                tex.genre = genre, tex.variant = variant, tex.loudness = 7, tex.layer = t >= 50;
                g.at(kTextureStream, t) = encodeTexture(tex);
                HarmonyToken h;
                h.chord = ((t / 8) * 5 % 12) * kNumQualities + (t / 8) % kNumQualities;
                h.comp = t % 4 == 0 ? kCompStrike : (t % 4 == 2 ? kCompMute : kCompHold);
                h.bass =
                    t % 3 == 0 ? kBassRoot + (t / 3) % 5 : (t % 3 == 1 ? kBassRelease : kBassHold);
                g.at(kHarmonyStream, t) = encodeHarmony(h);
                MelodyToken m;
                if (t % 2 == 0)
                    m = {MelodyToken::kOnset, 60 + (t * 7) % 24, 7};
                else if (t % 6 == 1)
                    m.kind = MelodyToken::kRelease;
                g.at(kMelodyStream, t) = encodeMelody(m);
                g.at(kDrumStream, t) = 0;
            }
            const auto x = codec.decode(g).samples;
            const Stats s = stats(x);
            SCOPED_TRACE("genre " + std::to_string(genre) + " variant " + std::to_string(variant));
            EXPECT_TRUE(s.finite);
            EXPECT_LE(s.peak, 0.9);
            // Events take effect at frame starts: a hard note cut or start there would make
            // the sample-to-sample jumps in the first samples of a frame stand out from the
            // jumps inside frames (which saws and bright partials make legitimately large).
            double atBoundary = 0, inside = 0;
            for (std::size_t i = 1; i < x.size(); ++i) {
                const double jump = std::fabs(static_cast<double>(x[i]) - x[i - 1]);
                double& slot = (i % 1280) < 3 ? atBoundary : inside;
                slot = std::max(slot, jump);
            }
            EXPECT_LT(atBoundary, inside + 0.01) << "peak " << s.peak << " max jump " << s.maxJump;
        }
}

TEST(SynthCodecTest, BadCodesThrowCodecError) {
    SynthCodec codec;
    CodeGrid ok(4, 3);
    EXPECT_NO_THROW(codec.decode(ok));
    CodeGrid three(3, 3);
    EXPECT_THROW(codec.decode(three), CodecError);
    for (std::int64_t bad : {std::int64_t(-1), std::int64_t(2048), std::int64_t(1) << 40}) {
        CodeGrid g(4, 3);
        g.at(2, 1) = bad;
        EXPECT_THROW(codec.decode(g), CodecError);
        EXPECT_THROW(codec.streamDecoder()->push(g), CodecError);
    }
    // Codes inside [0, 2048) that the layout does not use are "hold", not errors.
    CodeGrid unused(4, 3);
    unused.at(kHarmonyStream, 1) = 2040;
    unused.at(kMelodyStream, 1) = 2000;
    unused.at(kTextureStream, 2) = 1999;
    EXPECT_NO_THROW(codec.decode(unused));
}

TEST(SynthCodecTest, RenderedLevelRisesWithArousal) {
    // The emotion mapping must survive rendering: high-arousal pieces are louder in the audio.
    SynthCodec codec;
    for (const auto& genre : Composer::genres()) {
        double rms[2] = {0, 0};
        for (int level = 0; level < 2; ++level)
            for (std::uint64_t seed = 0; seed < 4; ++seed)
                rms[level] +=
                    stats(codec.decode(piece(genre, 5, level ? 8.5 : 1.5, 50 + seed).codes).samples)
                        .rms;
        EXPECT_GT(rms[1], 1.5 * rms[0]) << genre << ": " << rms[0] / 4 << " vs " << rms[1] / 4;
    }
}

// A grid that opens on "hold" (a crop from mid-piece, or an LM that starts with holds) still
// sounds its chord and bass: the token carries the chord, so the codec plays it.
TEST(SynthCodecTest, AStreamOpeningOnHoldStillSoundsItsChord) {
    using namespace moodsteer::synth;
    SynthCodec codec;
    const int frames = 50;
    CodeGrid g(4, frames);
    HarmonyToken h;
    h.chord = 2 * kNumQualities + kMinor; // D minor, held: never struck inside the clip
    TextureToken tex;                     // no pad layer: only comp and bass can sound
    tex.layer = 0;
    for (int t = 0; t < frames; ++t) {
        g.at(kHarmonyStream, t) = encodeHarmony(h);
        g.at(kMelodyStream, t) = 0; // hold
        g.at(kDrumStream, t) = 0;   // no hits
        g.at(kTextureStream, t) = encodeTexture(tex);
    }
    const auto s = stats(codec.decode(g).samples);
    EXPECT_GT(s.rms, 0.01) << "a held chord at the start of a clip rendered as silence";
}
