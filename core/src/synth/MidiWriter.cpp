#include "core/synth/MidiWriter.h"

#include "Band.h"
#include "SynthTokens.h"
#include "core/synth/SynthCodec.h"
#include "models/AtomicFile.h"

#include <algorithm>
#include <array>
#include <span>

namespace moodsteer {

using namespace synth;

namespace {

// GM percussion keys for kKick .. kTom.
constexpr int kDrumKeys[kNumDrums] = {36, 38, 39, 42, 46, 51, 49, 45};

struct Event {
    long tick;
    int order; ///< note-offs (0) before note-ons (1) at the same tick
    std::vector<std::uint8_t> bytes;
};

class Track {
  public:
    explicit Track(std::string name) : name_(std::move(name)) {}
    void add(long tick, int order, std::vector<std::uint8_t> bytes) {
        events_.push_back({tick, order, std::move(bytes)});
    }
    void noteOn(long tick, int ch, int key, int vel) {
        add(tick, 1,
            {static_cast<std::uint8_t>(0x90 | ch), static_cast<std::uint8_t>(key),
             static_cast<std::uint8_t>(std::clamp(vel, 1, 127))});
    }
    void noteOff(long tick, int ch, int key) {
        add(tick, 0, {static_cast<std::uint8_t>(0x80 | ch), static_cast<std::uint8_t>(key), 64});
    }
    void program(long tick, int ch, int prog) {
        add(tick, 0, {static_cast<std::uint8_t>(0xC0 | ch), static_cast<std::uint8_t>(prog)});
    }
    std::vector<std::uint8_t> chunk(long endTick) {
        std::stable_sort(events_.begin(), events_.end(), [](const Event& a, const Event& b) {
            return a.tick != b.tick ? a.tick < b.tick : a.order < b.order;
        });
        std::vector<std::uint8_t> data;
        auto vlq = [&](unsigned long v) {
            std::uint8_t buf[5];
            int n = 0;
            buf[n++] = static_cast<std::uint8_t>(v & 0x7F);
            while (v >>= 7)
                buf[n++] = static_cast<std::uint8_t>(0x80 | (v & 0x7F));
            while (n)
                data.push_back(buf[--n]);
        };
        vlq(0);
        data.insert(data.end(), {0xFF, 0x03, static_cast<std::uint8_t>(name_.size())});
        data.insert(data.end(), name_.begin(), name_.end());
        long now = 0;
        for (const auto& e : events_) {
            vlq(static_cast<unsigned long>(e.tick - now));
            now = e.tick;
            data.insert(data.end(), e.bytes.begin(), e.bytes.end());
        }
        vlq(static_cast<unsigned long>(std::max(0L, endTick - now)));
        data.insert(data.end(), {0xFF, 0x2F, 0x00});
        std::vector<std::uint8_t> out{'M', 'T', 'r', 'k'};
        const auto n = static_cast<std::uint32_t>(data.size());
        for (int s = 24; s >= 0; s -= 8)
            out.push_back(static_cast<std::uint8_t>(n >> s));
        out.insert(out.end(), data.begin(), data.end());
        return out;
    }

