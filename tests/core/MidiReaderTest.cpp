// MidiReader: corpus pieces -> MidiWriter -> import give back the same notes and tokens
// (where MIDI can carry them: docs/midi-import.md), hand-made type 0/1 files are split into
// parts as documented, and every kind of bad file is one line naming it.
#include "core/synth/MidiReader.h"
#include "core/corpus/Composer.h"
#include "core/synth/MidiWriter.h"
#include "core/synth/SynthScore.h"
#include "synth/SynthTokens.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace moodsteer;
using namespace moodsteer::synth;
namespace fs = std::filesystem;

namespace {

MidiImport importBytes(const std::vector<std::uint8_t>& b, const std::string& name = "piece.mid") {
    return MidiReader::parse(b.data(), b.size(), name);
}

// ---- a small Standard MIDI File builder -------------------------------------------------
struct TrackBuilder {
    std::vector<std::uint8_t> data;
    void delta(unsigned long v) {
        std::uint8_t buf[5];
        int n = 0;
        buf[n++] = v & 0x7F;
        while (v >>= 7)
            buf[n++] = static_cast<std::uint8_t>(0x80 | (v & 0x7F));
        while (n)
            data.push_back(buf[--n]);
    }
    void event(unsigned long dt, std::vector<std::uint8_t> bytes) {
        delta(dt);
        data.insert(data.end(), bytes.begin(), bytes.end());
    }
    void on(unsigned long dt, int ch, int key, int vel = 100) {
        event(dt, {std::uint8_t(0x90 | ch), std::uint8_t(key), std::uint8_t(vel)});
    }
    void off(unsigned long dt, int ch, int key) {
        event(dt, {std::uint8_t(0x80 | ch), std::uint8_t(key), 0});
    }
    void end() { event(0, {0xFF, 0x2F, 0x00}); }
};

std::vector<std::uint8_t> smf(int format, int division,
                              const std::vector<std::vector<std::uint8_t>>& tracks) {
    std::vector<std::uint8_t> out{'M',
                                  'T',
                                  'h',
                                  'd',
                                  0,
                                  0,
                                  0,
                                  6,
                                  0,
                                  std::uint8_t(format),
                                  0,
                                  std::uint8_t(tracks.size()),
                                  std::uint8_t(division >> 8),
                                  std::uint8_t(division & 0xFF)};
    for (const auto& t : tracks) {
        out.insert(out.end(), {'M', 'T', 'r', 'k'});
        for (int s = 24; s >= 0; s -= 8)
            out.push_back(static_cast<std::uint8_t>(t.size() >> s));
        out.insert(out.end(), t.begin(), t.end());
    }
    return out;
}

struct NoteKey {
    SynthPart part;
    int key, velocity, start, end;
    bool operator==(const NoteKey&) const = default;
};
std::vector<NoteKey> notesOf(const CodeGrid& g) {
    std::vector<NoteKey> out;
    for (const auto& n : SynthScore::fromCodes(g).notes)
        out.push_back({n.part, n.key, n.velocity, n.startFrame, n.endFrame});
    std::sort(out.begin(), out.end(), [](const NoteKey& a, const NoteKey& b) {
        return std::tie(a.start, a.part, a.key) < std::tie(b.start, b.part, b.key);
    });
    return out;
}

} // namespace

