// AudioCodec over the EnCodec 32 kHz model of a MusicGen checkpoint.
#pragma once

#include "core/audio/AudioCodec.h"
#include "models/Encodec.h"

namespace moodsteer {

class EncodecCodec : public AudioCodec {
  public:
    EncodecCodec(models::EncodecModel model, int numCodebooks);

    std::string name() const override { return "encodec_32khz"; }
    int sampleRate() const override;
    double frameRate() const override;
    int numCodebooks() const override { return k_; }
    int cardinality() const override;
    int samplesPerFrame() const override;
    AudioBuffer decode(const CodeGrid& codes) const override;
    std::unique_ptr<StreamDecoder> streamDecoder() const override;
    bool canEncode() const override { return true; }
    CodeGrid encode(const AudioBuffer& audio) const override;

  private:
    void check(const CodeGrid& codes) const;
    mutable models::EncodecModel model_; // forward passes are not const in LibTorch
    int k_;
};

} // namespace moodsteer