  private:
    std::string name_;
    std::vector<Event> events_;
};

// A part that holds a set of sounding keys and turns them off when replaced.
struct Held {
    std::vector<int> keys;
    void off(Track& t, long tick, int ch) {
        for (int k : keys)
            t.noteOff(tick, ch, k);
        keys.clear();
    }
};

} // namespace

std::vector<std::uint8_t> MidiWriter::render(const CodeGrid& codes) {
    SynthCodec::validate(codes);
    Track conductor("MoodSteer SynthCodec"), melody("Melody"), comp("Chords"), pad("Pad"),
        bass("Bass"), drums("Drums");
    enum { kChComp = 0, kChBass = 1, kChMelody = 2, kChPad = 3, kChDrums = 9 };
    conductor.add(0, 0, {0xFF, 0x58, 0x04, 0x04, 0x02, 0x18, 0x08}); // 4/4

    TextureToken tex;
    int chord = -1, band = -1, tempo = -1;
    Held compKeys, padKeys, bassKey, melodyKey;
    long tick = 0;
    for (int t = 0; t < codes.frames; ++t) {
        TextureToken nt = tex;
        decodeTexture(codes.at(kTextureStream, t), nt);
        const bool layerChanged = t == 0 || nt.layer != tex.layer;
        tex = nt;
        if (tex.tempo != tempo) {
            tempo = tex.tempo;
            const auto usPerQuarter = static_cast<std::uint32_t>(60e6 / tempoBpm(tempo) + 0.5);
            conductor.add(tick, 0,
                          {0xFF, 0x51, 0x03, static_cast<std::uint8_t>(usPerQuarter >> 16),
                           static_cast<std::uint8_t>(usPerQuarter >> 8),
                           static_cast<std::uint8_t>(usPerQuarter)});
        }
        const Band& b = bandFor(tex.genre, tex.variant);
        if (tex.genre * kNumVariants + tex.variant != band) {
            band = tex.genre * kNumVariants + tex.variant;
            comp.program(tick, kChComp, b.compProgram);
            pad.program(tick, kChPad, b.padProgram);
            bass.program(tick, kChBass, b.bassProgram);
            melody.program(tick, kChMelody, b.melodyProgram);
        }
        const int partVel = 40 + 10 * tex.loudness;

        bool padRefresh = layerChanged;
        HarmonyToken h;
        if (decodeHarmony(codes.at(kHarmonyStream, t), h)) {
            const bool changed = h.chord != chord;
            chord = h.chord;
            if (h.comp == kCompMute) compKeys.off(comp, tick, kChComp);
            if (h.comp == kCompStrike) {
                compKeys.off(comp, tick, kChComp);
                int p[4];
                const int n = chordVoicing(chord, b.compLow, b.comp == Instrument::DistGuitar, p);
                for (int k = 0; k < n; ++k) {
                    if (std::find(compKeys.keys.begin(), compKeys.keys.end(), p[k]) !=
                        compKeys.keys.end())
                        continue;
                    comp.noteOn(tick, kChComp, p[k], partVel);
                    compKeys.keys.push_back(p[k]);
                }
            }
            padRefresh = padRefresh || changed;
            if (h.bass == kBassRelease)
                bassKey.off(bass, tick, kChBass);
            else if (const int p = bassPitch(chord, h.bass); p >= 0) {
                bassKey.off(bass, tick, kChBass);
                bass.noteOn(tick, kChBass, p + b.bassShift, partVel);
                bassKey.keys.push_back(p + b.bassShift);
            }
        }
        // The pad layer follows every chord change while the texture layer is on (as in
        // SynthEngine::startPad).
        if (padRefresh) {
            padKeys.off(pad, tick, kChPad);
            if (tex.layer == 1 && chord >= 0) {
                int p[4];
                const int n = chordVoicing(chord, b.padLow, false, p);
                for (int k = 0; k < n; ++k)
                    if (std::find(padKeys.keys.begin(), padKeys.keys.end(), p[k]) ==
                        padKeys.keys.end()) {
                        pad.noteOn(tick, kChPad, p[k], partVel - 15);
                        padKeys.keys.push_back(p[k]);
                    }
            }
        }

        MelodyToken m;
        if (decodeMelody(codes.at(kMelodyStream, t), m) && m.kind != MelodyToken::kHold) {
            melodyKey.off(melody, tick, kChMelody);
            if (m.kind == MelodyToken::kOnset) {
                melody.noteOn(tick, kChMelody, m.pitch, 36 + 12 * m.velocity);
                melodyKey.keys.push_back(m.pitch);
            }
        }

        const long next = tick + kTicksPerQuarter / (4 * framesPerSixteenth(tex.tempo));
        DrumToken d;
        if (decodeDrums(codes.at(kDrumStream, t), d))
            for (int k = 0; k < kNumDrums; ++k)
                if (d.mask & (1u << k)) {
                    drums.noteOn(tick, kChDrums, kDrumKeys[k], 36 + 13 * d.velocity);
                    drums.noteOff(next, kChDrums, kDrumKeys[k]);
                }
        tick = next;
    }
    compKeys.off(comp, tick, kChComp);
    padKeys.off(pad, tick, kChPad);
    bassKey.off(bass, tick, kChBass);
    melodyKey.off(melody, tick, kChMelody);

    std::vector<std::uint8_t> out{'M',
                                  'T',
                                  'h',
                                  'd',
                                  0,
                                  0,
                                  0,
                                  6,
                                  0,
                                  1,
                                  0,
                                  6,
                                  static_cast<std::uint8_t>(kTicksPerQuarter >> 8),
                                  static_cast<std::uint8_t>(kTicksPerQuarter & 0xFF)};
    for (Track* tr : {&conductor, &melody, &comp, &pad, &bass, &drums}) {
        const auto c = tr->chunk(tick);
        out.insert(out.end(), c.begin(), c.end());
    }
    return out;
}

void MidiWriter::write(const std::string& path, const CodeGrid& codes) {
    const auto bytes = render(codes);
    models::writeBytesAtomically(
        path,
        std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()));
}

} // namespace moodsteer
