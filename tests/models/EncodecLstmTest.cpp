// EnCodec's LSTM at batch 1 (every decode) runs its own recurrence on the f32 GEMV kernel
// instead of LibTorch's LSTM: it must match LibTorch's within float rounding, from a zero state
// and carried across calls (the streaming decoder), and keep LibTorch's path for batches.
#include "Seanet.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

using namespace moodsteer::models;

namespace {

/// LibTorch's LSTM with the same skip connection: the reference.
std::pair<torch::Tensor, EncodecModelImpl::LstmState>
reference(seanet::Lstm& layer, const torch::Tensor& x,
          const std::optional<EncodecModelImpl::LstmState>& state) {
    auto seq = x.permute({2, 0, 1}).contiguous();
    auto [out, next] = state ? layer.lstm->forward(seq, *state) : layer.lstm->forward(seq);
    return {(out + seq).permute({1, 2, 0}), next};
}

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a - b).abs().max().item<double>();
}

} // namespace

TEST(EncodecLstm, BatchOneMatchesLibTorchFromZeroAndCarriedState) {
    torch::manual_seed(3);
    EncodecConfig config; // 2 layers, as the 32 kHz codec
    seanet::Lstm layer(config, 96);
    torch::NoGradGuard noGrad;
    const auto first = torch::randn({1, 96, 7}), second = torch::randn({1, 96, 5});
    auto [ours1, state1] = layer.forwardWithState(first, std::nullopt);
    auto [ref1, refState1] = reference(layer, first, std::nullopt);
    auto [ours2, state2] = layer.forwardWithState(second, state1);
    auto [ref2, refState2] = reference(layer, second, refState1);
    const double d = std::max({maxDiff(ours1, ref1), maxDiff(ours2, ref2),
                               maxDiff(std::get<0>(state2), std::get<0>(refState2)),
                               maxDiff(std::get<1>(state2), std::get<1>(refState2))});
    std::cout << "largest difference to LibTorch's LSTM: " << d << "\n";
    EXPECT_LT(d, 1e-5); // float rounding of a different summation order
    EXPECT_EQ(ours2.sizes(), ref2.sizes());
    // The caller's state is not modified in place.
    EXPECT_LT(maxDiff(std::get<0>(state1), std::get<0>(refState1)), 1e-5);
}

TEST(EncodecLstm, BatchesKeepLibTorchsPath) {
    torch::manual_seed(4);
    EncodecConfig config;
    seanet::Lstm layer(config, 32);
    torch::NoGradGuard noGrad;
    const auto x = torch::randn({3, 32, 4});
    auto [ours, s] = layer.forwardWithState(x, std::nullopt);
    auto [ref, rs] = reference(layer, x, std::nullopt);
    EXPECT_EQ(maxDiff(ours, ref), 0.0);
}
