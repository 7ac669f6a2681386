// Tokens -> Standard MIDI File (type 1) for SynthCodec codes: a conductor track (tempo, 4/4)
// and one track per part (melody, chords, pad, bass, drums on channel 10) with General MIDI
// programs for the genre's instruments, so a DAW opens the piece with sensible sounds.
#pragma once

#include "core/audio/AudioCodec.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moodsteer {

class MidiWriter {
  public:
    static constexpr int kTicksPerQuarter = 480;

    /// The file image. Throws CodecError for codes that are not a valid SynthCodec grid.
    static std::vector<std::uint8_t> render(const CodeGrid& codes);
    /// Writes render(codes) to `path` atomically; throws std::runtime_error naming the path.
    static void write(const std::string& path, const CodeGrid& codes);
};

} // namespace moodsteer
