#include "Seanet.h"

#include "Gemv.h"

#include <torch/nn/functional/padding.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace moodsteer::models::seanet {

namespace F = torch::nn::functional;

int64_t ceilDiv(int64_t a, int64_t b) {
    return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

int64_t floorDiv(int64_t a, int64_t b) {
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// transformers' _pad1d: an input shorter than a reflect pad is first zero-extended on the
// right (and that is trimmed again), because torch's reflect needs length > pad.
torch::Tensor pad1d(torch::Tensor x, int64_t left, int64_t right, const std::string& mode) {
    if (mode != "reflect") {
        auto options = F::PadFuncOptions({left, right});
        if (mode == "replicate")
            options.mode(torch::kReplicate);
        else if (mode == "circular")
            options.mode(torch::kCircular);
        return F::pad(x, options);
    }
    const int64_t length = x.size(-1);
    const int64_t maxPad = std::max(left, right);
    int64_t extra = 0;
    if (length <= maxPad) {
        extra = maxPad - length + 1;
        x = F::pad(x, F::PadFuncOptions({0, extra}));
    }
    auto padded = F::pad(x, F::PadFuncOptions({left, right}).mode(torch::kReflect));
    return padded.slice(-1, 0, padded.size(-1) - extra);
}

torch::Tensor Elu::forward(const torch::Tensor& x) {
    return torch::elu(x);
}

// ---------------------------------------------------------------------------------- Conv1d

Conv1d::Conv1d(const EncodecConfig& config, int64_t in, int64_t out, int64_t kernel, int64_t stride,
               int64_t dilation)
    : kernel_(kernel), stride_(stride), dilation_(dilation), causal_(config.use_causal_conv),
      padMode_(config.pad_mode) {
    conv = register_module(
        "conv", torch::nn::Conv1d(
                    torch::nn::Conv1dOptions(in, out, kernel).stride(stride).dilation(dilation)));
}

std::pair<int64_t, int64_t> Conv1d::fixedPadding() const {
    const int64_t total = (kernel_ - 1) * dilation_ + 1 - stride_;
    if (causal_) return {total, 0};
    // Asymmetric for odd totals: the extra sample goes on the left.
    return {total - total / 2, total / 2};
}

torch::Tensor Conv1d::forward(const torch::Tensor& x) {
    const int64_t kEff = (kernel_ - 1) * dilation_ + 1;
    const int64_t total = kEff - stride_;
    const int64_t length = x.size(-1);
    // _get_extra_padding_for_conv1d: pad the right so that the last window is complete.
    const int64_t frames = ceilDiv(length - kEff + total, stride_) + 1;
    const int64_t extra = (frames - 1) * stride_ + (kEff - total) - length;
    const auto [left, right] = fixedPadding();
    return conv->forward(pad1d(x, left, right + extra, padMode_));
}

FrameReach Conv1d::reach(FrameReach r) const {
    if (stride_ != 1)
        throw std::logic_error("EnCodec: receptive reach of a strided convolution is not defined");
    const int64_t kEff = (kernel_ - 1) * dilation_ + 1;
    const int64_t left = fixedPadding().first;
    return {r.left + left, r.right + kEff - 1 - left};
}

// ------------------------------------------------------------------------- ConvTranspose1d

ConvTranspose1d::ConvTranspose1d(const EncodecConfig& config, int64_t in, int64_t out,
                                 int64_t kernel, int64_t stride)
    : kernel_(kernel), stride_(stride), causal_(config.use_causal_conv),
      trimRightRatio_(config.trim_right_ratio) {
    conv = register_module("conv",
                           torch::nn::ConvTranspose1d(
                               torch::nn::ConvTranspose1dOptions(in, out, kernel).stride(stride)));
}

int64_t ConvTranspose1d::trimLeft() const {
    const int64_t total = kernel_ - stride_;
    const int64_t right =
        causal_ ? static_cast<int64_t>(std::ceil(total * trimRightRatio_)) : total / 2;
    return total - right;
}

torch::Tensor ConvTranspose1d::forward(const torch::Tensor& x) {
    auto y = conv->forward(x);
    const int64_t total = kernel_ - stride_;
    const int64_t left = trimLeft();
    return y.slice(-1, left, y.size(-1) - (total - left));
}

FrameReach ConvTranspose1d::reach(FrameReach r) const {
    // Trimmed output n is untrimmed m = n + trimLeft, which sums inputs i with
    // 0 <= m - stride * i < kernel. Worst case over the output's phase within its input step.
    const int64_t tl = trimLeft();
    return {std::max<int64_t>(0, floorDiv(r.left - tl + kernel_ - 1, stride_)),
            std::max<int64_t>(0, floorDiv(stride_ - 1 + r.right + tl, stride_))};
}

// ----------------------------------------------------------------------------- ResnetBlock

ResnetBlock::ResnetBlock(const EncodecConfig& config, int64_t dim, int64_t dilation) {
    const int64_t hidden = dim / config.compress;
    block_ = register_module("block", torch::nn::ModuleList());
    auto add = [&](std::shared_ptr<SeanetLayer> layer) {
        block_->push_back(layer);
        layers_.push_back(std::move(layer));
    };
    add(std::make_shared<Elu>());
    add(std::make_shared<Conv1d>(config, dim, hidden, config.residual_kernel_size, 1, dilation));
    add(std::make_shared<Elu>());
    add(std::make_shared<Conv1d>(config, hidden, dim, 1));
    if (config.use_conv_shortcut)
        shortcut_ = register_module("shortcut", std::make_shared<Conv1d>(config, dim, dim, 1));
}

torch::Tensor ResnetBlock::forward(const torch::Tensor& x) {
    auto y = x;
    for (auto& layer : layers_)
        y = layer->forward(y);
    return (shortcut_ ? shortcut_->forward(x) : x) + y;
}

FrameReach ResnetBlock::reach(FrameReach r) const {
    FrameReach b = r;
    for (auto it = layers_.rbegin(); it != layers_.rend(); ++it)
        b = (*it)->reach(b);
    const FrameReach s = shortcut_ ? shortcut_->reach(r) : r;
    return {std::max(b.left, s.left), std::max(b.right, s.right)};
}

// ------------------------------------------------------------------------------------ Lstm

Lstm::Lstm(const EncodecConfig& config, int64_t dim) {
    lstm = register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(dim, dim).num_layers(
                                       config.num_lstm_layers)));
}

