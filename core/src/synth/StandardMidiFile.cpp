#include "StandardMidiFile.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <string>

namespace moodsteer {

namespace {

class Cursor {
  public:
    Cursor(const std::uint8_t* data, std::size_t size, const std::string& name)
        : p_(data), size_(size), name_(name) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw MidiError(name_ + ": " + what + where_);
    }
    void setWhere(std::string where) { where_ = std::move(where); }
    std::size_t pos() const { return pos_; }
    std::size_t left() const { return size_ - pos_; }
    void need(std::size_t n, const char* what) const {
        if (left() < n)
            fail(std::string("truncated: ") + what + " needs " + std::to_string(n) + " bytes, " +
                 std::to_string(left()) + " remain");
    }
    std::uint8_t u8(const char* what) {
        need(1, what);
        return p_[pos_++];
    }
    std::uint8_t peek() const { return p_[pos_]; }
    std::uint32_t be(int bytes, const char* what) {
        need(static_cast<std::size_t>(bytes), what);
        std::uint32_t v = 0;
        for (int i = 0; i < bytes; ++i)
            v = (v << 8) | p_[pos_++];
        return v;
    }
    /// A variable-length quantity: at most 4 bytes (28 bits), as the format defines it.
    std::uint32_t vlq(const char* what) {
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            const std::uint8_t c = u8(what);
            v = (v << 7) | (c & 0x7F);
            if (!(c & 0x80)) return v;
        }
        fail(std::string("bad variable-length ") + what + " (more than 4 bytes)");
    }
    void skip(std::size_t n, const char* what) {
        need(n, what);
        pos_ += n;
    }
    const std::uint8_t* here() const { return p_ + pos_; }

  private:
    const std::uint8_t* p_;
    std::size_t size_, pos_ = 0;
    const std::string& name_;
    std::string where_;
};

std::string printable(const std::uint8_t* id) {
    std::string s;
    for (int i = 0; i < 4; ++i)
        s += std::isprint(id[i]) ? static_cast<char>(id[i]) : '?';
    return s;
}

bool isAsciiId(const std::uint8_t* id) {
    return std::all_of(id, id + 4, [](std::uint8_t c) { return c >= 0x20 && c < 0x7F; });
}

} // namespace

