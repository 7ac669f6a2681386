// The channels-last SEANet kernels (models/src/SeanetChannelsLast.cpp) against LibTorch's
// convolutions: layer by layer over shapes the 32 kHz codec does not use (kernels that are not
// a multiple of the stride, dilations, even kernels, every padding mode, causal trims, conv
// shortcuts), and whole decoders one-shot and streamed. Random weights; no files needed.
#include "Seanet.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>
#include <string>

using namespace moodsteer::models;
using namespace moodsteer::models::seanet;

namespace {

double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a - b).abs().max().item<double>();
}

/// Channels-first reference through LibTorch (autograd on: forward(), not the fast path).
torch::Tensor channelsLastOf(SeanetLayer& layer, const torch::Tensor& x) {
    torch::NoGradGuard noGrad;
    return layer.forwardChannelsLast(x[0].t().contiguous()).t().unsqueeze(0);
}

EncodecConfig smallConfig(bool causal, const std::string& padMode, int64_t residualLayers) {
    EncodecConfig c;
    c.num_filters = 4;
    c.hidden_size = 8;
    c.upsampling_ratios = {5, 3, 2};
    c.use_causal_conv = causal;
    c.use_conv_shortcut = causal;
    c.pad_mode = padMode;
    c.num_residual_layers = residualLayers;
    c.trim_right_ratio = 0.5;
    return c;
}

} // namespace

TEST(SeanetChannelsLast, ConvolutionsEqualLibTorchForEveryShapeAndPadding) {
    torch::manual_seed(3);
    for (const std::string mode : {"reflect", "constant", "replicate", "circular"})
        for (const bool causal : {false, true})
            for (const auto& [kernel, dilation] :
                 std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {3, 1}, {4, 1}, {3, 3}, {7, 2}}) {
                auto config = smallConfig(causal, mode, 1);
                Conv1d conv(config, 6, 5, kernel, 1, dilation);
                for (const int64_t length : {1, 2, 5, 40}) {
                    if (mode == "circular" && length < 16) continue; // torch: pad < length
                    const auto x = torch::randn({1, 6, length});
                    const auto ref = conv.forward(x).detach();
                    const auto got = channelsLastOf(conv, x);
                    ASSERT_EQ(ref.sizes(), got.sizes()) << mode << " k" << kernel << " L" << length;
                    EXPECT_LT(maxAbsDiff(ref, got), 1e-5)
                        << mode << " causal " << causal << " kernel " << kernel << " dilation "
                        << dilation << " length " << length;
                }
            }
}

TEST(SeanetChannelsLast, TransposedConvolutionsEqualLibTorch) {
    torch::manual_seed(4);
    double worst = 0;
    for (const bool causal : {false, true})
        for (const auto& [kernel, stride] :
             std::vector<std::pair<int64_t, int64_t>>{{16, 8}, {10, 5}, {7, 3}, {5, 5}, {3, 1}}) {
            auto config = smallConfig(causal, "reflect", 1);
            ConvTranspose1d conv(config, 6, 4, kernel, stride);
            for (const int64_t length : {1, 2, 9}) {
                const auto x = torch::randn({1, 6, length});
                const auto ref = conv.forward(x).detach();
                const auto got = channelsLastOf(conv, x);
                ASSERT_EQ(ref.sizes(), got.sizes()) << "kernel " << kernel << " stride " << stride;
                worst = std::max(worst, maxAbsDiff(ref, got));
                EXPECT_LT(maxAbsDiff(ref, got), 1e-5)
                    << "causal " << causal << " kernel " << kernel << " stride " << stride
                    << " length " << length;
            }
        }
    std::cout << "[seanet-channels-last] transposed convolutions: max abs diff " << worst << "\n";
}

TEST(SeanetChannelsLast, DecodersOneShotAndStreamedEqualLibTorch) {
    torch::manual_seed(5);
    for (const bool causal : {false, true})
        for (const int64_t residualLayers : {1, 2}) {
            auto config = smallConfig(causal, causal ? "constant" : "reflect", residualLayers);
            SeanetDecoderImpl decoder(config);
            const auto x = torch::randn({1, config.num_filters * 8, 13});
            const auto ref = decoder.forward(x, 2).detach(); // autograd on: LibTorch's layers
            torch::NoGradGuard noGrad;
            const auto oneShot = decoder.upsample(x);
            ASSERT_EQ(ref.sizes(), oneShot.sizes());
            const double diff = maxAbsDiff(ref, oneShot);
            std::cout << "[seanet-channels-last] decoder causal " << causal << ", "
                      << residualLayers << " residual layers: one-shot max abs diff " << diff
                      << "\n";
            EXPECT_LT(diff, 1e-5);
            auto stream = decoder.upsampleStream();
            for (const int64_t chunk : {1, 4, 13}) {
                std::vector<torch::Tensor> parts;
                for (int64_t t = 0; t < x.size(2); t += chunk) {
                    auto out = stream->push(x.slice(2, t, std::min(t + chunk, x.size(2))));
                    if (out.defined()) parts.push_back(out);
                }
                if (auto rest = stream->finish(); rest.defined()) parts.push_back(rest);
                const auto streamed = torch::cat(parts, 2);
                ASSERT_EQ(ref.sizes(), streamed.sizes()) << "pushes of " << chunk;
                EXPECT_LT(maxAbsDiff(ref, streamed), 1e-5) << "pushes of " << chunk;
            }
        }
}

TEST(SeanetChannelsLast, WeightsLoadedAfterAFirstDecodeAreUsed) {
    torch::manual_seed(6);
    auto config = smallConfig(false, "reflect", 1);
    ConvTranspose1d conv(config, 3, 2, 4, 2);
    const auto x = torch::randn({1, 3, 5});
    channelsLastOf(conv, x); // packs the first weights
    {
        torch::NoGradGuard noGrad;
        conv.conv->weight.copy_(torch::randn_like(conv.conv->weight)); // a checkpoint load
    }
    EXPECT_LT(maxAbsDiff(conv.forward(x).detach(), channelsLastOf(conv, x)), 1e-5);
}
