// The streaming forms of the SEANet decoder's upsampling layers (SeanetLayer::stream). Each
// layer keeps only the edge of its input that later outputs need, so a stream computes every
// output sample once however small its pushes, and the chunk boundaries carry no approximation:
//  * Conv1d (stride 1): the last (kernel - 1) * dilation input samples; its left padding is
//    applied once enough samples have arrived to reflect, its right padding at finish();
//  * ConvTranspose1d: the kernel - stride output samples that later inputs still add to, and
//    the trim of the stream's first and last samples;
//  * ResnetBlock: its inputs until the block's (delayed) output arrives to be added to them;
//  * Elu: nothing.
#include "Seanet.h"

#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>
#include <tuple>

namespace moodsteer::models::seanet {

namespace {

bool isEmpty(const torch::Tensor& t) {
    return !t.defined() || t.size(-1) == 0;
}

torch::Tensor join(const torch::Tensor& a, const torch::Tensor& b) {
    if (isEmpty(a)) return isEmpty(b) ? torch::Tensor() : b;
    if (isEmpty(b)) return a;
    return torch::cat({a, b}, -1);
}

using Chain = std::vector<std::unique_ptr<SampleStream>>;

torch::Tensor pushChain(Chain& chain, torch::Tensor x) {
    for (auto& s : chain) {
        if (isEmpty(x)) return {};
        x = s->push(x);
    }
    return isEmpty(x) ? torch::Tensor() : x;
}

/// Each stage first takes what the stage before it released at its end, then ends.
torch::Tensor finishChain(Chain& chain) {
    torch::Tensor y;
    for (auto& s : chain) {
        auto pushed = isEmpty(y) ? torch::Tensor() : s->push(y);
        y = join(pushed, s->finish());
    }
    return y;
}

class EluStream final : public SampleStream {
  public:
    explicit EluStream(Elu& elu) : elu_(elu) {}
    torch::Tensor push(const torch::Tensor& x) override {
        return isEmpty(x) ? torch::Tensor() : elu_.forward(x);
    }
    torch::Tensor finish() override { return {}; }

  private:
    Elu& elu_;
};

class ChainStream final : public SampleStream {
  public:
    explicit ChainStream(Chain chain) : chain_(std::move(chain)) {}
    torch::Tensor push(const torch::Tensor& x) override { return pushChain(chain_, x); }
    torch::Tensor finish() override { return finishChain(chain_); }

  private:
    Chain chain_;
};

} // namespace

class Conv1dStream final : public SampleStream {
  public:
    explicit Conv1dStream(Conv1d& c) : c_(c) {
        if (c.stride_ != 1)
            throw std::logic_error("EnCodec: a strided convolution has no streaming form");
        if (c.padMode_ == "circular")
            throw std::logic_error("EnCodec: circular padding cannot be streamed");
        span_ = (c.kernel_ - 1) * c.dilation_ + 1;
        std::tie(left_, right_) = c.fixedPadding();
    }

    torch::Tensor push(const torch::Tensor& x) override {
        if (isEmpty(x)) return {};
        held_ = join(held_, x);
        if (!started_) {
            if (held_.size(-1) <= left_) return {}; // reflecting needs more than `left` samples
            held_ = pad1d(held_, left_, 0, c_.padMode_);
            started_ = true;
        }
        const int64_t n = held_.size(-1);
        if (n < span_) return {};
        auto out = c_.conv->forward(held_);
        held_ = held_.slice(-1, n - (span_ - 1)).contiguous();
        return out;
    }

    torch::Tensor finish() override {
        torch::Tensor out;
        if (!started_) { // an input too short to pad in pieces: the one-shot edge rules
            if (!isEmpty(held_)) out = c_.forward(held_);
        } else if (right_ > 0) {
            // held_ is the last span - 1 = left + right samples, all of them input samples at
            // their end, so reflecting them is reflecting the input's end.
            out = c_.conv->forward(pad1d(held_, 0, right_, c_.padMode_));
        }
        held_ = torch::Tensor();
        started_ = false;
        return out;
    }