TEST(MidiReaderTest, CorpusPiecesRoundTripThroughMidi) {
    const Composer composer;
    int pieces = 0, frames = 0, chordFrames = 0, chordSame = 0, loudFrames = 0, loudSame = 0,
        harmonySame = 0, labelSame = 0;
    for (const auto& genre : Composer::genres())
        for (const auto& [v, a] : {std::pair{2.0, 2.0}, {8.0, 8.0}, {3.0, 7.0}, {7.0, 3.0}})
            for (std::uint64_t seed : {1, 2}) {
                const Piece p = composer.compose({genre, v, a, 8.0, seed});
                SCOPED_TRACE(genre + " v" + std::to_string(v) + " a" + std::to_string(a) +
                             " seed " + std::to_string(seed));
                const MidiImport m = importBytes(MidiWriter::render(p.codes));
                ASSERT_EQ(m.codes.frames, p.codes.frames);
                // The music: every note of every part, with its frames and velocity.
                EXPECT_EQ(notesOf(m.codes), notesOf(p.codes));
                EXPECT_EQ(m.genre, Composer::genreIndex(genre));
                EXPECT_TRUE(m.approximations.empty()) << m.approximations.front();
                for (int t = 0; t < p.codes.frames; ++t) {
                    // Melody and drum streams token for token.
                    ASSERT_EQ(m.codes.at(kMelodyStream, t), p.codes.at(kMelodyStream, t)) << t;
                    ASSERT_EQ(m.codes.at(kDrumStream, t), p.codes.at(kDrumStream, t)) << t;
                    TextureToken a0, b0;
                    decodeTexture(p.codes.at(kTextureStream, t), a0);
                    decodeTexture(m.codes.at(kTextureStream, t), b0);
                    ASSERT_EQ(b0.genre, a0.genre);
                    ASSERT_EQ(b0.variant, a0.variant);
                    ASSERT_EQ(b0.tempo, a0.tempo);
                    ASSERT_EQ(b0.layer, a0.layer) << t;
                    ASSERT_EQ(b0.brightness, 1); // not in MIDI: the default
                    HarmonyToken ha, hb;
                    decodeHarmony(p.codes.at(kHarmonyStream, t), ha);
                    decodeHarmony(m.codes.at(kHarmonyStream, t), hb);
                    // Chord, comp and bass token for token: every chord change of the corpus
                    // shows in a comp strike, a pad onset or a bass note.
                    ASSERT_EQ(hb.comp, ha.comp) << t;
                    ASSERT_EQ(bassPitch(hb.chord, hb.bass), bassPitch(ha.chord, ha.bass)) << t;
                    ASSERT_EQ(m.codes.at(kHarmonyStream, t), p.codes.at(kHarmonyStream, t)) << t;
                    ASSERT_EQ(b0.loudness, a0.loudness) << t;
                    ++frames;
                    harmonySame += m.codes.at(kHarmonyStream, t) == p.codes.at(kHarmonyStream, t);
                    labelSame += ha.chord == hb.chord;
                    chordFrames += ha.comp == kCompStrike;
                    chordSame += ha.comp == kCompStrike && ha.chord == hb.chord;
                    loudFrames += 1;
                    loudSame += a0.loudness == b0.loudness;
                }
                ++pieces;
            }
    std::printf("round trip: %d pieces, %d frames; chord label same on %d of %d struck frames "
                "(%d of all frames); harmony token same on %d; loudness same on %d of %d\n",
                pieces, frames, chordSame, chordFrames, labelSame, harmonySame, loudSame,
                loudFrames);
    EXPECT_EQ(pieces, 32);
}

