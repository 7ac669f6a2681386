#include "core/synth/MidiReader.h"

#include "Band.h"
#include "ChordNaming.h"
#include "StandardMidiFile.h"
#include "SynthTokens.h"
#include "core/io/FileInput.h"
#include "core/synth/SynthScore.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <map>

namespace moodsteer {

using namespace synth;

namespace {

constexpr int kDrumChannel = 9;

// clang-format off
/// GM percussion key -> SynthCodec kit piece: the GM kit (35..81) by sound family; keys
/// outside it go to the piece whose MidiWriter key is nearest.
int drumPiece(int key) {
    switch (key) {
    case 35: case 36: return kKick;
    case 37: case 38: case 40: return kSnare;
    case 39: return kClap;
    case 42: case 44: return kClosedHat;
    case 46: return kOpenHat;
    case 51: case 53: case 59: return kRide;
    case 49: case 52: case 55: case 57: return kCrash;
    case 41: case 43: case 45: case 47: case 48: case 50: return kTom;
    default: break;
    }
    // Hand percussion: drums (bongos, congas, timbales, agogo) like toms; shakers and
    // tambourine like a closed hat; cowbell, bells, blocks, triangle like the ride.
    if ((key >= 60 && key <= 68) || key == 78 || key == 79) return kTom;
    if (key == 54 || key == 69 || key == 70) return kClosedHat;
    if (key >= 56 && key <= 81) return kRide;
    // clang-format on
    int best = 0;
    for (int d = 1; d < kNumDrums; ++d)
        if (std::abs(SynthScore::drumKey(d) - key) < std::abs(SynthScore::drumKey(best) - key))
            best = d;
    return best;
}

/// A note on the SynthCodec frame grid.
struct GridNote {
    int voice = 0, key = 60, velocity = 64, program = 0;
    int start = 0, end = 1; ///< frames, end > start
};

struct VoiceStats {
    int track = 0, channel = 0, program = 0;
    std::vector<int> notes; ///< indices into the grid notes
    double meanKey = 0, meanLength = 0, overlapShare = 0;
};

enum class Role { Melody, Bass, Chords, Layer };

/// Maps file ticks to SynthCodec frames: each tempo segment at its nearest SynthCodec tempo.
class FrameMap {
  public:
    FrameMap(const StandardMidiFile& f) : tpq_(f.ticksPerQuarter) {
        double frames = 0;
        for (std::size_t i = 0; i < f.tempos.size(); ++i) {
            const double bpm = 60e6 / f.tempos[i].usPerQuarter;
            int best = 0;
            for (int k = 1; k < kNumTempos; ++k)
                if (std::abs(std::log(bpm / tempoBpm(k))) <
                    std::abs(std::log(bpm / tempoBpm(best))))
                    best = k;
            if (i > 0)
                frames += static_cast<double>(f.tempos[i].tick - segs_.back().tick) *
                          perTick(segs_.back().tempo);
            segs_.push_back({f.tempos[i].tick, frames, best});
        }
    }
    double at(long tick) const {
        auto it = std::upper_bound(segs_.begin(), segs_.end(), tick,
                                   [](long t, const Seg& s) { return t < s.tick; });
        const Seg& s = *(it == segs_.begin() ? it : it - 1);
        return s.frames + static_cast<double>(tick - s.tick) * perTick(s.tempo);
    }
    int frame(long tick) const { return static_cast<int>(std::lround(at(tick))); }
    int firstTempo() const { return segs_.front().tempo; }
    std::vector<int> tempoPerFrame(int frames) const {
        std::vector<int> out(static_cast<std::size_t>(frames), segs_.front().tempo);
        for (std::size_t i = 0; i < segs_.size(); ++i) {
            const long from = std::lround(segs_[i].frames);
            const long to = i + 1 < segs_.size() ? std::lround(segs_[i + 1].frames) : frames;
            for (long t = std::max(0L, from); t < std::min<long>(to, frames); ++t)
                out[static_cast<std::size_t>(t)] = segs_[i].tempo;
        }
        return out;
    }

