// Row-packing of weight matrices that are applied to the same input (q/k/v, the K lm heads),
// so that one matmul replaces several. The parameters keep their checkpoint names and become
// views of the packed storage: loading, optimiser steps and saving keep working on them, and
// the packed matrix can never go stale. Anything that replaces a parameter's storage (to(),
// set_data()) breaks the sharing; isPacked() notices, and callers then use the parameters.
#pragma once

#include "HugePages.h"

#include <ATen/ATen.h>
#include <torch/types.h>

#include <vector>

namespace moodsteer::models {

/// Concatenates `params` (each [rows_i, cols]) along dim 0 and re-points each parameter at
/// its rows of the result, which is returned.
inline torch::Tensor packRows(std::vector<torch::Tensor> params) {
    torch::NoGradGuard noGrad;
    int64_t total = 0;
    for (const auto& p : params)
        total += p.size(0);
    std::vector<int64_t> sizes{total};
    for (int64_t d = 1; d < params.front().dim(); ++d)
        sizes.push_back(params.front().size(d));
    // Streamed every decode step: on huge pages (see HugePages.h).
    auto packed = emptyOnHugePages(sizes, params.front().scalar_type());
    at::cat_out(packed, params, 0);
    int64_t row = 0;
    for (auto& p : params) {
        const int64_t rows = p.size(0);
        p.set_data(packed.narrow(0, row, rows));
        row += rows;
    }
    return packed;
}

/// True when `params` still are consecutive row blocks of `packed`.
inline bool isPacked(const torch::Tensor& packed, const std::vector<const torch::Tensor*>& params) {
    if (!packed.defined()) return false;
    const auto* base = static_cast<const char*>(packed.data_ptr());
    const int64_t rowBytes = packed.stride(0) * static_cast<int64_t>(packed.element_size());
    int64_t row = 0;
    for (const auto* p : params) {
        if (p->scalar_type() != packed.scalar_type() || p->device() != packed.device() ||
            !p->is_contiguous() || p->dim() != 2 || p->size(1) != packed.size(1) ||
            p->data_ptr() != base + row * rowBytes)
            return false;
        row += p->size(0);
    }
    return row == packed.size(0);
}

/// The packed path is for inference: autograd must not need the individual parameters.
inline bool gradientsNeeded(const std::vector<const torch::Tensor*>& params) {
    if (!at::GradMode::is_enabled()) return false;
    for (const auto* p : params)
        if (p->requires_grad()) return true;
    return false;
}

} // namespace moodsteer::models
