// The SEANet layers in the channels-last layout [T, C] (batch 1), which the decoder's upsampling
// stack and its streams use. Through LibTorch's convolutions ([1, C, T], im2col / col2im
// around a GEMM) the stack ran at a third of this core's GEMM rate one-shot, and a one-frame
// streaming push cost 8x its FLOPs (BLAS repacks a layer's weights on every call, 32 MB for the
// first transposed convolution, for one frame's row). Channels-last, a convolution is one GEMM
// per kernel tap over contiguous row ranges of its input, and a transposed convolution with
// kernel <= taps * stride is one GEMM whose output rows hold `taps` stride-long groups of output
// samples, added to their rows with a shift of one row per group; the weights are packed once
// (PackedWeight), and the few rows of a streaming push go through the decode step's GEMV, which
// streams the weights as they are. Same sums, another order: float rounding aside, equal to
// forward() (models.SeanetChannelsLast.*).
#include "Seanet.h"

#include "Gemv.h"

#include <torch/torch.h>

#include <stdexcept>

namespace moodsteer::models::seanet {

namespace {

/// [T, C] -> [1, C, T] and back, for the layers and paddings without a channels-last form.
torch::Tensor toChannelsFirst(const torch::Tensor& x) {
    return x.t().unsqueeze(0);
}

torch::Tensor toChannelsLast(const torch::Tensor& x) {
    return x.squeeze(0).t().contiguous();
}

constexpr int64_t kGemvRows = 16; // see timesTransposed (Seanet.h)

} // namespace

torch::Tensor timesTransposed(const torch::Tensor& x, const torch::Tensor& w) {
    const int64_t rows = x.size(0), inner = x.size(1), outer = w.size(0);
    if (rows > kGemvRows || x.scalar_type() != torch::kFloat32 ||
        w.scalar_type() != torch::kFloat32)
        return torch::mm(x, w.t());
    auto y = torch::empty({rows, outer}, x.options());
    const float* xp = x.data_ptr<float>();
    float* yp = y.data_ptr<float>();
    for (int64_t m = 0; m < rows; m += 4)
        gemv::f32(xp + m * inner, std::min<int64_t>(4, rows - m), inner, w.data_ptr<float>(),
                  yp + m * outer, outer, outer);
    return y;
}

torch::Tensor pad1dChannelsLast(const torch::Tensor& x, int64_t left, int64_t right,
                                const std::string& mode) {
    if (left == 0 && right == 0) return x;
    const int64_t length = x.size(0);
    std::vector<torch::Tensor> parts;
    if (mode == "reflect" && length > std::max(left, right)) {
        if (left > 0) parts.push_back(x.narrow(0, 1, left).flip(0));
        parts.push_back(x);
        if (right > 0) parts.push_back(x.narrow(0, length - 1 - right, right).flip(0));
        return torch::cat(parts, 0);
    }
    if (mode != "reflect" && mode != "replicate" && mode != "circular") { // zeros
        if (left > 0) parts.push_back(torch::zeros({left, x.size(1)}, x.options()));
        parts.push_back(x);
        if (right > 0) parts.push_back(torch::zeros({right, x.size(1)}, x.options()));
        return torch::cat(parts, 0);
    }
    // Short reflects (zero-extended first), replicate, circular: rare and small.
    return toChannelsLast(pad1d(toChannelsFirst(x), left, right, mode));
}

torch::Tensor SeanetLayer::forwardChannelsLast(const torch::Tensor& x) {
    return toChannelsLast(forward(toChannelsFirst(x)));
}

// ---------------------------------------------------------------------------------- Conv1d

torch::Tensor Conv1d::convChannelsLast(const torch::Tensor& x) {
    const auto w = packed_.get(conv->weight, [](const torch::Tensor& weight) {
        return weight.detach().permute({0, 2, 1}).contiguous(); // [out, kernel, in]
    });
    const int64_t out = w.size(0), in = w.size(2);
    const int64_t span = (kernel_ - 1) * dilation_ + 1;
    const int64_t rows = x.size(0) - span + 1;
    if (rows <= 0) return torch::empty({0, out}, x.options());
    const auto& bias = conv->bias;
    torch::Tensor y;
    if (rows <= kGemvRows) { // the taps' inputs side by side, one product
        const auto taps = x.as_strided({rows, kernel_, in}, {in, dilation_ * in, 1});
        y = timesTransposed(taps.contiguous().view({rows, kernel_ * in}),
                            w.view({out, kernel_ * in}));
        if (bias.defined()) y.add_(bias.detach());
        return y;
    }
    // One GEMM per tap on contiguous rows of x; w's tap k is [out, in] with row stride
    // kernel * in, which BLAS reads transposed in place.
    y = bias.defined() ? torch::addmm(bias.detach(), x.narrow(0, 0, rows), w.select(1, 0).t())
                       : torch::mm(x.narrow(0, 0, rows), w.select(1, 0).t());
    for (int64_t k = 1; k < kernel_; ++k)
        y.addmm_(x.narrow(0, k * dilation_, rows), w.select(1, k).t());
    return y;
}

torch::Tensor Conv1d::forwardChannelsLast(const torch::Tensor& x) {
    if (stride_ != 1) return SeanetLayer::forwardChannelsLast(x);
    // As forward(): at stride 1 the last window is complete without extra padding.
    const auto [left, right] = fixedPadding();
    return convChannelsLast(pad1dChannelsLast(x.contiguous(), left, right, padMode_));
}

// ------------------------------------------------------------------------- ConvTranspose1d

torch::Tensor ConvTranspose1d::convChannelsLast(const torch::Tensor& x) {
    const int64_t taps = ceilDiv(kernel_, stride_);
    const auto w = packed_.get(conv->weight, [&](const torch::Tensor& weight) {
        // [in, out, kernel] -> [taps * stride (kernel zero-extended), out, in]
        const int64_t in = weight.size(0), out = weight.size(1);
        auto p = torch::zeros({taps * stride_, out, in}, weight.options());
        p.narrow(0, 0, kernel_).copy_(weight.detach().permute({2, 1, 0}));
        return p.view({taps * stride_ * out, in});
    });
    const int64_t n = x.size(0), out = conv->weight.size(1), group = stride_ * out;
    // Output row r of y [n + taps - 1, stride * out] holds samples r * stride + p; input i's
    // tap group j (w's rows [j * group, (j + 1) * group)) adds to row i + j. One product for
    // all groups, then the groups added to their rows: faster than a GEMM per group
    // accumulating into y (58 against 70 GFLOP/s for the whole stack).
    const auto z = timesTransposed(x, w).view({n, taps, group});
    auto y = torch::empty({n + taps - 1, group}, x.options());
    y.narrow(0, 0, n).copy_(z.select(1, 0));
    if (taps > 1) y.narrow(0, n, taps - 1).zero_();
    for (int64_t j = 1; j < taps; ++j)
        y.narrow(0, j, n).add_(z.select(1, j));
    if (conv->bias.defined()) y.view({-1, out}).add_(conv->bias.detach());
    return y.view({(n + taps - 1) * stride_, out}).narrow(0, 0, (n - 1) * stride_ + kernel_);
}

torch::Tensor ConvTranspose1d::forwardChannelsLast(const torch::Tensor& x) {
    auto y = convChannelsLast(x.contiguous());
    const int64_t total = kernel_ - stride_;
    const int64_t left = trimLeft();
    return y.narrow(0, left, y.size(0) - total);
}

// ----------------------------------------------------------------------------- ResnetBlock

torch::Tensor ResnetBlock::forwardChannelsLast(const torch::Tensor& x) {
    auto y = x;
    for (auto& layer : layers_)
        y = layer->forwardChannelsLast(y);
    return y.add_(shortcut_ ? shortcut_->forwardChannelsLast(x) : x);
}

// -------------------------------------------------------------------------- the decoder

// One-shot, the stack runs as its stream in pushes of kOneShotPushFrames frames: the same
// samples (every one computed once), but each layer's activations stay a few MB, in cache and
// reused by the allocator, where the whole clip's (82 MB a layer for 10 s) were mapped, faulted
// in and unmapped layer after layer: 0.82 s against 0.54 s for 4 s of audio on one core.
torch::Tensor SeanetDecoderImpl::upsample(const torch::Tensor& x) {
    if (x.dim() != 3 || x.size(0) != 1 || torch::GradMode::is_enabled()) return forward(x, 2);
    constexpr int64_t kOneShotPushFrames = 25;
    auto stream = upsampleStream();
    std::vector<torch::Tensor> parts;
    for (int64_t t = 0; t < x.size(2); t += kOneShotPushFrames)
        if (auto y = stream->push(x.narrow(2, t, std::min(kOneShotPushFrames, x.size(2) - t)));
            y.defined())
            parts.push_back(y);
    if (auto y = stream->finish(); y.defined()) parts.push_back(y);
    return torch::cat(parts, 2);
}

} // namespace moodsteer::models::seanet
