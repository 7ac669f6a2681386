#include "training/RepresentationLoss.h"

#include <torch/torch.h>

#include <limits>
#include <stdexcept>

namespace moodsteer {

torch::Tensor poolRepresentation(const torch::Tensor& x, const torch::Tensor& mask,
                                 RepresentationPool pool) {
    if (x.dim() != 3 || mask.dim() != 2 || x.size(0) != mask.size(0) || x.size(1) != mask.size(1))
        throw std::invalid_argument("poolRepresentation: x must be [B, L, D] and mask [B, L]");
    const auto keep = (mask != 0).unsqueeze(-1); // [B, L, 1]
    const auto count = keep.sum(1);              // [B, 1]
    if ((count == 0).any().item<bool>())
        throw std::invalid_argument("poolRepresentation: a row has no real position");
    if (pool == RepresentationPool::Max)
        return x.masked_fill(keep.logical_not(), -std::numeric_limits<float>::infinity()).amax(1);
    return (x * keep.to(x.dtype())).sum(1) / count.to(x.dtype());
}

torch::Tensor cosineMatrix(const torch::Tensor& rows) {
    // eps keeps a zero row finite (similarity 0) instead of dividing by zero.
    const auto unit = rows / rows.norm(2, 1, true).clamp_min(1e-8);
    return unit.matmul(unit.t());
}

torch::Tensor representationLoss(const torch::Tensor& text, const torch::Tensor& audio) {
    if (text.dim() != 2 || audio.dim() != 2 || text.size(0) != audio.size(0))
        throw std::invalid_argument("representationLoss: text and audio must be [B, D] rows");
    const auto B = text.size(0);
    if (B < 2) return (audio.sum() + text.sum()) * 0; // keeps the graph: every rank backprops
    const auto diff = cosineMatrix(text) - cosineMatrix(audio);
    // The diagonal is 1 - 1 = 0 up to rounding; masked so rounding never counts.
    const auto offDiagonal = 1 - torch::eye(B, diff.options());
    return (diff.square() * offDiagonal).sum() / static_cast<double>(B * (B - 1));
}

} // namespace moodsteer
