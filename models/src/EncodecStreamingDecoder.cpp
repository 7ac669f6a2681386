#include "models/EncodecStreamingDecoder.h"

#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace moodsteer::models {

EncodecStreamingDecoder::EncodecStreamingDecoder(EncodecModel model) : model_(std::move(model)) {
    if (!model_) throw std::invalid_argument("EncodecStreamingDecoder: no model");
    convReach_ = model_->decoderInputConvReach();
    upsample_ = model_->decoderUpsampleStream();
    reset();
}

void EncodecStreamingDecoder::reset() {
    latent_ = torch::Tensor();
    latentBase_ = 0;
    lstmState_.reset();
    received_ = committed_ = emitted_ = 0;
    numCodebooks_ = -1;
}

std::unique_ptr<EncodecStreamingDecoder> EncodecStreamingDecoder::clone() const {
    const auto copy = [](const torch::Tensor& t) { return t.defined() ? t.clone() : t; };
    std::unique_ptr<EncodecStreamingDecoder> c(new EncodecStreamingDecoder(nullptr));
    c->model_ = model_;
    c->convReach_ = convReach_;
    c->numCodebooks_ = numCodebooks_;
    c->upsample_ = upsample_->clone();
    c->latent_ = copy(latent_);
    c->latentBase_ = latentBase_;
    if (lstmState_)
        c->lstmState_ = EncodecModelImpl::LstmState(copy(std::get<0>(*lstmState_)),
                                                    copy(std::get<1>(*lstmState_)));
    c->received_ = received_;
    c->committed_ = committed_;
    c->emitted_ = emitted_;
    return c;
}

std::vector<float> EncodecStreamingDecoder::push(const torch::Tensor& newCodes) {
    if (newCodes.dim() != 2)
        throw std::invalid_argument("EncodecStreamingDecoder: codes must be [codebooks, frames]");
    if (numCodebooks_ >= 0 && newCodes.size(0) != numCodebooks_)
        throw std::invalid_argument("EncodecStreamingDecoder: " + std::to_string(newCodes.size(0)) +
                                    " codebooks pushed, the stream has " +
                                    std::to_string(numCodebooks_));
    if (newCodes.size(1) == 0) return {};
    auto latent = model_->dequantize(newCodes.unsqueeze(0)); // validates shape and range
    numCodebooks_ = newCodes.size(0);
    latent_ = latent_.defined() ? torch::cat({latent_, latent}, 2) : latent;
    received_ += newCodes.size(1);
    return advance(false);
}

std::vector<float> EncodecStreamingDecoder::finish() {
    std::vector<float> out;
    if (received_ > 0) out = advance(true);
    reset();
    return out;
}

std::vector<float> EncodecStreamingDecoder::advance(bool final) {
    torch::NoGradGuard noGrad;
    // 1. Input conv + LSTM for frames whose conv inputs are all known, once per frame.
    const int64_t convEnd = final ? received_ : received_ - convReach_.right;
    torch::Tensor fresh;
    if (convEnd > committed_) {
        const int64_t winStart = std::max<int64_t>(0, committed_ - convReach_.left);
        auto window = latent_.slice(2, winStart - latentBase_, received_ - latentBase_);
        auto conv =
            model_->decoderInputConv(window).slice(2, committed_ - winStart, convEnd - winStart);
        auto [out, state] = model_->decoderLstm(conv, lstmState_);
        lstmState_ = state;
        fresh = out;
        committed_ = convEnd;
    }

    // 2. The upsampling stack as a stream: the audio that no later frame can change.
    auto audio = fresh.defined() ? upsample_->push(fresh) : torch::Tensor();
    if (final) {
        auto rest = upsample_->finish();
        if (rest.defined()) audio = audio.defined() ? torch::cat({audio, rest}, 2) : rest;
    }
    std::vector<float> samples;
    if (audio.defined() && audio.size(2) > 0) {
        // [1, C, S] -> interleaved frames of C samples.
        auto flat = audio[0].t().contiguous().to(torch::kFloat32);
        samples.assign(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
        emitted_ += audio.size(2);
    }

    // 3. Drop the latent frames no later input-conv window can reach.
    const int64_t keepLatent = std::max<int64_t>(0, committed_ - convReach_.left);
    if (keepLatent > latentBase_) {
        latent_ = latent_.slice(2, keepLatent - latentBase_).contiguous();
        latentBase_ = keepLatent;
    }
    return samples;
}

} // namespace moodsteer::models