StandardMidiFile StandardMidiFile::parse(const std::uint8_t* data, std::size_t size,
                                         const std::string& name) {
    StandardMidiFile f;
    Cursor c(data, size, name);
    if (size < 14 || std::string(reinterpret_cast<const char*>(data), 4) != "MThd")
        c.fail(size < 4 ? "not a Standard MIDI File (" + std::to_string(size) + " bytes)"
                        : "not a Standard MIDI File (starts with '" + printable(data) +
                              "', not 'MThd')");
    c.skip(4, "header");
    const std::uint32_t headerLength = c.be(4, "header");
    if (headerLength < 6 || headerLength > c.left())
        c.fail("bad header length " + std::to_string(headerLength));
    f.format = static_cast<int>(c.be(2, "header"));
    const int tracks = static_cast<int>(c.be(2, "header"));
    const std::uint32_t division = c.be(2, "header");
    c.skip(headerLength - 6, "header");
    if (f.format == 2)
        c.fail("is a type 2 MIDI file (independent sequences); only types 0 and 1 are supported");
    if (f.format > 2) c.fail("unknown MIDI file type " + std::to_string(f.format));
    if (tracks == 0) c.fail("has no tracks");
    double tickScale = 1.0; // SMPTE: file ticks -> quarter ticks at 120 BPM
    if (division & 0x8000) {
        const int fps = -static_cast<std::int8_t>(division >> 8);
        const int perFrame = static_cast<int>(division & 0xFF);
        if (fps <= 0 || perFrame == 0)
            c.fail("bad SMPTE time division " + std::to_string(division));
        f.smpte = true;
        f.ticksPerQuarter = 480;
        tickScale = 480.0 / (0.5 * (fps == 29 ? 29.97 : fps) * perFrame);
    } else {
        if (division == 0) c.fail("time division is 0 ticks per quarter note");
        f.ticksPerQuarter = static_cast<int>(division);
    }

    // Sounding notes per (track, channel, key), in onset order.
    std::map<std::tuple<int, int, int>, std::vector<Note>> sounding;
    auto closeNote = [&](const std::tuple<int, int, int>& k, long tick) {
        auto it = sounding.find(k);
        if (it == sounding.end() || it->second.empty()) return; // an off without an on
        Note n = it->second.front();
        it->second.erase(it->second.begin());
        n.end = std::max(tick, n.start + 1);
        if (f.notes.size() >= kMaxNotes)
            c.fail("has more than " + std::to_string(kMaxNotes) + " notes");
        f.notes.push_back(n);
    };

    int track = 0;
    while (track < tracks) {
        c.setWhere("");
        if (c.left() < 8)
            c.fail("truncated: the header announces " + std::to_string(tracks) +
                   " tracks, the file ends after " + std::to_string(track));
        const std::uint8_t* id = c.here();
        c.skip(4, "chunk");
        const std::uint32_t length = c.be(4, "chunk length");
        if (std::string(reinterpret_cast<const char*>(id), 4) != "MTrk") {
            if (!isAsciiId(id))
                c.fail("chunk at byte " + std::to_string(c.pos() - 8) +
                       " is not a MIDI track (id '" + printable(id) + "')");
            if (length > c.left())
                c.fail("truncated: chunk '" + printable(id) + "' claims " + std::to_string(length) +
                       " bytes, " + std::to_string(c.left()) + " remain");
            c.skip(length, "chunk"); // the format says to skip chunks it does not define
            continue;
        }
        if (length > c.left())
            c.fail("truncated: track " + std::to_string(track + 1) + " claims " +
                   std::to_string(length) + " bytes, " + std::to_string(c.left()) + " remain");
        Cursor t(c.here(), length, name);
        c.skip(length, "track");
        t.setWhere(" (track " + std::to_string(track + 1) + ")");

        f.trackNames.emplace_back();
        int program[16] = {};
        std::uint8_t status = 0;
        std::uint64_t fileTick = 0;
        long now = 0;
        bool ended = false;
        auto data = [&](const char* what) {
            const std::uint8_t v = t.u8(what);
            if (v & 0x80)
                t.fail("status byte " + std::to_string(v) + " where a data byte belongs, at byte " +
                       std::to_string(t.pos() - 1));
            return v;
        };
        while (t.left() > 0 && !ended) {
            fileTick += t.vlq("delta time");
            now = static_cast<long>(static_cast<double>(fileTick) * tickScale + 0.5);
            if (fileTick > static_cast<std::uint64_t>(kMaxTicks) || now > kMaxTicks)
                t.fail("runs past " + std::to_string(kMaxTicks) + " ticks");
            const std::uint8_t b = t.u8("event");
            if (b == 0xFF) { // meta event
                const std::uint8_t type = t.u8("meta event");
                const std::uint32_t len = t.vlq("meta length");
                t.need(len, "meta event");
                const std::uint8_t* m = t.here();
                if (type == 0x2F) ended = true;
                if (type == 0x03 && f.trackNames.back().empty())
                    f.trackNames.back().assign(reinterpret_cast<const char*>(m),
                                               std::min<std::size_t>(len, 64));
                if (type == 0x51) {
                    if (len != 3) t.fail("tempo event of " + std::to_string(len) + " bytes, not 3");
                    const double us = (m[0] << 16) | (m[1] << 8) | m[2];
                    if (us <= 0) t.fail("tempo of 0 microseconds per quarter note");
                    if (!f.smpte) f.tempos.push_back({now, us});
                }
                if (type == 0x59 && len == 2 && !f.keySharps) {
                    f.keySharps = static_cast<std::int8_t>(m[0]);
                    f.keyMinor = m[1] != 0;
                }
                t.skip(len, "meta event");
                continue;
            }
            if (b == 0xF0 || b == 0xF7) { // system exclusive: skipped
                t.skip(t.vlq("sysex length"), "sysex");
                continue;
            }
            if (b >= 0xF1)
                t.fail("system message " + std::to_string(b) + " inside a track at byte " +
                       std::to_string(t.pos() - 1));
            std::uint8_t first;
            if (b & 0x80) {
                status = b;
                first = data("channel event");
            } else if (status == 0) {
                t.fail("running status without a preceding status byte at byte " +
                       std::to_string(t.pos() - 1));
            } else {
                first = b; // running status: the status byte is implied
            }
            const int kind = status & 0xF0, ch = status & 0x0F;
            if (kind == 0xC0) {
                program[ch] = first;
                continue;
            }
            if (kind == 0xD0) continue;
            const std::uint8_t second = data("channel event");
            const auto key = std::make_tuple(track, ch, static_cast<int>(first));
            if (kind == 0x90 && second > 0) {
                auto& list = sounding[key];
                // A repeated note-on restarts the key: the sounding one ends here.
                if (!list.empty()) closeNote(key, now);
                sounding[key].push_back({track, ch, first, second, program[ch], now, now});
            } else if (kind == 0x80 || kind == 0x90) {
                closeNote(key, now);
            }
        }
        // Notes left sounding end with their track.
        for (auto& [k, list] : sounding)
            while (!list.empty() && std::get<0>(k) == track)
                closeNote(k, now);
        f.endTick = std::max(f.endTick, now);
        ++track;
    }
    c.setWhere("");
    if (f.notes.empty()) c.fail("has no notes");
    std::stable_sort(f.notes.begin(), f.notes.end(),
                     [](const Note& a, const Note& b) { return a.start < b.start; });
    for (const auto& n : f.notes)
        f.endTick = std::max(f.endTick, n.end);
    std::stable_sort(f.tempos.begin(), f.tempos.end(),
                     [](const Tempo& a, const Tempo& b) { return a.tick < b.tick; });
    if (f.tempos.empty() || f.tempos.front().tick > 0) f.tempos.insert(f.tempos.begin(), Tempo{});
    return f;
}

} // namespace moodsteer