  private:
    struct Seg {
        long tick;
        double frames;
        int tempo;
    };
    double perTick(int tempo) const { return 4.0 * framesPerSixteenth(tempo) / tpq_; }
    int tpq_;
    std::vector<Seg> segs_;
};

int level(double velocity, double base, double step) {
    return std::clamp(static_cast<int>(std::lround((velocity - base) / step)), 0,
                      kVelocityLevels - 1);
}

std::string keyName(int sharps, bool minor) {
    static const char* major[] = {"Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C",
                                  "G",  "D",  "A",  "E",  "B",  "F#", "C#"};
    static const char* minorNames[] = {"Ab", "Eb", "Bb", "F",  "C",  "G",  "D", "A",
                                       "E",  "B",  "F#", "C#", "G#", "D#", "A#"};
    if (sharps < -7 || sharps > 7) return "";
    return std::string(minor ? minorNames[sharps + 7] : major[sharps + 7]) +
           (minor ? " minor" : " major");
}

/// The band (genre * 2 + variant) whose GM programs fit the voices best: 2 per role with the
/// same program, 1 per role in the same GM family of 8; a drum part counts against classical.
int bandFromPrograms(const std::map<Role, std::vector<int>>& programs, bool drums) {
    int best = 0, bestScore = -1000;
    for (int b = 0; b < kNumGenres * kNumVariants; ++b) {
        const Band& band = bandFor(b / kNumVariants, b % kNumVariants);
        auto fit = [](const std::vector<int>& have, int want) {
            int s = 0;
            for (int p : have)
                s = std::max(s, p == want ? 2 : p / 8 == want / 8 ? 1 : 0);
            return s;
        };
        int score = 0;
        for (const auto& [role, have] : programs)
            score += fit(have, role == Role::Melody  ? band.melodyProgram
                               : role == Role::Bass  ? band.bassProgram
                               : role == Role::Layer ? band.padProgram
                                                     : band.compProgram);
        if (drums && b / kNumVariants == 0) score -= 1;
        if (score > bestScore) best = b, bestScore = score;
    }
    return best;
}

} // namespace

MidiImport MidiReader::read(const std::string& path, const MidiImportOptions& options) {
    const std::string bytes = readBoundedTextFile(path, "MIDI file", kMaxFileBytes);
    return parse(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), path, options);
}

