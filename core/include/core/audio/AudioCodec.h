// The codec seam: the generator drives any codec through this interface (EnCodec 32 kHz for
// MusicGen checkpoints, SynthCodec for the embedded model) and never knows which one it is.
#pragma once

#include "core/audio/AudioBuffer.h"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace moodsteer {

/// K parallel code streams over `frames` frames, row-major: data[k * frames + t].
struct CodeGrid {
    int numCodebooks = 0;
    int frames = 0;
    std::vector<std::int64_t> data;

    CodeGrid() = default;
    CodeGrid(int k, int t) : numCodebooks(k), frames(t), data(static_cast<std::size_t>(k) * t, 0) {}
    std::int64_t& at(int k, int t) { return data[static_cast<std::size_t>(k) * frames + t]; }
    std::int64_t at(int k, int t) const { return data[static_cast<std::size_t>(k) * frames + t]; }
    /// Frames [begin, end) of every stream.
    CodeGrid slice(int begin, int end) const;
};

class CodecError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// Incremental decoder: feed frames as the LM produces them, get audio as soon as it is
/// final. The concatenation of every push() and finish() equals decode() of all frames
/// (exactly, or within the tolerance the codec documents).
class StreamDecoder {
  public:
    virtual ~StreamDecoder() = default;
    virtual std::vector<float> push(const CodeGrid& newFrames) = 0;
    /// Waits for the audio of every frame pushed so far that push() would have returned: a
    /// decoder that returns audio later (on its own thread) hands it over here. Decoders that
    /// return it from push() have nothing to wait for.
    virtual std::vector<float> drain() { return {}; }
    /// push(), then drain(): the audio of `newFrames` that is final, now.
    std::vector<float> pushAndDrain(const CodeGrid& newFrames) {
        std::vector<float> audio = push(newFrames);
        std::vector<float> rest = drain();
        audio.insert(audio.end(), rest.begin(), rest.end());
        return audio;
    }
    virtual std::vector<float> finish() = 0;
    /// A copy with the same state (to try frames without committing them), or null when the
    /// codec cannot copy its state (the caller then approximates, e.g. decodes with context).
    virtual std::unique_ptr<StreamDecoder> clone() const { return nullptr; }
};

class AudioCodec {
  public:
    virtual ~AudioCodec() = default;
    virtual std::string name() const = 0;
    virtual int sampleRate() const = 0;
    virtual double frameRate() const = 0;
    virtual int numCodebooks() const = 0;
    virtual int cardinality() const = 0;
    virtual int samplesPerFrame() const = 0;

    /// Throws CodecError for codes out of [0, cardinality) or a wrong number of streams.
    virtual AudioBuffer decode(const CodeGrid& codes) const = 0;
    virtual std::unique_ptr<StreamDecoder> streamDecoder() const = 0;

    /// false when the codec cannot encode recordings (SynthCodec is symbolic).
    virtual bool canEncode() const = 0;
    /// Throws CodecError (saying why) when canEncode() is false.
    virtual CodeGrid encode(const AudioBuffer& audio) const = 0;
};

} // namespace moodsteer