TEST(MidiReaderTest, TypeZeroPianoIsSplitIntoMelodyChordsAndBass) {
    // One track, one channel: C major (C3 E3 G3) under a melody E5 then G5 and a bass C2, at
    // 96 ticks per quarter and 100 BPM (-> 93.75 BPM, 4 frames per sixteenth); hats on
    // channel 10 (42 closed hat, 56 cowbell -> ride); key signature 2 sharps minor.
    TrackBuilder t;
    t.event(0, {0xFF, 0x51, 0x03, 0x09, 0x27, 0xC0}); // 600000 us per quarter
    t.event(0, {0xFF, 0x59, 0x02, 0x02, 0x01});
    t.event(0, {0xC0, 0x00}); // piano
    for (int key : {36, 48, 52, 55, 76})
        t.on(0, 0, key);
    t.event(0, {0x99, 42, 90});
    t.event(0, {56, 90}); // running status: cowbell on the same channel
    t.off(24, 9, 42);
    t.off(0, 9, 56);
    t.off(24, 0, 76); // the melody note lasts two sixteenths
    t.on(0, 0, 79, 60);
    t.off(48, 0, 79);
    for (int key : {36, 48, 52, 55})
        t.off(0, 0, key); // a whole note's worth: 4 sixteenths = 16 frames
    t.end();
    const MidiImport m = importBytes(smf(0, 96, {t.data}));
    EXPECT_DOUBLE_EQ(m.fileBpm, 100.0);
    EXPECT_DOUBLE_EQ(m.bpm, 93.75);
    EXPECT_EQ(m.key, "B minor");
    EXPECT_EQ(m.codes.frames, 16);
    EXPECT_EQ(m.melodyNotes, 2);
    EXPECT_EQ(m.bassNotes, 1);
    EXPECT_EQ(m.chordNotes, 3);
    EXPECT_EQ(m.drumHits, 2);
    EXPECT_EQ(m.genre, 0); // piano, no band instruments: classical piano
    HarmonyToken h;
    decodeHarmony(m.codes.at(kHarmonyStream, 0), h);
    EXPECT_EQ(h.chord, 0 * kNumQualities + kMajor);
    EXPECT_EQ(h.comp, kCompStrike);
    EXPECT_EQ(bassPitch(h.chord, h.bass), 36);
    MelodyToken mel;
    decodeMelody(m.codes.at(kMelodyStream, 0), mel);
    EXPECT_EQ(mel.kind, MelodyToken::kOnset);
    EXPECT_EQ(mel.pitch, 76);
    decodeMelody(m.codes.at(kMelodyStream, 8), mel);
    EXPECT_EQ(mel.pitch, 79);
    EXPECT_EQ(mel.velocity, 2); // (60 - 36) / 12
    DrumToken d;
    decodeDrums(m.codes.at(kDrumStream, 0), d);
    EXPECT_EQ(d.mask, (1u << kClosedHat) | (1u << kRide));
    TextureToken tex;
    decodeTexture(m.codes.at(kTextureStream, 0), tex);
    EXPECT_EQ(tex.tempo, 2);
    // The options choose the band instead.
    MidiImportOptions o;
    o.genre = 2, o.variant = 1;
    const auto b = smf(0, 96, {t.data});
    const MidiImport jazz = MidiReader::parse(b.data(), b.size(), "piano.mid", o);
    decodeTexture(jazz.codes.at(kTextureStream, 0), tex);
    EXPECT_EQ(tex.genre, 2);
    EXPECT_EQ(tex.variant, 1);
    EXPECT_FALSE(jazz.bandFromPrograms);
}

TEST(MidiReaderTest, ChordQualitiesAreRecognised) {
    // Each SynthCodec quality struck on D (root 2) with a bass D: the chord field names it.
    for (int quality = 0; quality < kNumQualities; ++quality) {
        int iv[4];
        const int n = chordIntervals(quality, iv);
        TrackBuilder chords, bass, melody;
        for (int k = 0; k < n; ++k)
            chords.on(0, 0, 62 + iv[k]);
        for (int k = 0; k < n; ++k)
            chords.off(k == 0 ? 480 : 0, 0, 62 + iv[k]);
        chords.end();
        bass.on(0, 1, 38);
        bass.off(480, 1, 38);
        bass.end();
        melody.on(0, 2, 86);
        melody.off(480, 2, 86);
        melody.end();
        const MidiImport m = importBytes(smf(1, 480, {chords.data, bass.data, melody.data}));
        HarmonyToken h;
        decodeHarmony(m.codes.at(kHarmonyStream, 0), h);
        EXPECT_EQ(h.chord, 2 * kNumQualities + quality) << "quality " << quality;
    }
}

