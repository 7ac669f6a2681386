// Composer: determinism, genre idioms measured from the tokens, monotone valence/arousal
// mapping over many seeds, prompts, and the tokens -> MIDI -> parse-back round trip.
#include "core/corpus/Composer.h"
#include "core/synth/MidiWriter.h"
#include "synth/SynthTokens.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

using namespace moodsteer;
using namespace moodsteer::synth;

namespace {

const Composer& composer() {
    static const Composer c;
    return c;
}

Piece make(const std::string& genre, double v, double a, std::uint64_t seed, double seconds = 10) {
    return composer().compose({genre, v, a, seconds, seed});
}

int framesPer16th(const Piece& p) {
    TextureToken t;
    decodeTexture(p.codes.at(kTextureStream, 0), t);
    return framesPerSixteenth(t.tempo);
}

// ---- a tiny Standard MIDI File parser (enough to read back what MidiWriter writes) ----------
struct MidiNote {
    long tick;
    int channel, key, velocity;
};
struct MidiFile {
    int format = -1, tracks = 0, division = 0;
    std::vector<double> tempos;               ///< BPM of every tempo event
    std::vector<std::vector<MidiNote>> notes; ///< note-ons per track
    std::vector<std::map<int, int>> programs; ///< channel -> program per track
    int unmatchedOffs = 0, danglingOns = 0;
};

MidiFile parseMidi(const std::vector<std::uint8_t>& b) {
    MidiFile f;
    std::size_t pos = 0;
    auto u32 = [&]() {
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i)
            v = (v << 8) | b.at(pos++);
        return v;
    };
    auto u16 = [&]() {
        const int v = (b.at(pos) << 8) | b.at(pos + 1);
        pos += 2;
        return v;
    };
    EXPECT_EQ(std::string(b.begin(), b.begin() + 4), "MThd");
    pos = 4;
    EXPECT_EQ(u32(), 6u);
    f.format = u16();
    f.tracks = u16();
    f.division = u16();
    for (int tr = 0; tr < f.tracks; ++tr) {
        EXPECT_EQ(
            std::string(b.begin() + static_cast<long>(pos), b.begin() + static_cast<long>(pos) + 4),
            "MTrk");
        pos += 4;
        const std::size_t end = pos + u32();
        f.notes.emplace_back();
        f.programs.emplace_back();
        std::map<std::pair<int, int>, int> on;
        long tick = 0;
        bool ended = false;
        while (pos < end) {
            unsigned long delta = 0;
            std::uint8_t c;
            do {
                c = b.at(pos++);
                delta = (delta << 7) | (c & 0x7F);
            } while (c & 0x80);
            tick += static_cast<long>(delta);
            const std::uint8_t status = b.at(pos++);
            if (status == 0xFF) {
                const int type = b.at(pos++);
                const int len = b.at(pos++);
                if (type == 0x51)
                    f.tempos.push_back(60e6 / ((b[pos] << 16) | (b[pos + 1] << 8) | b[pos + 2]));
                if (type == 0x2F) ended = true;
                pos += static_cast<std::size_t>(len);
            } else if ((status & 0xF0) == 0x90) {
                const int key = b.at(pos++), vel = b.at(pos++);
                f.notes.back().push_back({tick, status & 0x0F, key, vel});
                ++on[{status & 0x0F, key}];
            } else if ((status & 0xF0) == 0x80) {
                const int key = b.at(pos++);
                pos++;
                if (--on[{status & 0x0F, key}] < 0) ++f.unmatchedOffs;
            } else if ((status & 0xF0) == 0xC0) {
                f.programs.back()[status & 0x0F] = b.at(pos++);
            } else {
                ADD_FAILURE() << "unexpected MIDI status " << int(status);
                return f;
            }
        }
        EXPECT_TRUE(ended) << "track " << tr << " has no end-of-track";
        for (const auto& [k, n] : on)
            f.danglingOns += n > 0 ? n : 0;
        pos = end;
    }
    EXPECT_EQ(pos, b.size());
    return f;
}

} // namespace

TEST(CorpusComposerTest, GenresAndErrors) {
    EXPECT_EQ(Composer::genres(),
              (std::vector<std::string>{"classical", "electronic", "jazz", "rock"}));
    EXPECT_THROW(make("polka", 5, 5, 1), std::invalid_argument);
    EXPECT_THROW(make("jazz", 0.5, 5, 1), std::invalid_argument);
    EXPECT_THROW(make("jazz", 5, 9.5, 1), std::invalid_argument);
    EXPECT_THROW(make("jazz", 5, 5, 1, 0), std::invalid_argument);
}

