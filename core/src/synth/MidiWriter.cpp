#include "core/synth/MidiWriter.h"

#include "SynthTokens.h"
#include "core/synth/SynthScore.h"
#include "models/AtomicFile.h"

#include <algorithm>
#include <array>
#include <span>

namespace moodsteer {

using namespace synth;

namespace {

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

} // namespace

std::vector<std::uint8_t> MidiWriter::render(const CodeGrid& codes) {
    const SynthScore score = SynthScore::fromCodes(codes);
    Track conductor("MoodSteer SynthCodec"), melody("Melody"), comp("Chords"), pad("Pad"),
        bass("Bass"), drums("Drums");
    enum { kChComp = 0, kChBass = 1, kChMelody = 2, kChPad = 3, kChDrums = 9 };
    conductor.add(0, 0, {0xFF, 0x58, 0x04, 0x04, 0x02, 0x18, 0x08}); // 4/4
    for (const auto& tc : score.tempos) {
        const auto usPerQuarter = static_cast<std::uint32_t>(60e6 / tempoBpm(tc.tempoIndex) + 0.5);
        conductor.add(tc.tick, 0,
                      {0xFF, 0x51, 0x03, static_cast<std::uint8_t>(usPerQuarter >> 16),
                       static_cast<std::uint8_t>(usPerQuarter >> 8),
                       static_cast<std::uint8_t>(usPerQuarter)});
    }
    // Programs first: at a band change they precede that tick's note-offs.
    for (const auto& b : score.bands) {
        comp.program(b.tick, kChComp, b.compProgram);
        pad.program(b.tick, kChPad, b.padProgram);
        bass.program(b.tick, kChBass, b.bassProgram);
        melody.program(b.tick, kChMelody, b.melodyProgram);
    }
    for (const auto& n : score.notes) {
        Track* track = &drums;
        int ch = kChDrums;
        switch (n.part) {
        case SynthPart::Melody:
            track = &melody, ch = kChMelody;
            break;
        case SynthPart::Chords:
            track = &comp, ch = kChComp;
            break;
        case SynthPart::Pad:
            track = &pad, ch = kChPad;
            break;
        case SynthPart::Bass:
            track = &bass, ch = kChBass;
            break;
        case SynthPart::Drums:
            break;
        }
        track->noteOn(n.startTick, ch, n.key, n.velocity);
        track->noteOff(n.endTick, ch, n.key);
    }
    const long tick = score.endTick;

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
