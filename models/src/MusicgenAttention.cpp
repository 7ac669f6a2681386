#include "MusicgenAttention.h"

#include "CacheAttention.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>

#include <cmath>
#include <limits>

namespace moodsteer::models {
namespace {

torch::nn::Linear projection(int64_t in, int64_t out) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false));
}

/// x W^T through the inference copy when it is usable (current, no gradient needed).
torch::Tensor project(const ReducedLinear& fast, const torch::Tensor& x, const torch::Tensor& w) {
    if (fast.usable()) return fast(x);
    return at::linear(x, w);
}

} // namespace

MusicgenAttentionImpl::MusicgenAttentionImpl(int64_t dim, int64_t heads)
    : dim_(dim), heads_(heads), headDim_(dim / heads),
      scale_(std::pow(static_cast<double>(dim / heads), -0.5)) {
    q_proj = register_module("q_proj", projection(dim, dim));
    k_proj = register_module("k_proj", projection(dim, dim));
    v_proj = register_module("v_proj", projection(dim, dim));
    out_proj = register_module("out_proj", projection(dim, dim));
}

torch::Tensor MusicgenAttentionImpl::splitHeads(const torch::Tensor& x) const {
    return x.view({x.size(0), x.size(1), heads_, headDim_}).transpose(1, 2);
}

torch::Tensor MusicgenAttentionImpl::mergeHeads(const torch::Tensor& x) const {
    return x.transpose(1, 2).reshape({x.size(0), x.size(2), dim_});
}

torch::Tensor MusicgenAttentionImpl::additiveMask(at::IntArrayRef shape, const at::Tensor& keep,
                                                  const at::TensorOptions& options) {
    double lowest = 0;
    AT_DISPATCH_FLOATING_TYPES_AND2(
        at::kHalf, at::kBFloat16, options.dtype().toScalarType(), "additiveMask",
        [&] { lowest = static_cast<double>(std::numeric_limits<scalar_t>::lowest()); });
    // Filled in float32 (or float64) and converted: the fill's overflow check rejects
    // bfloat16's own lowest value given as a double.
    const auto fillType = options.dtype().toScalarType() == at::kDouble ? at::kDouble : at::kFloat;
    return at::zeros(shape, options.dtype(fillType))
        .masked_fill_(keep.logical_not(), lowest)
        .to(options.dtype());
}

void MusicgenAttentionImpl::setPrecision(WeightPrecision precision, bool self) {
    clearPrecision();
    if (self)
        fastQkv_ = ReducedLinear({q_proj->weight, k_proj->weight, v_proj->weight}, precision);
    else
        fastQ_ = ReducedLinear(q_proj->weight, precision);
    fastOut_ = ReducedLinear(out_proj->weight, precision);
}

int64_t MusicgenAttentionImpl::releaseFloatWeights(bool self) {
    at::NoGradGuard noGrad;
    int64_t freed = 0;
    auto drop = [&](torch::Tensor& w) {
        freed += w.numel();
        w.set_data(at::empty({0}, w.options()));
    };
    fastOut_.releaseSources();
    drop(out_proj->weight);
    if (self) {
        fastQkv_.releaseSources();
        drop(q_proj->weight);
        drop(k_proj->weight);
        drop(v_proj->weight);
    } else {
        fastQ_.releaseSources();
        drop(q_proj->weight);
    }
    return freed;
}

void MusicgenAttentionImpl::clearPrecision() {
    fastQkv_ = fastQ_ = fastOut_ = ReducedLinear();
}

double MusicgenAttentionImpl::decodeBytes() const {
    return fastQkv_.bytes() + fastQ_.bytes() + fastOut_.bytes();
}

bool MusicgenAttentionImpl::decodeReady(bool self) const {
    return fastOut_.current() && (self ? fastQkv_.current() : fastQ_.current());
}

std::pair<torch::Tensor, torch::Tensor>
MusicgenAttentionImpl::quantiseRows(const torch::Tensor& x) {
    auto scale = x.abs().amax(-1) / 127.0f; // [B, H, T]
    auto divisor = scale.masked_fill(scale == 0, 1.0f).unsqueeze(-1);
    auto codes = (x / divisor).clamp_(-127, 127).round_().to(at::kChar);
    return {codes, scale};
}