TEST(CorpusComposerTest, DeterministicAndSeedDependent) {
    const auto a = make("rock", 6, 7, 42), b = make("rock", 6, 7, 42), c = make("rock", 6, 7, 43);
    EXPECT_EQ(a.codes.data, b.codes.data);
    EXPECT_EQ(a.prompt, b.prompt);
    EXPECT_NE(a.codes.data, c.codes.data);
    EXPECT_EQ(a.codes.numCodebooks, 4);
    EXPECT_EQ(a.codes.frames, 250);
    for (auto code : a.codes.data)
        ASSERT_TRUE(code >= 0 && code < 2048);
    EXPECT_EQ(a.label.genre, "rock");
    EXPECT_EQ(a.label.seed, 42u);
    EXPECT_DOUBLE_EQ(a.label.tempoBpm, tempoBpm(a.params.tempoIndex));
}

TEST(CorpusComposerTest, JazzUsesSeventhChordsClassicalAndRockMostlyDoNot) {
    std::map<std::string, std::pair<int, int>> sevenths; // genre -> (seventh frames, frames)
    for (const auto& genre : Composer::genres())
        for (std::uint64_t seed = 0; seed < 12; ++seed) {
            const auto p = make(genre, 1 + (seed % 9), 1 + ((seed * 5) % 9), seed);
            for (int t = 0; t < p.codes.frames; ++t) {
                HarmonyToken h;
                ASSERT_TRUE(decodeHarmony(p.codes.at(kHarmonyStream, t), h));
                const int q = h.chord % kNumQualities;
                sevenths[genre].first +=
                    q == kDom7 || q == kMaj7 || q == kMin7 || q == kHalfDim || q == kDim;
                sevenths[genre].second++;
            }
        }
    auto frac = [&](const char* g) { return double(sevenths[g].first) / sevenths[g].second; };
    EXPECT_GT(frac("jazz"), 0.95);
    EXPECT_LT(frac("classical"), 0.4);
    EXPECT_EQ(frac("rock"), 0.0); // power chords
}

TEST(CorpusComposerTest, DrumIdioms) {
    for (std::uint64_t seed = 0; seed < 16; ++seed) {
        const double v = 1 + (seed * 3 % 9), a = 1 + (seed * 7 % 9);
        // Classical: no drums at all.
        const auto cl = make("classical", v, a, seed);
        for (int t = 0; t < cl.codes.frames; ++t)
            ASSERT_EQ(cl.codes.at(kDrumStream, t) / kVelocityLevels, 0);
        // Electronic: a kick on every beat; rock: snare on beats 2 and 4 of every bar.
        for (const char* genre : {"electronic", "rock"}) {
            const auto p = make(genre, v, a, seed);
            const int f16 = framesPer16th(p);
            for (int beat = 0; beat * 4 * f16 < p.codes.frames; ++beat) {
                DrumToken d;
                decodeDrums(p.codes.at(kDrumStream, beat * 4 * f16), d);
                if (std::string(genre) == "electronic")
                    ASSERT_TRUE(d.mask & (1 << kKick)) << "seed " << seed << " beat " << beat;
                else if (beat % 2 == 1)
                    ASSERT_TRUE(d.mask & (1 << kSnare)) << "seed " << seed << " beat " << beat;
                else
                    ASSERT_FALSE(d.mask & (1 << kSnare)) << "seed " << seed << " beat " << beat;
            }
        }
        // Jazz: ride cymbal on every beat.
        const auto jz = make("jazz", v, a, seed);
        const int f16 = framesPer16th(jz);
        for (int beat = 0; beat * 4 * f16 < jz.codes.frames; ++beat) {
            DrumToken d;
            decodeDrums(jz.codes.at(kDrumStream, beat * 4 * f16), d);
            ASSERT_TRUE(d.mask & (1 << kRide));
        }
    }
}