torch::Tensor Lstm::forward(const torch::Tensor& x) {
    return forwardWithState(x, std::nullopt).first;
}

std::pair<torch::Tensor, EncodecModelImpl::LstmState>
Lstm::forwardWithState(const torch::Tensor& x,
                       const std::optional<EncodecModelImpl::LstmState>& state) {
    auto seq = x.permute({2, 0, 1}).contiguous(); // (T, B, C)
    if (seq.size(1) == 1 && seq.scalar_type() == torch::kFloat32 && !torch::GradMode::is_enabled())
        return recurBatchOne(seq, state);
    auto [out, next] = state ? lstm->forward(seq, *state) : lstm->forward(seq);
    return {(out + seq).permute({1, 2, 0}), next};
}

// LibTorch's CPU LSTM multiplies h by the recurrent weights through a one-row GEMM that reaches
// a third of the memory bandwidth; those weights (4H x H per layer, 34 MB for both layers of
// the 32 kHz codec) do not fit the caches and are read once per frame, which made the LSTM
// 3/4 of EnCodec's decode time. Here the input projections of all frames are one GEMM and the
// recurrence is the decode step's f32 GEMV (bandwidth-bound): same math, same gate order
// (i, f, g, o), float rounding aside.
std::pair<torch::Tensor, EncodecModelImpl::LstmState>
Lstm::recurBatchOne(const torch::Tensor& seq,
                    const std::optional<EncodecModelImpl::LstmState>& state) {
    const int64_t T = seq.size(0), layers = lstm->options.num_layers();
    const int64_t H = lstm->options.hidden_size();
    auto h0 = state ? std::get<0>(*state).contiguous().clone() : torch::zeros({layers, 1, H});
    auto c0 = state ? std::get<1>(*state).contiguous().clone() : torch::zeros({layers, 1, H});
    auto input = seq.view({T, seq.size(2)});
    const auto params = lstm->named_parameters();
    std::vector<float> gates(static_cast<size_t>(4 * H));
    for (int64_t l = 0; l < layers; ++l) {
        const std::string n = std::to_string(l);
        const auto& wih = params["weight_ih_l" + n];
        const auto whh = params["weight_hh_l" + n].contiguous();
        const auto bias = params["bias_ih_l" + n] + params["bias_hh_l" + n];
        // (T, 4H); a push's frame or two through the GEMV (timesTransposed)
        const auto projected = timesTransposed(input.contiguous(), wih.contiguous()).add_(bias);
        auto out = torch::empty({T, H});
        float* h = h0[l].data_ptr<float>();
        float* c = c0[l].data_ptr<float>();
        const float* xp = projected.data_ptr<float>();
        float* o = out.data_ptr<float>();
        const auto sigmoid = [](float v) { return 1.0f / (1.0f + std::exp(-v)); };
        for (int64_t t = 0; t < T; ++t) {
            gemv::f32(h, 1, H, whh.data_ptr<float>(), gates.data(), 4 * H, 4 * H);
            const float* p = xp + t * 4 * H;
            for (int64_t j = 0; j < H; ++j) {
                const float i = sigmoid(gates[j] + p[j]);
                const float f = sigmoid(gates[H + j] + p[H + j]);
                const float g = std::tanh(gates[2 * H + j] + p[2 * H + j]);
                const float og = sigmoid(gates[3 * H + j] + p[3 * H + j]);
                c[j] = f * c[j] + i * g;
                h[j] = og * std::tanh(c[j]);
            }
            std::copy(h, h + H, o + t * H);
        }
        input = out;
    }
    auto out = input.view({T, 1, H});
    return {(out + seq).permute({1, 2, 0}), {h0, c0}};
}

// ------------------------------------------------------------------------------ SeanetStack

