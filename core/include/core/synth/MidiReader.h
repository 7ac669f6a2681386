// Standard MIDI File (type 0 or 1) -> SynthCodec codes, so a musician's own piece can be
// played, exported and varied like a generated clip (docs/midi-import.md).
//
//  - drums: notes on GM channel 10, each key to the nearest of SynthCodec's 8 kit pieces;
//  - melody: the highest (mostly monophonic) voice, bass: the lowest; a voice is one
//    (track, channel); a file whose notes are all polyphonic (one piano track) is split into
//    its top line, its bottom line and the rest;
//  - everything else: the chords, recognised as root + one of SynthCodec's 8 qualities; the
//    most sustained of several chord voices becomes the texture layer (pad);
//  - tempo: each tempo of the file to the nearest SynthCodec tempo (in log BPM), notes onto
//    its frame grid (or first onto sixteenth notes); pitches are kept, so the key is kept;
//  - genre and instrument set from the GM programs (or the options); brightness is not in
//    MIDI (an option, default 1).
//
// Thread-safe: no shared state.
#pragma once

#include "core/audio/AudioCodec.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace moodsteer {

/// One line naming the file and what is wrong with it.
class MidiError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct MidiImportOptions {
    std::optional<int> genre;   ///< 0..3 (Composer::genres() order); default: from the programs
    std::optional<int> variant; ///< 0..1; default: from the programs
    int brightness = 1;         ///< 0..2
    bool quantizeSixteenths = false; ///< snap onsets to sixteenth notes before the frame grid
};

struct MidiImport {
    CodeGrid codes;         ///< SynthCodec, 4 x frames
    double fileBpm = 120.0; ///< the file's first tempo
    double bpm = 125.0;     ///< the SynthCodec tempo it became
    int genre = 0, variant = 0;
    bool bandFromPrograms = true; ///< false when the options chose it
    std::string key;              ///< from the key signature, e.g. "F# minor"; "" if none
    int melodyNotes = 0, bassNotes = 0, chordNotes = 0, drumHits = 0;
    /// What was approximated, one short line each (notes moved by octaves into the melody
    /// range, bass notes that are no chord tone, keys outside the GM kit, ...).
    std::vector<std::string> approximations;

    double seconds() const { return codes.frames / 25.0; }
};

class MidiReader {
  public:
    static constexpr std::uint64_t kMaxFileBytes = 8ull << 20; ///< 8 MB
    static constexpr double kMaxSeconds = 600.0;

    /// Reads `path` (a regular file of at most kMaxFileBytes; a FIFO or device is refused
    /// unread). Throws MidiError (or std::runtime_error from the bounded reader) naming it.
    static MidiImport read(const std::string& path, const MidiImportOptions& options = {});
    /// The same for bytes in memory; `name` starts every error.
    static MidiImport parse(const std::uint8_t* data, std::size_t size, const std::string& name,
                            const MidiImportOptions& options = {});
};

} // namespace moodsteer
