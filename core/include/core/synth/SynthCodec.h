// SynthCodec: the embedded model's symbolic codec. Four token streams at 25 frames/s
// (harmony+bass, melody, drums, texture/genre/dynamics; layout in docs/synthcodec.md) are
// rendered to 32 kHz mono by a built-in synthesizer. It cannot encode recordings.
#pragma once

#include "core/audio/AudioCodec.h"

namespace moodsteer {

class SynthCodec : public AudioCodec {
  public:
    std::string name() const override { return "synthcodec"; }
    int sampleRate() const override;
    double frameRate() const override;
    int numCodebooks() const override;
    int cardinality() const override;
    int samplesPerFrame() const override;

    /// frames * samplesPerFrame() samples followed by a 0.25 s faded release tail.
    /// Deterministic: the same codes give the same samples bit for bit. Throws CodecError
    /// for a wrong number of streams or a code outside [0, cardinality()).
    AudioBuffer decode(const CodeGrid& codes) const override;
    /// push() returns the samples of the pushed frames at once (no look-ahead); finish()
    /// returns the tail. The concatenation is bit-identical to decode().
    std::unique_ptr<StreamDecoder> streamDecoder() const override;

    bool canEncode() const override { return false; }
    /// Always throws CodecError: the codec is symbolic.
    CodeGrid encode(const AudioBuffer& audio) const override;

    /// Throws CodecError when `codes` is not a valid SynthCodec grid.
    static void validate(const CodeGrid& codes);
};

} // namespace moodsteer