MidiImport MidiReader::parse(const std::uint8_t* data, std::size_t size, const std::string& name,
                             const MidiImportOptions& options) {
    if (options.genre && (*options.genre < 0 || *options.genre >= kNumGenres))
        throw std::invalid_argument("MIDI import: genre index must be 0..3");
    if (options.variant && (*options.variant < 0 || *options.variant >= kNumVariants))
        throw std::invalid_argument("MIDI import: instrument variant must be 0 or 1");
    if (options.brightness < 0 || options.brightness >= kBrightnessLevels)
        throw std::invalid_argument("MIDI import: brightness must be 0, 1 or 2");
    StandardMidiFile f = StandardMidiFile::parse(data, size, name);
    MidiImport out;
    if (f.keySharps) out.key = keyName(*f.keySharps, f.keyMinor);
    out.fileBpm = 60e6 / f.tempos.front().usPerQuarter;
    if (options.quantizeSixteenths) {
        const double step = f.ticksPerQuarter / 4.0;
        for (auto& n : f.notes) {
            const long len = n.end - n.start;
            n.start = static_cast<long>(std::lround(static_cast<double>(n.start) / step) * step);
            n.end = n.start + std::max(1L, static_cast<long>(std::lround(len / step) * step));
            f.endTick = std::max(f.endTick, n.end);
        }
    }

    const FrameMap map(f);
    const int frames = std::max(1, map.frame(f.endTick));
    if (frames > kMaxSeconds * kFrameRate)
        throw MidiError(name + ": lasts " + std::to_string(frames / kFrameRate) +
                        " s at SynthCodec's tempo; at most " +
                        std::to_string(static_cast<int>(kMaxSeconds)) + " s can be imported");
    out.bpm = tempoBpm(map.firstTempo());

    // Notes onto the grid; drums straight into their stream.
    std::vector<GridNote> notes;
    std::vector<VoiceStats> voices;
    std::map<std::pair<int, int>, int> voiceOf;
    std::vector<unsigned> drumMask(static_cast<std::size_t>(frames), 0);
    std::vector<int> drumVel(static_cast<std::size_t>(frames), -1);
    int unknownDrums = 0;
    for (const auto& n : f.notes) {
        const int start = std::min(map.frame(n.start), frames - 1);
        const int end = std::max(start + 1, std::min(map.frame(n.end), frames));
        if (n.channel == kDrumChannel) {
            drumMask[start] |= 1u << drumPiece(n.key);
            drumVel[start] = std::max(drumVel[start], level(n.velocity, 36, 13));
            unknownDrums += n.key < 35 || n.key > 81;
            ++out.drumHits;
            continue;
        }
        auto [it, fresh] =
            voiceOf.try_emplace({n.track, n.channel}, static_cast<int>(voices.size()));
        if (fresh) voices.push_back({n.track, n.channel, n.program, {}, 0, 0, 0});
        voices[it->second].notes.push_back(static_cast<int>(notes.size()));
        notes.push_back({it->second, n.key, n.velocity, n.program, start, end});
    }
    if (unknownDrums)
        out.approximations.push_back(std::to_string(unknownDrums) +
                                     " drum hits outside the GM kit mapped to the nearest piece");

    // Voice statistics: mean key, mean length, share of notes overlapping an earlier one.
    for (auto& v : voices) {
        int maxEnd = -1, overlapping = 0;
        double keys = 0, lengths = 0;
        for (int i : v.notes) {
            const auto& n = notes[static_cast<std::size_t>(i)];
            keys += n.key, lengths += n.end - n.start;
            overlapping += n.start < maxEnd;
            maxEnd = std::max(maxEnd, n.end);
        }
        const double count = static_cast<double>(v.notes.size());
        v.meanKey = keys / count, v.meanLength = lengths / count;
        v.overlapShare = overlapping / count;
    }
    std::vector<Role> role(voices.size(), Role::Chords);
    int melodyVoice = -1, bassVoice = -1;
    for (int i = 0; i < static_cast<int>(voices.size()); ++i) {
        if (voices[static_cast<std::size_t>(i)].overlapShare > 0.15) continue; // polyphonic
        const double m = voices[static_cast<std::size_t>(i)].meanKey;
        if (melodyVoice < 0 || m > voices[static_cast<std::size_t>(melodyVoice)].meanKey)
            melodyVoice = i;
        if (bassVoice < 0 || m < voices[static_cast<std::size_t>(bassVoice)].meanKey) bassVoice = i;
    }
    if (melodyVoice >= 0 && melodyVoice == bassVoice) { // one monophonic voice
        if (voices[static_cast<std::size_t>(melodyVoice)].meanKey < 55)
            melodyVoice = -1;
        else
            bassVoice = -1;
    } else if (melodyVoice >= 0 && voices[static_cast<std::size_t>(bassVoice)].meanKey >
                                       voices[static_cast<std::size_t>(melodyVoice)].meanKey - 5) {
        bassVoice = -1; // two voices in one register: the lower is a chord voice
    }
    if (melodyVoice >= 0) role[static_cast<std::size_t>(melodyVoice)] = Role::Melody;
    if (bassVoice >= 0) role[static_cast<std::size_t>(bassVoice)] = Role::Bass;
    // The texture layer: a chord voice on a track named "Pad" (as MidiWriter names it), or
    // else the most sustained of several chord voices.
    std::vector<int> chordVoices;
    for (int i = 0; i < static_cast<int>(voices.size()); ++i)
        if (role[static_cast<std::size_t>(i)] == Role::Chords) chordVoices.push_back(i);
    int layerVoice = -1;
    for (int i : chordVoices) {
        std::string trackName =
            f.trackNames[static_cast<std::size_t>(voices[static_cast<std::size_t>(i)].track)];
        std::transform(trackName.begin(), trackName.end(), trackName.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        if (trackName.find("pad") != std::string::npos) layerVoice = i;
    }
    if (layerVoice < 0 && chordVoices.size() >= 2)
        for (int i : chordVoices)
            if (layerVoice < 0 || voices[static_cast<std::size_t>(i)].meanLength >=
                                      voices[static_cast<std::size_t>(layerVoice)].meanLength)
                layerVoice = i;
    if (layerVoice >= 0) role[static_cast<std::size_t>(layerVoice)] = Role::Layer;

    // Per-note part; without a melody (or bass) voice, the top (bottom) line of the chord
    // notes starting on each frame is taken.
    std::vector<Role> part(notes.size());
    for (std::size_t i = 0; i < notes.size(); ++i)
        part[i] = role[static_cast<std::size_t>(notes[i].voice)];
    if (melodyVoice < 0 || bassVoice < 0) {
        std::map<int, std::vector<std::size_t>> byFrame;
        for (std::size_t i = 0; i < notes.size(); ++i)
            if (part[i] == Role::Chords) byFrame[notes[i].start].push_back(i);
        for (auto& [frame, list] : byFrame) {
            std::sort(list.begin(), list.end(),
                      [&](std::size_t a, std::size_t b) { return notes[a].key < notes[b].key; });
            if (melodyVoice < 0) {
                part[list.back()] = Role::Melody;
                list.pop_back();
            }
            if (bassVoice < 0 && !list.empty() && notes[list.front()].key < 60 &&
                (list.size() >= 2 || melodyVoice < 0))
                part[list.front()] = Role::Bass;
        }
    }

    // Band.
    std::map<Role, std::vector<int>> programs;
    for (std::size_t i = 0; i < notes.size(); ++i)
        programs[part[i]].push_back(notes[i].program);
    for (auto& [r, list] : programs) {
        std::sort(list.begin(), list.end());
        list.erase(std::unique(list.begin(), list.end()), list.end());
    }
    const int guessed = bandFromPrograms(programs, out.drumHits > 0);
    out.genre = options.genre.value_or(guessed / kNumVariants);
    out.variant = options.variant.value_or(guessed % kNumVariants);
    out.bandFromPrograms = !options.genre && !options.variant;
    const Band& band = bandFor(out.genre, out.variant);

    // Bounds the work of the sweep below (what sounds on each frame), whatever the file.
    double noteFrames = 0;
    for (const auto& n : notes)
        noteFrames += n.end - n.start;
    if (noteFrames > 2e7)
        throw MidiError(name + ": too dense to import (" +
                        std::to_string(static_cast<long>(noteFrames / frames)) +
                        " notes sound at once on average)");

    // One sweep over the frames: what starts and what sounds in each part.
    const auto F = static_cast<std::size_t>(frames);
    std::vector<std::vector<std::size_t>> startsAt(F);
    for (std::size_t i = 0; i < notes.size(); ++i)
        startsAt[static_cast<std::size_t>(notes[i].start)].push_back(i);
    std::vector<int> eventChord(F, -1), bassOnset(F, -1), melodyOnset(F, -1), loud(F, -1);
    std::vector<unsigned> soundingPcs(F, 0);
    std::vector<char> compStrike(F, 0), compSounds(F, 0), bassSounds(F, 0), layerSounds(F, 0);
    std::vector<std::size_t> active;
    int droppedMelody = 0;
    for (std::size_t t = 0; t < F; ++t) {
        const int ti = static_cast<int>(t);
        std::erase_if(active, [&](std::size_t i) { return notes[i].end <= ti; });
        unsigned starting = 0;
        int bassKey = -1, melodyKey = -1, loudSum = 0, loudCount = 0;
        for (std::size_t i : startsAt[t]) {
            active.push_back(i);
            const auto& n = notes[i];
            if (part[i] == Role::Chords || part[i] == Role::Layer) starting |= 1u << (n.key % 12);
            if (part[i] == Role::Chords) compStrike[t] = 1;
            if (part[i] == Role::Bass &&
                (bassKey < 0 || n.key < notes[static_cast<std::size_t>(bassKey)].key))
                bassKey = static_cast<int>(i);
            if (part[i] == Role::Melody) {
                droppedMelody += melodyKey >= 0;
                if (melodyKey < 0 || n.key > notes[static_cast<std::size_t>(melodyKey)].key)
                    melodyKey = static_cast<int>(i);
            }
            if (part[i] == Role::Chords || part[i] == Role::Bass)
                loudSum += level(n.velocity, 40, 10), ++loudCount;
            if (part[i] == Role::Layer) loudSum += level(n.velocity, 25, 10), ++loudCount;
        }
        unsigned pool = 0;
        int lowestBass = -1;
        for (std::size_t i : active) {
            const Role r = part[i];
            soundingPcs[t] |= 1u << (notes[i].key % 12);
            if (r == Role::Chords || r == Role::Layer) pool |= 1u << (notes[i].key % 12);
            compSounds[t] |= r == Role::Chords;
            layerSounds[t] |= r == Role::Layer;
            if (r == Role::Bass) {
                bassSounds[t] = 1;
                if (lowestBass < 0 || notes[i].key < lowestBass) lowestBass = notes[i].key;
            }
        }
        if (starting) {
            // A chord struck whole names itself; a note or two (an arpeggio, a power chord)
            // is read with what still sounds.
            const unsigned pcs = std::popcount(starting) >= 3 ? starting : starting | pool;
            eventChord[t] = ChordNaming::name(pcs, lowestBass < 0 ? -1 : lowestBass % 12);
        }
        bassOnset[t] = bassKey;
        melodyOnset[t] = melodyKey;
        if (loudCount) loud[t] = static_cast<int>(std::lround(double(loudSum) / loudCount));
    }
    if (droppedMelody)
        out.approximations.push_back(std::to_string(droppedMelody) +
                                     " melody notes struck with a higher one dropped (the "
                                     "melody is monophonic)");

    // Loudness: held from each comp/bass/pad onset (their velocities carry it); a piece
    // without those parts takes its mean velocity.
    int firstLoud = -1;
    for (int l : loud)
        if (l >= 0) {
            firstLoud = l;
            break;
        }
    if (firstLoud < 0) {
        double sum = 0;
        for (const auto& n : notes)
            sum += n.velocity;
        firstLoud = notes.empty() ? 4 : level(sum / static_cast<double>(notes.size()), 40, 10);
    }

    std::vector<int> nextEvent(F + 1, -1);
    for (std::size_t t = F; t-- > 0;)
        nextEvent[t] = eventChord[t] >= 0 ? static_cast<int>(t) : nextEvent[t + 1];

    const std::vector<int> tempoOf = map.tempoPerFrame(frames);
    CodeGrid& codes = out.codes;
    codes = CodeGrid(kNumStreams, frames);
    int label = nextEvent[0] >= 0 ? eventChord[static_cast<std::size_t>(nextEvent[0])] : -1;
    if (label < 0) {
        for (std::size_t t = 0; t < F && label < 0; ++t)
            if (bassOnset[t] >= 0)
                label = (notes[static_cast<std::size_t>(bassOnset[t])].key % 12) * kNumQualities +
                        kMajor;
        if (label < 0) label = 0;
    }
    int loudness = firstLoud, melodyEnd = -1, outOfRange = 0, offChord = 0;
    for (std::size_t t = 0; t < F; ++t) {
        const int ti = static_cast<int>(t);
        if (eventChord[t] >= 0) label = eventChord[t];
        HarmonyToken h;
        h.comp = compStrike[t]                                  ? kCompStrike
                 : t > 0 && compSounds[t - 1] && !compSounds[t] ? kCompMute
                                                                : kCompHold;
        if (bassOnset[t] >= 0) {
            const int key = notes[static_cast<std::size_t>(bassOnset[t])].key;
            int move = ChordNaming::exactBassMove(label, key, band.bassShift);
            // A chord change that only the bass shows yet: the next chord named, or the
            // chord of everything sounding over this bass note.
            const int next = nextEvent[t + 1];
            if (move < 0 && next >= 0 &&
                ChordNaming::exactBassMove(eventChord[static_cast<std::size_t>(next)], key,
                                           band.bassShift) >= 0)
                label = eventChord[static_cast<std::size_t>(next)];
            if (move < 0) {
                const int c = ChordNaming::name(soundingPcs[t], key % 12);
                if (ChordNaming::exactBassMove(label, key, band.bassShift) < 0 &&
                    ChordNaming::exactBassMove(c, key, band.bassShift) >= 0)
                    label = c;
                move = ChordNaming::exactBassMove(label, key, band.bassShift);
            }
            if (move < 0) {
                move = ChordNaming::nearestBassMove(label, key, band.bassShift);
                ++offChord;
            }
            h.bass = move;
            ++out.bassNotes;
        } else if (t > 0 && bassSounds[t - 1] && !bassSounds[t]) {
            h.bass = kBassRelease;
        }
        h.chord = label;
        codes.at(kHarmonyStream, ti) = encodeHarmony(h);

        MelodyToken m;
        if (melodyOnset[t] >= 0) {
            const auto& n = notes[static_cast<std::size_t>(melodyOnset[t])];
            int key = n.key;
            while (key < kMelodyLow)
                key += 12;
            while (key > kMelodyHigh)
                key -= 12;
            outOfRange += key != n.key;
            m.kind = MelodyToken::kOnset, m.pitch = key, m.velocity = level(n.velocity, 36, 12);
            melodyEnd = n.end;
            ++out.melodyNotes;
        } else if (ti == melodyEnd) {
            m.kind = MelodyToken::kRelease;
        }
        codes.at(kMelodyStream, ti) = encodeMelody(m);

        codes.at(kDrumStream, ti) =
            drumMask[t] ? encodeDrums({static_cast<std::uint8_t>(drumMask[t]), drumVel[t]}) : 0;

        if (loud[t] >= 0) loudness = loud[t];
        TextureToken tex;
        tex.genre = out.genre, tex.variant = out.variant, tex.loudness = loudness;
        tex.tempo = tempoOf[t], tex.brightness = options.brightness;
        tex.layer = layerSounds[t] ? 1 : 0;
        codes.at(kTextureStream, ti) = encodeTexture(tex);
    }
    for (std::size_t i = 0; i < notes.size(); ++i)
        out.chordNotes += part[i] == Role::Chords || part[i] == Role::Layer;
    if (outOfRange)
        out.approximations.push_back(std::to_string(outOfRange) +
                                     " melody notes moved by octaves into C2-D#7");
    if (offChord)
        out.approximations.push_back(std::to_string(offChord) +
                                     " bass notes that are no chord tone played as the nearest "
                                     "chord tone");
    if (f.smpte) out.approximations.push_back("SMPTE timing read as 120 BPM");
    return out;
}

} // namespace moodsteer