TEST(CorpusComposerTest, EmotionMappingIsMonotone) {
    const double levels[] = {1.5, 5.0, 8.5};
    for (const auto& genre : Composer::genres()) {
        double tempo[3] = {}, loud[3] = {}, minor[3] = {}, pitch[3] = {}, onsets[3] = {};
        const int n = 30;
        for (int i = 0; i < 3; ++i)
            for (int s = 0; s < n; ++s) {
                const auto byArousal = make(genre, 5, levels[i], 1000 + s, 6);
                tempo[i] += byArousal.label.tempoBpm / n;
                loud[i] += byArousal.params.loudness / double(n);
                for (int t = 0; t < byArousal.codes.frames; ++t) {
                    MelodyToken m;
                    decodeMelody(byArousal.codes.at(kMelodyStream, t), m);
                    onsets[i] += (m.kind == MelodyToken::kOnset) / (6.0 * n);
                }
                const auto byValence = make(genre, levels[i], 5, 2000 + s, 6);
                minor[i] += (byValence.label.mode == "minor") / double(n);
                int count = 0, sum = 0;
                for (int t = 0; t < byValence.codes.frames; ++t) {
                    MelodyToken m;
                    decodeMelody(byValence.codes.at(kMelodyStream, t), m);
                    if (m.kind == MelodyToken::kOnset) sum += m.pitch, ++count;
                }
                pitch[i] += count ? double(sum) / count / n : 0;
            }
        SCOPED_TRACE(genre);
        EXPECT_LT(tempo[0], tempo[1]);
        EXPECT_LT(tempo[1], tempo[2]);
        EXPECT_LT(loud[0], loud[1]);
        EXPECT_LT(loud[1], loud[2]);
        EXPECT_LT(onsets[0], onsets[2]); // notes per second rise with arousal
        EXPECT_GT(minor[0], 0.75);       // minor mode dominates at low valence
        EXPECT_LT(minor[2], 0.2);
        EXPECT_LT(pitch[0] + 3, pitch[2]); // melody register rises with valence
    }
}

TEST(CorpusComposerTest, PromptsVaryAndUseEmotionWords) {
    std::set<std::string> prompts;
    for (std::uint64_t s = 0; s < 24; ++s) {
        const auto p = make(Composer::genres()[s % 4], 2.2, 3.9, s, 2);
        EXPECT_FALSE(p.prompt.empty());
        prompts.insert(p.prompt);
    }
    EXPECT_GE(prompts.size(), 22u);
    // At (2.2, 3.9) the words come from the sad corner of the lexicon.
    int sadWords = 0;
    for (const auto& p : prompts)
        for (const char* w : {"sad", "gloomy", "lonely", "sorrow", "depressed", "upset", "hurt",
                              "unhappy", "sadness", "grief", "misery", "tragic", "lost"})
            sadWords += p.find(w) != std::string::npos;
    EXPECT_GT(sadWords, 0);
}

TEST(CorpusComposerTest, TokensToMidiRoundTrip) {
    for (const auto& genre : Composer::genres()) {
        const auto p = make(genre, 6, 6, 9, 8);
        const auto f = parseMidi(MidiWriter::render(p.codes));
        SCOPED_TRACE(genre);
        EXPECT_EQ(f.format, 1);
        EXPECT_EQ(f.tracks, 6);
        EXPECT_EQ(f.division, MidiWriter::kTicksPerQuarter);
        ASSERT_EQ(f.tempos.size(), 1u);
        EXPECT_NEAR(f.tempos[0], p.label.tempoBpm, 0.01);
        EXPECT_EQ(f.unmatchedOffs, 0);
        EXPECT_EQ(f.danglingOns, 0);
        const long ticksPerFrame = MidiWriter::kTicksPerQuarter / (4 * framesPer16th(p));

        // Melody (track 1): every onset token is a note-on at its frame with its pitch.
        std::vector<std::pair<long, int>> expected, got;
        int drumHits = 0, bassOnsets = 0;
        for (int t = 0; t < p.codes.frames; ++t) {
            MelodyToken m;
            decodeMelody(p.codes.at(kMelodyStream, t), m);
            if (m.kind == MelodyToken::kOnset) expected.emplace_back(t * ticksPerFrame, m.pitch);
            DrumToken d;
            decodeDrums(p.codes.at(kDrumStream, t), d);
            drumHits += __builtin_popcount(d.mask);
            HarmonyToken h;
            decodeHarmony(p.codes.at(kHarmonyStream, t), h);
            bassOnsets += h.bass >= kBassRoot;
        }
        for (const auto& n : f.notes[1])
            got.emplace_back(n.tick, n.key);
        EXPECT_EQ(got, expected);
        EXPECT_EQ(static_cast<int>(f.notes[5].size()), drumHits);
        for (const auto& n : f.notes[5])
            EXPECT_EQ(n.channel, 9);
        EXPECT_EQ(static_cast<int>(f.notes[4].size()), bassOnsets);
        EXPECT_FALSE(f.notes[2].empty()); // chords
        EXPECT_EQ(f.programs[1].count(2), 1u);
    }
}
