// The streaming forms of the SEANet decoder's upsampling layers (SeanetLayer::stream). Each
// layer keeps only the edge of its input that later outputs need, so a stream computes every
// output sample once however small its pushes, and the chunk boundaries carry no approximation:
//  * Conv1d (stride 1): the last (kernel - 1) * dilation input samples; its left padding is
//    applied once enough samples have arrived to reflect, its right padding at finish();
//  * ConvTranspose1d: the kernel - stride output samples that later inputs still add to, and
//    the trim of the stream's first and last samples;
//  * ResnetBlock: its inputs until the block's (delayed) output arrives to be added to them;
//  * Elu: nothing.
// Inside, samples are channels-last [n, C] (the layers' forwardChannelsLast); SeanetStack's
// stream converts from and to SampleStream's [1, C, n] at its ends.
#include "Seanet.h"

#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>
#include <tuple>

namespace moodsteer::models::seanet {

namespace {

bool isEmpty(const torch::Tensor& t) {
    return !t.defined() || t.size(0) == 0;
}

torch::Tensor join(const torch::Tensor& a, const torch::Tensor& b) {
    if (isEmpty(a)) return isEmpty(b) ? torch::Tensor() : b;
    if (isEmpty(b)) return a;
    return torch::cat({a, b}, 0);
}

/// A state tensor's own copy (a clone must not share storage a later step could write).
torch::Tensor copyOf(const torch::Tensor& t) {
    return t.defined() ? t.clone() : torch::Tensor();
}

using Chain = std::vector<std::unique_ptr<SampleStream>>;

Chain copyOf(const Chain& chain) {
    Chain out;
    for (const auto& s : chain)
        out.push_back(s->clone());
    return out;
}

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
        return isEmpty(x) ? torch::Tensor() : elu_.forwardChannelsLast(x);
    }
    torch::Tensor finish() override { return {}; }
    std::unique_ptr<SampleStream> clone() const override {
        return std::make_unique<EluStream>(elu_);
    }

  private:
    Elu& elu_;
};

/// A stack's layers: [1, C, n] in, channels-last inside, [1, C', m] out.
class ChainStream final : public SampleStream {
  public:
    explicit ChainStream(Chain chain) : chain_(std::move(chain)) {}
    torch::Tensor push(const torch::Tensor& x) override {
        if (!x.defined() || x.size(-1) == 0) return {};
        if (x.dim() != 3 || x.size(0) != 1)
            throw std::invalid_argument("EnCodec: a decoder stream takes [1, channels, samples]");
        return channelsFirst(pushChain(chain_, x[0].t().contiguous()));
    }
    torch::Tensor finish() override { return channelsFirst(finishChain(chain_)); }
    std::unique_ptr<SampleStream> clone() const override {
        return std::make_unique<ChainStream>(copyOf(chain_));
    }

  private:
    static torch::Tensor channelsFirst(const torch::Tensor& y) {
        return isEmpty(y) ? torch::Tensor() : y.t().unsqueeze(0).contiguous();
    }
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
            if (held_.size(0) <= left_) return {}; // reflecting needs more than `left` samples
            held_ = pad1dChannelsLast(held_.contiguous(), left_, 0, c_.padMode_);
            started_ = true;
        }
        const int64_t n = held_.size(0);
        if (n < span_) return {};
        auto out = c_.convChannelsLast(held_.contiguous());
        held_ = held_.narrow(0, n - (span_ - 1), span_ - 1).clone();
        return out;
    }

    torch::Tensor finish() override {
        torch::Tensor out;
        if (!started_) { // an input too short to pad in pieces: the one-shot edge rules
            if (!isEmpty(held_)) out = c_.forwardChannelsLast(held_);
        } else if (right_ > 0) {
            // held_ is the last span - 1 = left + right samples, all of them input samples at
            // their end, so reflecting them is reflecting the input's end.
            out = c_.convChannelsLast(pad1dChannelsLast(held_, 0, right_, c_.padMode_));
        }
        held_ = torch::Tensor();
        started_ = false;
        return out;
    }

    std::unique_ptr<SampleStream> clone() const override {
        auto c = std::make_unique<Conv1dStream>(*this);
        c->held_ = copyOf(held_);
        return c;
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
        // [(n - 1) * stride + kernel, C], bias on every sample
        auto y = c_.convChannelsLast(x.contiguous());
        if (tail_.defined()) {
            auto head = y.narrow(0, 0, tail_.size(0));
            head.add_(tail_);
            if (c_.conv->bias.defined()) head.sub_(c_.conv->bias.detach()); // added twice
        }
        // Later inputs add to the outputs from input n's position on: those wait in the tail.
        const int64_t complete = x.size(0) * c_.stride_;
        tail_ = y.narrow(0, complete, y.size(0) - complete).clone();
        return trimFront(y.narrow(0, 0, complete));
    }

    torch::Tensor finish() override {
        torch::Tensor out;
        // Of the last kernel - stride samples, all but the left trim's length are trimmed away.
        if (tail_.defined()) out = trimFront(tail_.narrow(0, 0, c_.trimLeft()));
        tail_ = torch::Tensor();
        toTrim_ = c_.trimLeft();
        return isEmpty(out) ? torch::Tensor() : out;
    }

    std::unique_ptr<SampleStream> clone() const override {
        auto c = std::make_unique<ConvTranspose1dStream>(*this);
        c->tail_ = copyOf(tail_);
        return c;
    }

  private:
    torch::Tensor trimFront(const torch::Tensor& y) {
        const int64_t drop = std::min(toTrim_, y.size(0));
        toTrim_ -= drop;
        return drop > 0 ? y.narrow(0, drop, y.size(0) - drop) : y;
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

    std::unique_ptr<SampleStream> clone() const override {
        return std::unique_ptr<SampleStream>(new ResnetBlockStream(*this));
    }

  private:
    ResnetBlockStream(const ResnetBlockStream& o)
        : block_(copyOf(o.block_)), shortcut_(o.shortcut_ ? o.shortcut_->clone() : nullptr),
          skip_(copyOf(o.skip_)) {}

    /// The block's output lags its input (its convolutions wait for their right context):
    /// each output sample is added to the input sample it belongs to.
    torch::Tensor addSkip(const torch::Tensor& y) {
        if (isEmpty(y)) return {};
        const int64_t n = y.size(0);
        auto out = skip_.narrow(0, 0, n) + y;
        skip_ = skip_.narrow(0, n, skip_.size(0) - n);
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
