#include "engine/EncodecCodec.h"

#include "models/EncodecStreamingDecoder.h"

#include <torch/torch.h>

namespace moodsteer {
namespace {

torch::Tensor toTensor(const CodeGrid& codes) {
    return torch::from_blob(const_cast<std::int64_t*>(codes.data.data()),
                            {1, codes.numCodebooks, codes.frames}, torch::kInt64)
        .clone();
}

class EncodecStream : public StreamDecoder {
  public:
    explicit EncodecStream(models::EncodecModel model)
        : dec_(std::make_unique<models::EncodecStreamingDecoder>(std::move(model))) {}
    explicit EncodecStream(std::unique_ptr<models::EncodecStreamingDecoder> dec)
        : dec_(std::move(dec)) {}
    std::vector<float> push(const CodeGrid& fresh) override {
        torch::NoGradGuard g;
        return dec_->push(toTensor(fresh).squeeze(0));
    }
    std::vector<float> finish() override {
        torch::NoGradGuard g;
        return dec_->finish();
    }
    std::unique_ptr<StreamDecoder> clone() const override {
        return std::make_unique<EncodecStream>(dec_->clone());
    }

  private:
    std::unique_ptr<models::EncodecStreamingDecoder> dec_;
};

} // namespace

EncodecCodec::EncodecCodec(models::EncodecModel model, int numCodebooks)
    : model_(std::move(model)), k_(numCodebooks) {}

int EncodecCodec::sampleRate() const {
    return static_cast<int>(model_->config().sampling_rate);
}
double EncodecCodec::frameRate() const {
    return model_->config().frameRate();
}
int EncodecCodec::cardinality() const {
    return static_cast<int>(model_->config().codebook_size);
}
int EncodecCodec::samplesPerFrame() const {
    return static_cast<int>(model_->config().hopLength());
}

void EncodecCodec::check(const CodeGrid& codes) const {
    if (codes.numCodebooks != k_)
        throw CodecError("EnCodec: got " + std::to_string(codes.numCodebooks) +
                         " codebooks, the model uses " + std::to_string(k_));
    for (auto c : codes.data)
        if (c < 0 || c >= cardinality())
            throw CodecError("EnCodec: code " + std::to_string(c) + " outside [0, " +
                             std::to_string(cardinality()) + ")");
}

AudioBuffer EncodecCodec::decode(const CodeGrid& codes) const {
    check(codes);
    AudioBuffer out;
    out.sampleRate = sampleRate();
    if (codes.frames == 0) return out;
    torch::NoGradGuard g;
    auto audio = model_->decode(toTensor(codes)).reshape({-1}).contiguous();
    out.samples.assign(audio.data_ptr<float>(), audio.data_ptr<float>() + audio.numel());
    return out;
}

std::unique_ptr<StreamDecoder> EncodecCodec::streamDecoder() const {
    return std::make_unique<EncodecStream>(model_);
}

CodeGrid EncodecCodec::encode(const AudioBuffer& audio) const {
    if (audio.sampleRate != sampleRate())
        throw CodecError("EnCodec expects " + std::to_string(sampleRate()) + " Hz audio, got " +
                         std::to_string(audio.sampleRate) + " Hz (resample first)");
    if (audio.samples.empty()) throw CodecError("EnCodec: cannot encode empty audio");
    torch::NoGradGuard g;
    auto wave = torch::from_blob(const_cast<float*>(audio.samples.data()),
                                 {1, 1, static_cast<long>(audio.samples.size())}, torch::kFloat32)
                    .clone();
    auto codes = model_->encode(wave).narrow(1, 0, k_).contiguous(); // [1, K, F]
    CodeGrid out(k_, static_cast<int>(codes.size(2)));
    std::copy(codes.data_ptr<std::int64_t>(), codes.data_ptr<std::int64_t>() + codes.numel(),
              out.data.begin());
    return out;
}

} // namespace moodsteer
