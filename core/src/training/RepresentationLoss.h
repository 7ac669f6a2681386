// Representation regularisation (../shared/DESIGN.md, "Representation regularisation";
// issue 22): ties the similarity structure of the LM's audio representations to that of the
// text representations on the samples whose text classifier-free guidance dropped, so the
// unconditional branch still "knows" how the prompts relate.
//
// For B samples with pooled text vectors T_b and audio vectors A_b, with S^T and S^A their
// cosine-similarity matrices: L_rr = sum_{b != b'} (S^T_bb' - S^A_bb')^2 / (B (B - 1)).
// Reentrant (no state).
#pragma once

#include "core/training/Training.h"

#include <torch/types.h>

namespace moodsteer {

/// x: [B, L, D]; mask: [B, L] (non-zero = a real position). Max or mean over the real
/// positions of each row -> [B, D]. Every row needs at least one real position.
torch::Tensor poolRepresentation(const torch::Tensor& x, const torch::Tensor& mask,
                                 RepresentationPool pool);

/// rows: [B, D] -> [B, B] cosine similarities (a zero row has similarity 0 to everything).
torch::Tensor cosineMatrix(const torch::Tensor& rows);

/// L_rr over all off-diagonal pairs of the B rows of `text` and `audio` ([B, D] each, the
/// widths may differ); 0 (a graph-connected zero) when B < 2.
torch::Tensor representationLoss(const torch::Tensor& text, const torch::Tensor& audio);

} // namespace moodsteer
