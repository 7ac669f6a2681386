// libFuzzer target for MIDI import (MidiReader: Standard MIDI File -> SynthCodec codes): any
// bytes must give a valid SynthCodec grid of at most MidiReader::kMaxSeconds, or throw
// MidiError whose one line starts with the file's name. What MidiWriter writes from an import
// must import again (we wrote it). Another exception type, a crash or a hang is a finding.
#include "core/synth/MidiReader.h"
#include "core/synth/MidiWriter.h"
#include "core/synth/SynthCodec.h"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace moodsteer;
    MidiImport m;
    try {
        m = MidiReader::parse(data, size, "fuzz.mid");
    } catch (const MidiError& e) {
        const std::string msg = e.what();
        if (msg.rfind("fuzz.mid: ", 0) != 0 || msg.find('\n') != std::string::npos) std::abort();
        return 0;
    }
    SynthCodec::validate(m.codes); // throws CodecError (a finding) when not a valid grid
    if (m.codes.frames < 1 || m.codes.frames > MidiReader::kMaxSeconds * 25) std::abort();
    const auto again = MidiWriter::render(m.codes);
    const MidiImport back = MidiReader::parse(again.data(), again.size(), "again.mid");
    if (back.codes.frames != m.codes.frames) std::abort();
    return 0;
}