torch::Tensor MusicgenAttentionImpl::selfAttention(const torch::Tensor& x, LayerKv* kv,
                                                   int64_t past) {
    torch::Tensor q, k, v;
    if (fastQkv_.usable()) {
        auto all = fastQkv_(x); // one pass for the three projections
        q = all.narrow(-1, 0, dim_);
        k = all.narrow(-1, dim_, dim_);
        v = all.narrow(-1, 2 * dim_, dim_);
    } else {
        q = at::linear(x, q_proj->weight);
        k = at::linear(x, k_proj->weight);
        v = at::linear(x, v_proj->weight);
    }
    q = splitHeads(q * scale_); // upstream scales the projection output, not the weight
    k = splitHeads(k);
    v = splitHeads(v);

    const int64_t steps = x.size(1);
    if (kv && kv->int8()) {
        auto [kc, ks] = quantiseRows(k.to(at::kFloat));
        auto [vc, vs] = quantiseRows(v.to(at::kFloat));
        kv->k.narrow(2, past, steps).copy_(kc);
        kv->kScale.narrow(2, past, steps).copy_(ks);
        kv->v.narrow(2, past, steps).copy_(vc);
        kv->vScale.narrow(2, past, steps).copy_(vs);
    } else if (kv) {
        kv->k.narrow(2, past, steps).copy_(k);
        kv->v.narrow(2, past, steps).copy_(v);
    }
    // Inference with a cache (prefills): the decode step's kernels on the cache as it lies,
    // causal half only (models/kernels/CacheAttention.h).
    if (kv && cacheAttentionSupported(q, *kv, past))
        return project(fastOut_, cacheAttention(q, *kv, past), out_proj->weight);
    torch::Tensor keys = k, values = v;
    if (kv && kv->int8()) {
        const int64_t n = past + steps;
        keys = (kv->k.narrow(2, 0, n).to(at::kFloat) * kv->kScale.narrow(2, 0, n).unsqueeze(-1))
                   .to(q.scalar_type());
        values = (kv->v.narrow(2, 0, n).to(at::kFloat) * kv->vScale.narrow(2, 0, n).unsqueeze(-1))
                     .to(q.scalar_type());
    } else if (kv) {
        keys = kv->k.narrow(2, 0, past + steps);
        values = kv->v.narrow(2, 0, past + steps);
        if (keys.scalar_type() != q.scalar_type()) { // a bf16 cache (reduced precisions)
            keys = keys.to(q.scalar_type());
            values = values.to(q.scalar_type());
        }
    }
    auto scores = at::matmul(q, keys.transpose(-1, -2)); // [B, H, T, past + T]
    if (steps > 1) {
        // Query i (absolute position past + i) sees keys j <= past + i.
        auto keep = at::ones({steps, past + steps}, scores.options().dtype(at::kBool)).tril_(past);
        scores = scores + additiveMask({steps, past + steps}, keep, scores.options());
    }
    auto out = at::matmul(at::softmax(scores, -1), values);
    return project(fastOut_, mergeHeads(out), out_proj->weight);
}

torch::Tensor MusicgenAttentionImpl::crossAttention(const torch::Tensor& x,
                                                    const torch::Tensor& keys,
                                                    const torch::Tensor& values,
                                                    const CrossAttentionCache& cross) const {
    auto q = splitHeads(project(fastQ_, x, q_proj->weight) * scale_);
    auto scores = at::matmul(q, keys.transpose(-1, -2)); // [B, H, T, S]
    if (cross.anyMasked) scores = scores + cross.additiveMask;
    auto out = mergeHeads(at::matmul(at::softmax(scores, -1), values));
    // A row that attends to nothing outputs exactly 0 whatever its keys and values hold
    // (upstream gets 0 only because such rows' memory is all zero).
    if (cross.anyFullyMasked) out = out.masked_fill(cross.fullyMasked, 0.0);
    return project(fastOut_, out, out_proj->weight);
}

std::pair<torch::Tensor, torch::Tensor>
MusicgenAttentionImpl::projectMemory(const torch::Tensor& memory) const {
    return {splitHeads(at::linear(memory, k_proj->weight)).contiguous(),
            splitHeads(at::linear(memory, v_proj->weight)).contiguous()};
}

} // namespace moodsteer::models