  private:
    Conv1d& c_;
    int64_t span_ = 1, left_ = 0, right_ = 0;
    torch::Tensor held_; ///< input not yet consumed (after the start: left-padded)
    bool started_ = false;
};

class ConvTranspose1dStream final : public SampleStream {
  public:
    explicit ConvTranspose1dStream(ConvTranspose1d& c) : c_(c), toTrim_(c.trimLeft()) {}

    torch::Tensor push(const torch::Tensor& x) override {
        if (isEmpty(x)) return {};
        auto y = c_.conv->forward(x); // [1, C, (n - 1) * stride + kernel], bias on every sample
        if (tail_.defined()) {
            auto head = y.slice(-1, 0, tail_.size(-1));
            head.add_(tail_);
            if (c_.conv->bias.defined()) head.sub_(c_.conv->bias.view({1, -1, 1})); // added twice
        }
        // Later inputs add to the outputs from input n's position on: those wait in the tail.
        const int64_t complete = x.size(-1) * c_.stride_;
        tail_ = y.slice(-1, complete).clone();
        return trimFront(y.slice(-1, 0, complete));
    }

    torch::Tensor finish() override {
        torch::Tensor out;
        // Of the last kernel - stride samples, all but the left trim's length are trimmed away.
        if (tail_.defined()) out = trimFront(tail_.slice(-1, 0, c_.trimLeft()));
        tail_ = torch::Tensor();
        toTrim_ = c_.trimLeft();
        return isEmpty(out) ? torch::Tensor() : out;
    }

  private:
    torch::Tensor trimFront(const torch::Tensor& y) {
        const int64_t drop = std::min(toTrim_, y.size(-1));
        toTrim_ -= drop;
        return drop > 0 ? y.slice(-1, drop) : y;
    }

    ConvTranspose1d& c_;
    torch::Tensor tail_;
    int64_t toTrim_;
};

class ResnetBlockStream final : public SampleStream {
  public:
    explicit ResnetBlockStream(ResnetBlock& b) {
        for (auto& layer : b.layers_)
            block_.push_back(layer->stream());
        if (b.shortcut_) shortcut_ = b.shortcut_->stream();
    }

    torch::Tensor push(const torch::Tensor& x) override {
        if (isEmpty(x)) return {};
        skip_ = join(skip_, shortcut_ ? shortcut_->push(x) : x);
        return addSkip(pushChain(block_, x));
    }

    torch::Tensor finish() override {
        if (shortcut_) skip_ = join(skip_, shortcut_->finish());
        auto out = addSkip(finishChain(block_));
        skip_ = torch::Tensor();
        return out;
    }

  private:
    /// The block's output lags its input (its convolutions wait for their right context):
    /// each output sample is added to the input sample it belongs to.
    torch::Tensor addSkip(const torch::Tensor& y) {
        if (isEmpty(y)) return {};
        const int64_t n = y.size(-1);
        auto out = skip_.slice(-1, 0, n) + y;
        skip_ = skip_.slice(-1, n);
        return out;
    }

    Chain block_;
    std::unique_ptr<SampleStream> shortcut_;
    torch::Tensor skip_;
};

std::unique_ptr<SampleStream> SeanetLayer::stream() {
    throw std::logic_error("EnCodec: this layer has no streaming form");
}

std::unique_ptr<SampleStream> Elu::stream() {
    return std::make_unique<EluStream>(*this);
}

std::unique_ptr<SampleStream> Conv1d::stream() {
    return std::make_unique<Conv1dStream>(*this);
}

std::unique_ptr<SampleStream> ConvTranspose1d::stream() {
    return std::make_unique<ConvTranspose1dStream>(*this);
}

std::unique_ptr<SampleStream> ResnetBlock::stream() {
    return std::make_unique<ResnetBlockStream>(*this);
}

std::unique_ptr<SampleStream> SeanetStack::stream(size_t from, size_t to) {
    Chain chain;
    for (size_t i = from; i < std::min(to, layers_.size()); ++i)
        chain.push_back(layers_[i]->stream());
    return std::make_unique<ChainStream>(std::move(chain));
}

} // namespace moodsteer::models::seanet
