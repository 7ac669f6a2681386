#include "core/synth/SynthCodec.h"

#include "SynthEngine.h"

#include <string>

namespace moodsteer {

using namespace synth;

int SynthCodec::sampleRate() const {
    return kSampleRate;
}
double SynthCodec::frameRate() const {
    return kFrameRate;
}
int SynthCodec::numCodebooks() const {
    return kNumStreams;
}
int SynthCodec::cardinality() const {
    return kCardinality;
}
int SynthCodec::samplesPerFrame() const {
    return kSamplesPerFrame;
}

void SynthCodec::validate(const CodeGrid& codes) {
    if (codes.numCodebooks != kNumStreams)
        throw CodecError("synthcodec: expected " + std::to_string(kNumStreams) +
                         " code streams, got " + std::to_string(codes.numCodebooks));
    if (codes.frames < 0 ||
        codes.data.size() != static_cast<std::size_t>(codes.numCodebooks) * codes.frames)
        throw CodecError("synthcodec: code grid size does not match its shape");
    for (int k = 0; k < codes.numCodebooks; ++k)
        for (int t = 0; t < codes.frames; ++t) {
            const auto c = codes.at(k, t);
            if (c < 0 || c >= kCardinality)
                throw CodecError("synthcodec: code " + std::to_string(c) + " at stream " +
                                 std::to_string(k) + ", frame " + std::to_string(t) +
                                 " is outside [0, " + std::to_string(kCardinality) + ")");
        }
}

namespace {

class SynthStreamDecoder : public StreamDecoder {
  public:
    std::vector<float> push(const CodeGrid& frames) override {
        SynthCodec::validate(frames);
        std::vector<float> out(static_cast<std::size_t>(frames.frames) * kSamplesPerFrame);
        std::int64_t codes[kNumStreams];
        for (int t = 0; t < frames.frames; ++t) {
            for (int k = 0; k < kNumStreams; ++k)
                codes[k] = frames.at(k, t);
            engine_.renderFrame(codes, out.data() + static_cast<std::size_t>(t) * kSamplesPerFrame);
        }
        return out;
    }
    std::vector<float> finish() override { return engine_.renderTail(); }
    // The synthesizer's state is plain values (voices, buffers, reverb lines): a copy is exact.
    std::unique_ptr<StreamDecoder> clone() const override {
        return std::make_unique<SynthStreamDecoder>(*this);
    }

  private:
    SynthEngine engine_;
};

} // namespace

AudioBuffer SynthCodec::decode(const CodeGrid& codes) const {
    validate(codes);
    SynthStreamDecoder decoder;
    AudioBuffer audio;
    audio.sampleRate = kSampleRate;
    audio.samples = decoder.push(codes);
    const auto tail = decoder.finish();
    audio.samples.insert(audio.samples.end(), tail.begin(), tail.end());
    return audio;
}

std::unique_ptr<StreamDecoder> SynthCodec::streamDecoder() const {
    return std::make_unique<SynthStreamDecoder>();
}

CodeGrid SynthCodec::encode(const AudioBuffer&) const {
    throw CodecError("synthcodec is a symbolic codec: it renders tokens to audio but cannot "
                     "encode recordings (use EnCodec for audio input)");
}

} // namespace moodsteer
