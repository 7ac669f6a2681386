// Representation regularisation's loss against hand-computed values: pooling over the real
// positions, the cosine matrices, L_rr for B = 2, for identical samples and for three samples.
#include "training/RepresentationLoss.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

using namespace moodsteer;

namespace {

torch::Tensor rows(std::initializer_list<std::initializer_list<float>> values) {
    std::vector<torch::Tensor> r;
    for (auto v : values)
        r.push_back(torch::tensor(std::vector<float>(v)));
    return torch::stack(r);
}

} // namespace

TEST(RepresentationLoss, PoolsOnlyTheRealPositions) {
    // One sample, three positions of which the last is padding (its huge values must not count).
    const auto x = torch::tensor({1.f, 5.f, 3.f, 2.f, 100.f, 100.f}).view({1, 3, 2});
    const auto mask = torch::tensor({1, 1, 0}).view({1, 3});
    const auto mx = poolRepresentation(x, mask, RepresentationPool::Max);
    const auto mean = poolRepresentation(x, mask, RepresentationPool::Mean);
    EXPECT_FLOAT_EQ(mx[0][0].item<float>(), 3.f);
    EXPECT_FLOAT_EQ(mx[0][1].item<float>(), 5.f);
    EXPECT_FLOAT_EQ(mean[0][0].item<float>(), 2.f);
    EXPECT_FLOAT_EQ(mean[0][1].item<float>(), 3.5f);
    EXPECT_THROW(poolRepresentation(x, torch::zeros({1, 3}), RepresentationPool::Max),
                 std::invalid_argument);
}

TEST(RepresentationLoss, CosineMatrix) {
    const auto s = cosineMatrix(rows({{1, 0}, {1, 1}, {0, 0}}));
    EXPECT_NEAR(s[0][0].item<float>(), 1.f, 1e-6);
    EXPECT_NEAR(s[0][1].item<float>(), 1 / std::sqrt(2.f), 1e-6);
    EXPECT_NEAR(s[1][0].item<float>(), 1 / std::sqrt(2.f), 1e-6);
    EXPECT_EQ(s[2][0].item<float>(), 0.f); // a zero row: finite, similarity 0
}

TEST(RepresentationLoss, TwoSamples) {
    // Text: orthogonal (cos 0). Audio: 45 degrees apart (cos 1/sqrt 2).
    // L = 2 pairs * (0 - 1/sqrt 2)^2 / (2 * 1) = 0.5.
    const auto text = rows({{1, 0, 0}, {0, 1, 0}});
    auto audio = rows({{1, 0}, {1, 1}}).requires_grad_();
    const auto l = representationLoss(text, audio);
    EXPECT_NEAR(l.item<float>(), 0.5f, 1e-6);
    l.backward();
    ASSERT_TRUE(audio.grad().defined());
    EXPECT_GT(audio.grad().abs().sum().item<float>(), 0.f);
    // Cosine similarity ignores length: scaled rows give the same loss.
    EXPECT_NEAR(representationLoss(text * 3, rows({{7, 0}, {2, 2}})).item<float>(), 0.5f, 1e-6);
}

TEST(RepresentationLoss, IdenticalSamples) {
    // Identical samples: both matrices are all ones, nothing to align.
    EXPECT_NEAR(
        representationLoss(rows({{1, 2, 3}, {1, 2, 3}}), rows({{4, 5}, {4, 5}})).item<float>(), 0.f,
        1e-6);
    // Identical prompts but audio 60 degrees apart (cos 1/2): L = 2 * (1 - 1/2)^2 / 2 = 0.25.
    EXPECT_NEAR(
        representationLoss(rows({{1, 2}, {1, 2}}), rows({{1, 0}, {0.5f, std::sqrt(3.f) / 2}}))
            .item<float>(),
        0.25f, 1e-6);
}

TEST(RepresentationLoss, ThreeSamples) {
    // Text: three orthogonal rows (all off-diagonal cos 0). Audio: (1,0), (0,1), (1,1):
    // cos 0, 1/sqrt 2, 1/sqrt 2. L = 2 * (0 + 1/2 + 1/2) / (3 * 2) = 1/3.
    const auto text = rows({{1, 0, 0}, {0, 1, 0}, {0, 0, 1}});
    const auto audio = rows({{1, 0}, {0, 1}, {1, 1}});
    EXPECT_NEAR(representationLoss(text, audio).item<float>(), 1.f / 3, 1e-6);
    // Symmetric in its arguments, and 0 against itself.
    EXPECT_NEAR(representationLoss(audio, text).item<float>(), 1.f / 3, 1e-6);
    EXPECT_NEAR(representationLoss(audio, audio).item<float>(), 0.f, 1e-6);
}

TEST(RepresentationLoss, FewerThanTwoSamplesGiveZero) {
    auto audio = rows({{1, 2}}).requires_grad_();
    const auto l = representationLoss(rows({{3, 4}}), audio);
    EXPECT_EQ(l.item<float>(), 0.f);
    l.backward(); // still part of the graph: every rank of a data-parallel run backpropagates
    EXPECT_TRUE(audio.grad().defined());
}