TEST(MidiReaderTest, BadFilesAreOneLineNamingTheFile) {
    TrackBuilder good;
    good.on(0, 0, 60);
    good.off(480, 0, 60);
    good.end();
    const auto valid = smf(1, 480, {good.data});
    ASSERT_NO_THROW(importBytes(valid));

    TrackBuilder running; // a data byte before any status byte
    running.event(0, {60, 100});
    running.end();
    TrackBuilder noNotes;
    noNotes.event(0, {0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20});
    noNotes.end();
    TrackBuilder longVlq;
    longVlq.data = {0x81, 0x81, 0x81, 0x81, 0x01, 0x90, 60, 100};
    TrackBuilder badData; // a status byte where the velocity belongs
    badData.data = {0x00, 0x90, 60, 0x90};
    TrackBuilder hugeMeta;
    hugeMeta.data = {0x00, 0xFF, 0x01, 0x8F, 0xFF, 0xFF, 0x7F, 'x'};
    auto withLength = [&](std::uint32_t length) {
        auto b = valid;
        for (int i = 0; i < 4; ++i)
            b[18 + i] = static_cast<std::uint8_t>(length >> (24 - 8 * i));
        return b;
    };
    auto missingTracks = valid;
    missingTracks[11] = 3; // announces 3 tracks, holds 1
    auto garbageChunk = valid;
    garbageChunk[14] = 0x00, garbageChunk[15] = 0xFF;
    const std::vector<std::pair<std::vector<std::uint8_t>, std::string>> cases = {
        {{}, "not a Standard MIDI File"},
        {{'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E', 0, 0}, "starts with 'RIFF'"},
        {std::vector<std::uint8_t>(valid.begin(), valid.begin() + 20), "truncated"},
        {std::vector<std::uint8_t>(valid.begin(), valid.end() - 3), "truncated"},
        {withLength(0x7FFFFFF0), "claims 2147483632 bytes"},
        {garbageChunk, "is not a MIDI track"},
        {smf(2, 480, {good.data}), "type 2"},
        {smf(1, 0, {good.data}), "time division is 0"},
        {smf(1, 480, {running.data}), "running status without a preceding status byte"},
        {smf(1, 480, {noNotes.data}), "has no notes"},
        {smf(1, 480, {longVlq.data}), "more than 4 bytes"},
        {smf(1, 480, {badData.data}), "where a data byte belongs"},
        {smf(1, 480, {hugeMeta.data}), "truncated"},
        {missingTracks, "announces 3 tracks"},
    };
    for (const auto& [bytes, expected] : cases) {
        try {
            importBytes(bytes, "song.mid");
            ADD_FAILURE() << "accepted; expected: " << expected;
        } catch (const MidiError& e) {
            const std::string msg = e.what();
            EXPECT_EQ(msg.rfind("song.mid: ", 0), 0u) << msg;
            EXPECT_NE(msg.find(expected), std::string::npos) << msg;
            EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
        }
    }
}

TEST(MidiReaderTest, FifoHugeAndLongFilesAreRefused) {
    const fs::path dir = fs::temp_directory_path() / ("midi_reader_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string fifo = (dir / "pipe.mid").string();
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const std::string huge = (dir / "huge.mid").string();
    { std::ofstream(huge) << "MThd"; }
    fs::resize_file(huge, MidiReader::kMaxFileBytes + 1);
    for (const auto& [path, expected] : {std::pair{fifo, "FIFO"},
                                         {huge, "MB"},
                                         {(dir / "missing.mid").string(), "does not exist"}}) {
        try {
            MidiReader::read(path);
            ADD_FAILURE() << path << " accepted";
        } catch (const std::runtime_error& e) {
            const std::string msg = e.what();
            EXPECT_NE(msg.find(path), std::string::npos) << msg;
            EXPECT_NE(msg.find(expected), std::string::npos) << msg;
        }
    }
    // 11 minutes of one held note at 62.5 BPM: longer than an import may be.
    TrackBuilder t;
    t.event(0, {0xFF, 0x51, 0x03, 0x0F, 0x42, 0x40}); // 60 BPM
    t.on(0, 0, 60);
    t.off(660, 0, 60); // 660 quarters at division 1
    t.end();
    try {
        importBytes(smf(1, 1, {t.data}), "long.mid");
        ADD_FAILURE() << "an 11-minute file was accepted";
    } catch (const MidiError& e) {
        EXPECT_NE(std::string(e.what()).find("at most 600 s"), std::string::npos) << e.what();
    }
    fs::remove_all(dir);
}
