// A Standard MIDI File (type 0 or 1) reduced to what the importer needs: paired notes with
// their channel and program, the tempo map, the key signature and the end tick. Every
// malformed input (wrong chunk, truncation, running status without a status byte, absurd
// lengths, type 2, SMPTE division 0) throws MidiError with one line naming the file.
#pragma once

#include "core/synth/MidiReader.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace moodsteer {

struct StandardMidiFile {
    struct Note {
        int track = 0, channel = 0, key = 60, velocity = 64, program = 0;
        long start = 0, end = 0; ///< ticks; end > start
    };
    struct Tempo {
        long tick = 0;
        double usPerQuarter = 500000.0;
    };

    int format = 1;
    int ticksPerQuarter = 480; ///< SMPTE files: converted as if at 120 BPM
    bool smpte = false;
    std::vector<Note> notes;   ///< sorted by start tick
    std::vector<Tempo> tempos; ///< sorted, the first at tick 0 (120 BPM when the file has none)
    long endTick = 0;          ///< the latest note end or end-of-track
    std::vector<std::string> trackNames; ///< per track ("" without a name event)
    std::optional<int> keySharps;        ///< key signature: sharps (negative: flats)
    bool keyMinor = false;

    static constexpr long kMaxTicks = 1L << 31;
    static constexpr std::size_t kMaxNotes = 1u << 20;

    /// Parses `size` bytes; `name` (the path) starts every error.
    static StandardMidiFile parse(const std::uint8_t* data, std::size_t size,
                                  const std::string& name);
};

} // namespace moodsteer