SeanetStack::SeanetStack() {
    list_ = register_module("layers", torch::nn::ModuleList());
}

torch::Tensor SeanetStack::forward(const torch::Tensor& x, size_t from, size_t to) {
    auto y = x;
    for (size_t i = from; i < std::min(to, layers_.size()); ++i)
        y = layers_[i]->forward(y);
    return y;
}

FrameReach SeanetStack::reach(size_t from, size_t to) const {
    FrameReach r;
    for (size_t i = std::min(to, layers_.size()); i-- > from;)
        r = layers_[i]->reach(r);
    return r;
}

SeanetEncoderImpl::SeanetEncoderImpl(const EncodecConfig& c) {
    add(std::make_shared<Conv1d>(c, c.audio_channels, c.num_filters, c.kernel_size));
    int64_t scaling = 1;
    for (auto it = c.upsampling_ratios.rbegin(); it != c.upsampling_ratios.rend(); ++it) {
        const int64_t ratio = *it;
        const int64_t dim = scaling * c.num_filters;
        int64_t dilation = 1;
        for (int64_t j = 0; j < c.num_residual_layers; ++j, dilation *= c.dilation_growth_rate)
            add(std::make_shared<ResnetBlock>(c, dim, dilation));
        add(std::make_shared<Elu>());
        add(std::make_shared<Conv1d>(c, dim, dim * 2, ratio * 2, ratio));
        scaling *= 2;
    }
    add(std::make_shared<Lstm>(c, scaling * c.num_filters));
    add(std::make_shared<Elu>());
    add(std::make_shared<Conv1d>(c, scaling * c.num_filters, c.hidden_size, c.last_kernel_size));
}

SeanetDecoderImpl::SeanetDecoderImpl(const EncodecConfig& c) {
    int64_t scaling = int64_t{1} << c.upsampling_ratios.size();
    add(std::make_shared<Conv1d>(c, c.hidden_size, scaling * c.num_filters, c.kernel_size));
    lstm_ = add(std::make_shared<Lstm>(c, scaling * c.num_filters));
    for (const int64_t ratio : c.upsampling_ratios) {
        const int64_t dim = scaling * c.num_filters;
        add(std::make_shared<Elu>());
        add(std::make_shared<ConvTranspose1d>(c, dim, dim / 2, ratio * 2, ratio));
        int64_t dilation = 1;
        for (int64_t j = 0; j < c.num_residual_layers; ++j, dilation *= c.dilation_growth_rate)
            add(std::make_shared<ResnetBlock>(c, dim / 2, dilation));
        scaling /= 2;
    }
    add(std::make_shared<Elu>());
    add(std::make_shared<Conv1d>(c, c.num_filters, c.audio_channels, c.last_kernel_size));
}

// ----------------------------------------------------------------------------------- RVQ

Codebook::Codebook(const EncodecConfig& c) {
    embed = register_buffer("embed", torch::zeros({c.codebook_size, c.codebook_dim}));
}

VectorQuantization::VectorQuantization(const EncodecConfig& c) {
    codebook = register_module("codebook", std::make_shared<Codebook>(c));
}

torch::Tensor VectorQuantization::encode(const torch::Tensor& rows) const {
    // Same expression and order as EncodecEuclideanCodebook.quantize, so float rounding and
    // first-index tie breaking (torch max) agree.
    const auto embedT = codebook->embed.t();
    const auto dist =
        -(rows.pow(2).sum(1, true) - 2 * rows.matmul(embedT) + embedT.pow(2).sum(0, true));
    return std::get<1>(dist.max(-1));
}

ResidualVectorQuantizerImpl::ResidualVectorQuantizerImpl(const EncodecConfig& c) {
    list_ = register_module("layers", torch::nn::ModuleList());
    for (int64_t k = 0; k < c.numQuantizerLayers(); ++k) {
        layers_.push_back(std::make_shared<VectorQuantization>(c));
        list_->push_back(layers_.back());
    }
}

torch::Tensor ResidualVectorQuantizerImpl::encode(const torch::Tensor& emb,
                                                  int64_t numQuantizers) const {
    const int64_t batch = emb.size(0), dim = emb.size(1), frames = emb.size(2);
    auto residual = emb;
    std::vector<torch::Tensor> codes;
    for (int64_t k = 0; k < numQuantizers; ++k) {
        const auto& embed = layers_[k]->codebook->embed;
        auto rows = residual.permute({0, 2, 1}).reshape({-1, dim});
        auto idx = layers_[k]->encode(rows).view({batch, frames});
        residual = residual - F::embedding(idx, embed).permute({0, 2, 1});
        codes.push_back(idx);
    }
    return torch::stack(codes, 1);
}

torch::Tensor ResidualVectorQuantizerImpl::decode(const torch::Tensor& codes) const {
    torch::Tensor out = torch::zeros({}, layers_.at(0)->codebook->embed.options());
    for (int64_t k = 0; k < codes.size(1); ++k)
        out =
            out + F::embedding(codes.select(1, k), layers_[k]->codebook->embed).permute({0, 2, 1});
    return out;
}

} // namespace moodsteer::models::seanet
