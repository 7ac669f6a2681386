#include "models/EncodecStreamingDecoder.h"

#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace moodsteer::models {

int64_t EncodecStreamingDecoder::minimumContextFrames(const EncodecModel& model) {
    return model->decoderUpsampleReach().left;
}

int64_t EncodecStreamingDecoder::minimumLookaheadFrames(const EncodecModel& model) {
    return model->decoderInputConvReach().right + model->decoderUpsampleReach().right;
}

EncodecStreamingDecoder::EncodecStreamingDecoder(EncodecModel model, int64_t contextFrames,
                                                 int64_t lookaheadFrames)
    : model_(std::move(model)) {
    if (!model_) throw std::invalid_argument("EncodecStreamingDecoder: no model");
    const int64_t minContext = minimumContextFrames(model_);
    const int64_t minLookahead = minimumLookaheadFrames(model_);
    context_ = contextFrames < 0 ? minContext : contextFrames;
    lookahead_ = lookaheadFrames < 0 ? minLookahead : lookaheadFrames;
    if (context_ < minContext)
        throw std::invalid_argument("EncodecStreamingDecoder: contextFrames " +
                                    std::to_string(context_) + " is below the minimum " +
                                    std::to_string(minContext) + " for exact output on this model");
    if (lookahead_ < minLookahead)
        throw std::invalid_argument("EncodecStreamingDecoder: lookaheadFrames " +
                                    std::to_string(lookahead_) + " is below the minimum " +
                                    std::to_string(minLookahead) +
                                    " for exact output on this model");
    convReach_ = model_->decoderInputConvReach();
    // The input conv always holds back exactly its reach (anything more would only delay the
    // LSTM); the rest of the lookahead is spent on the upsampling stack.
    upsampleHold_ = lookahead_ - convReach_.right;
    reset();
}

void EncodecStreamingDecoder::reset() {
    latent_ = torch::Tensor();
    lstmOut_ = torch::Tensor();
    latentBase_ = lstmBase_ = 0;
    lstmState_.reset();
    received_ = committed_ = emitted_ = 0;
    numCodebooks_ = -1;
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
    // 1. Input conv + LSTM for frames whose conv inputs are all known, once per frame.
    const int64_t convEnd = final ? received_ : received_ - convReach_.right;
    if (convEnd > committed_) {
        const int64_t winStart = std::max<int64_t>(0, committed_ - convReach_.left);
        auto window = latent_.slice(2, winStart - latentBase_, received_ - latentBase_);
        auto conv =
            model_->decoderInputConv(window).slice(2, committed_ - winStart, convEnd - winStart);
        auto [out, state] = model_->decoderLstm(conv, lstmState_);
        lstmState_ = state;
        lstmOut_ = lstmOut_.defined() ? torch::cat({lstmOut_, out}, 2) : out;
        committed_ = convEnd;
    }

    // 2. Upsampling stack on [emitted - context, committed); keep audio that is final.
    const int64_t emitEnd = final ? committed_ : committed_ - upsampleHold_;
    std::vector<float> samples;
    if (emitEnd > emitted_) {
        const int64_t hop = model_->config().hopLength();
        const int64_t winStart = std::max<int64_t>(0, emitted_ - context_);
        auto window = lstmOut_.slice(2, winStart - lstmBase_, committed_ - lstmBase_);
        auto audio = model_->decoderUpsample(window).slice(2, (emitted_ - winStart) * hop,
                                                           (emitEnd - winStart) * hop);
        // [1, C, S] -> interleaved frames of C samples.
        auto flat = audio[0].t().contiguous().to(torch::kFloat32);
        samples.assign(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
        emitted_ = emitEnd;
    }

    // 3. Drop what no later window can reach.
    const int64_t keepLatent = std::max<int64_t>(0, committed_ - convReach_.left);
    if (keepLatent > latentBase_) {
        latent_ = latent_.slice(2, keepLatent - latentBase_).contiguous();
        latentBase_ = keepLatent;
    }
    const int64_t keepLstm = std::max<int64_t>(0, emitted_ - context_);
    if (lstmOut_.defined() && keepLstm > lstmBase_) {
        lstmOut_ = lstmOut_.slice(2, keepLstm - lstmBase_).contiguous();
        lstmBase_ = keepLstm;
    }
    return samples;
}

} // namespace moodsteer::models
