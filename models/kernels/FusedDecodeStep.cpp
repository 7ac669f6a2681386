#include "FusedDecodeStep.h"

#include "DecodeHelper.h"
#include "Kernels.h"
#include "models/DecodeThreads.h"
#include "models/ReducedLinear.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace moodsteer::models {
namespace {

// Reused per thread (a model may run on several threads, each with its own caches): a step
// allocates only the tensors it hands to the caller and the hooks.
struct Scratch {
    std::vector<float> x, normed, qkv, attn, proj, scores;
    at::Tensor inner; // [rows, ffn]: a tensor so that GELU can use ATen's vectorised erf
};

Scratch& scratch() {
    thread_local Scratch s;
    return s;
}

float* grown(std::vector<float>& v, int64_t n) {
    if (v.size() < static_cast<size_t>(n)) v.resize(n);
    return v.data();
}

// torch.nn.LayerNorm over the last dimension (biased variance), statistics in double.
void layerNorm(const float* x, int64_t rows, int64_t dim, const torch::nn::LayerNorm& norm,
               float* out) {
    const float* w = norm->weight.data_ptr<float>();
    const float* b = norm->bias.data_ptr<float>();
    for (int64_t r = 0; r < rows; ++r) {
        const float* in = x + r * dim;
        double sum = 0, squares = 0;
        kernels::active().moments.run(in, dim, &sum, &squares);
        const double mean = sum / static_cast<double>(dim);
        const float rstd = static_cast<float>(
            1.0 / std::sqrt(squares / static_cast<double>(dim) + norm->options.eps()));
        const float m = static_cast<float>(mean);
        float* o = out + r * dim;
        for (int64_t i = 0; i < dim; ++i)
            o[i] = (in[i] - m) * rstd * w[i] + b[i];
    }
}

// One head's attention on float32 keys/values (Kernels.h): the cross-attention.
void attend(const float* q, const float* keys, const float* values, int64_t count, int64_t hd,
            const float* mask, float* scores, float* out) {
    kernels::active().attendF32.run(q, keys, values, count, hd, mask, scores, out);
}
// Whether the decode helper (models/DecodeThreads.h) takes part in attending `positions` cached
// positions: when it is on and the cache is long enough for it to pay.
bool helperTakesPart(int64_t positions) {
    return decodeHelper() && positions >= kDecodeHelperMinPositions;
}

// One layer's self-attention heads as a job shared with the decode helper (DecodeHelper::share):
// the arguments are plain bytes, the input is the B rows of scaled q ([B, D]), and item i = b * H +
// head writes attn[b * D + head * hd, +hd). The cache is read where it is; the job keeps its
// tensors alive for a helper that finishes late (its result is then dropped).
enum class CacheKind { F32, Bf16, Int8 };
struct HeadShare {
    CacheKind kind;
    const void* keys;
    const void* values;
    const float* keyScales;
    const float* valueScales;
    int64_t H, hd, capacity, count;
};

// Head i (= b * H + head) of the job `a` for the query q (hd floats) into out (hd floats).
void attendHead(const HeadShare& a, int64_t i, const float* q, float* scores, float* out) {
    const int64_t row = i * a.capacity;
    const auto& k = kernels::active();
    switch (a.kind) {
    case CacheKind::F32:
        k.attendF32.run(q, static_cast<const float*>(a.keys) + row * a.hd,
                        static_cast<const float*>(a.values) + row * a.hd, a.count, a.hd, nullptr,
                        scores, out);
        return;
    case CacheKind::Bf16:
        k.attendBf16.run(q, static_cast<const kernels::Bf16*>(a.keys) + row * a.hd,
                         static_cast<const kernels::Bf16*>(a.values) + row * a.hd, a.count, a.hd,
                         nullptr, scores, out);
        return;
    case CacheKind::Int8:
        k.attendInt8.run(q, static_cast<const int8_t*>(a.keys) + row * a.hd, a.keyScales + row,
                         static_cast<const int8_t*>(a.values) + row * a.hd, a.valueScales + row,
                         a.count, a.hd, nullptr, scores, out);
        return;
    }
}

void headShareItem(const void* argsBytes, const void* input, int i, float* attn) {
    const auto& a = *static_cast<const HeadShare*>(argsBytes);
    thread_local std::vector<float> scores;
    attendHead(a, i, static_cast<const float*>(input) + i * a.hd, grown(scores, a.count),
               attn + i * a.hd);
}

// Attends the B * H heads of q (rows of qkv, stride 3D) to positions [0, past] of the layer's
// cache: shared with the decode helper on a long cache, else on this thread. Each head is the
// same kernel call either way, so the output is the same bit for bit.
void attendHeads(const float* qkv, int64_t B, int64_t H, int64_t hd, int64_t past,
                 const LayerKv& kv, float* scores, float* attn) {
    const int64_t D = H * hd, capacity = kv.k.size(2);
    HeadShare args{kv.int8()                             ? CacheKind::Int8
                   : kv.k.scalar_type() == at::kBFloat16 ? CacheKind::Bf16
                                                         : CacheKind::F32,
                   kv.k.data_ptr(),
                   kv.v.data_ptr(),
                   kv.int8() ? kv.kScale.data_ptr<float>() : nullptr,
                   kv.int8() ? kv.vScale.data_ptr<float>() : nullptr,
                   H,
                   hd,
                   capacity,
                   past + 1};
    const int64_t bytes = 2 * B * H * (past + 1) * hd * kv.k.element_size();
    if (helperTakesPart(past + 1) && bytes >= kDecodeHelperMinBytes) {
        thread_local std::vector<float> q;
        float* qs = grown(q, B * D);
        for (int64_t b = 0; b < B; ++b)
            std::copy(qkv + b * 3 * D, qkv + b * 3 * D + D, qs + b * D);
        DecodeHelper::Job job;
        job.fn = &headShareItem;
        job.args = &args;
        job.argBytes = sizeof(args);
        job.input = qs;
        job.inputBytes = sizeof(float) * B * D;
        job.count = static_cast<int>(B * H);
        job.y = attn;
        job.yFloats = B * D;
        job.rows = 1;
        job.stride = B * D;
        job.perItem = hd;
        job.cols = B * D;
        job.keepAlive = std::make_shared<LayerKv>(kv);
        if (DecodeHelper::instance().share(job)) return;
    }
    for (int64_t i = 0; i < B * H; ++i) {
        const int64_t b = i / H, head = i % H;
        attendHead(args, i, qkv + b * 3 * D + head * hd, scores, attn + b * D + head * hd);
    }
}

// Rows [B, 3D] of scaled q, k, v: writes each item's k and v at position `past` of the cache
// ([B, H, capacity, hd]; bf16 rounded to nearest even, as ATen's copy_; int8 codes and a scale
// per row, quantiseCacheRow), then attends each head of q to positions [0, past], reading the new
// key/value back from the cache as the LibTorch path does.
void selfAttend(const float* qkv, int64_t B, int64_t H, int64_t hd, int64_t past, LayerKv& kv,
                float* scores, float* attn) {
    const int64_t D = H * hd, capacity = kv.k.size(2);
    for (int64_t b = 0; b < B; ++b) {
        const float* r = qkv + b * 3 * D;
        for (int64_t head = 0; head < H; ++head) {
            const int64_t row = (b * H + head) * capacity + past;
            const float* k = r + D + head * hd;
            const float* v = r + 2 * D + head * hd;
            if (kv.int8()) {
                kv.kScale.data_ptr<float>()[row] =
                    quantiseCacheRow(k, hd, kv.k.data_ptr<int8_t>() + row * hd);
                kv.vScale.data_ptr<float>()[row] =
                    quantiseCacheRow(v, hd, kv.v.data_ptr<int8_t>() + row * hd);
            } else if (kv.k.scalar_type() == at::kBFloat16) {
                std::copy(k, k + hd, kv.k.data_ptr<c10::BFloat16>() + row * hd);
                std::copy(v, v + hd, kv.v.data_ptr<c10::BFloat16>() + row * hd);
            } else {
                std::copy(k, k + hd, kv.k.data_ptr<float>() + row * hd);
                std::copy(v, v + hd, kv.v.data_ptr<float>() + row * hd);
            }
        }
    }
    attendHeads(qkv, B, H, hd, past, kv, scores, attn);
}

bool isFloat(const torch::Tensor& t, std::initializer_list<int64_t> shape) {
    return t.defined() && t.scalar_type() == at::kFloat && t.is_contiguous() &&
           t.sizes() == at::IntArrayRef(shape);
}

torch::Tensor residualTensor(const float* data, int64_t rows, int64_t dim) {
    auto t = at::empty({rows, 1, dim}, at::kFloat);
    std::memcpy(t.data_ptr<float>(), data, sizeof(float) * rows * dim);
    return t;
}

} // namespace

bool fusedDecodeSupported(const MusicgenDecoderLayerImpl& layer, const torch::Tensor& h,
                          int layerIndex, const CrossAttentionCache& cross, const LayerKv& kv) {
    if (at::GradMode::is_enabled() || h.dim() != 3 || h.size(1) != 1 || h.size(0) < 1 ||
        h.size(0) > kFusedDecodeMaxItems || !layer.decodeReady())
        return false;
    const int64_t B = h.size(0), D = h.size(2), H = layer.self_attn->heads(),
                  hd = layer.self_attn->headDim(), S = cross.length();
    if (H * hd != D || layer.encoder_attn->heads() != H || !isFloat(h, {B, 1, D}) ||
        layer.fastFc1().inFeatures() != D || cross.batch() != B || layerIndex < 0 ||
        static_cast<size_t>(layerIndex) >= cross.k.size() ||
        static_cast<size_t>(layerIndex) >= cross.v.size())
        return false;
    const auto& cacheK = kv.k;
    const int64_t capacity = cacheK.defined() && cacheK.dim() == 4 ? cacheK.size(2) : 0;
    auto cacheOk = [&](const torch::Tensor& c) {
        return c.defined() && c.is_contiguous() &&
               c.sizes() == at::IntArrayRef({B, H, capacity, hd}) &&
               (c.scalar_type() == at::kFloat || c.scalar_type() == at::kBFloat16 ||
                (c.scalar_type() == at::kChar && kv.int8())) &&
               c.scalar_type() == cacheK.scalar_type();
    };
    auto scalesOk = [&](const torch::Tensor& s) {
        return !kv.int8() || (s.defined() && s.scalar_type() == at::kFloat && s.is_contiguous() &&
                              s.sizes() == at::IntArrayRef({B, H, capacity}));
    };
    return capacity > 0 && cacheOk(cacheK) && cacheOk(kv.v) && scalesOk(kv.kScale) &&
           scalesOk(kv.vScale) && isFloat(cross.k[layerIndex], {B, H, S, hd}) &&
           isFloat(cross.v[layerIndex], {B, H, S, hd}) &&
           (!cross.anyMasked || isFloat(cross.additiveMask, {B, 1, 1, S})) &&
           (!cross.anyFullyMasked ||
            (cross.fullyMasked.scalar_type() == at::kBool && cross.fullyMasked.is_contiguous() &&
             cross.fullyMasked.numel() == B));
}

torch::Tensor fusedDecodeLayer(const MusicgenDecoderLayerImpl& layer, const torch::Tensor& h,
                               int layerIndex, const CrossAttentionCache& cross, LayerKv& kv,
                               int64_t past, const DecoderHooks* hooks) {
    const auto& self = *layer.self_attn;
    const auto& enc = *layer.encoder_attn;
    const int64_t B = h.size(0), D = h.size(2), H = self.heads(), hd = self.headDim();
    const int64_t S = cross.length();
    const int64_t F = layer.fastFc1().outFeatures();
    auto& s = scratch();
    float* x = grown(s.x, B * D);
    float* normed = grown(s.normed, B * D);
    float* qkv = grown(s.qkv, B * 3 * D);
    float* attn = grown(s.attn, B * D);
    float* proj = grown(s.proj, B * D);
    float* scores = grown(s.scores, std::max(past + 1, S));
    const float* in = h.data_ptr<float>();

    // Self-attention: the new key/value go to the cache at `past`; the query sees [0, past].
    // The decode helper wakes now if it sleeps: it shares the reduced weights' GEMVs and, on a
    // long cache, the attention.
    if (decodeHelper()) DecodeHelper::instance().prepare();
    layerNorm(in, B, D, layer.self_attn_layer_norm, normed);
    self.fastQkv().apply(normed, B, qkv);
    // Upstream scales the query projection's output, not the weight.
    const float selfScale = static_cast<float>(self.scale());
    for (int64_t b = 0; b < B; ++b)
        for (int64_t i = 0; i < D; ++i)
            qkv[b * 3 * D + i] *= selfScale;
    selfAttend(qkv, B, H, hd, past, kv, scores, attn);
    self.fastOut().apply(attn, B, proj);
    if (hooks && hooks->onAttention) hooks->onAttention(layerIndex, residualTensor(proj, B, D));
    for (int64_t i = 0; i < B * D; ++i)
        x[i] = in[i] + proj[i];

    // Cross-attention on the precomputed memory keys/values; a row that attends to nothing
    // outputs exactly 0 (as MusicgenAttentionImpl::crossAttention).
    layerNorm(x, B, D, layer.encoder_attn_layer_norm, normed);
    enc.fastQ().apply(normed, B, qkv);
    const float crossScale = static_cast<float>(enc.scale());
    const float* memKeys = cross.k[layerIndex].data_ptr<float>();
    const float* memValues = cross.v[layerIndex].data_ptr<float>();
    const float* mask = cross.anyMasked ? cross.additiveMask.data_ptr<float>() : nullptr;
    const bool* empty = cross.anyFullyMasked ? cross.fullyMasked.data_ptr<bool>() : nullptr;
    for (int64_t b = 0; b < B; ++b) {
        float* q = qkv + b * D;
        if (empty && empty[b]) {
            std::fill(attn + b * D, attn + (b + 1) * D, 0.0f);
            continue;
        }
        for (int64_t i = 0; i < D; ++i)
            q[i] *= crossScale;
        for (int64_t head = 0; head < H; ++head) {
            const int64_t base = (b * H + head) * S * hd;
            attend(q + head * hd, memKeys + base, memValues + base, S, hd,
                   mask ? mask + b * S : nullptr, scores, attn + b * D + head * hd);
        }
    }
    enc.fastOut().apply(attn, B, proj);
    for (int64_t i = 0; i < B * D; ++i)
        x[i] += proj[i];

    // MLP: fc1, GELU (exact erf form) or ReLU, fc2.
    layerNorm(x, B, D, layer.final_layer_norm, normed);
    if (!s.inner.defined() || s.inner.size(0) != B || s.inner.size(1) != F)
        s.inner = at::empty({B, F}, at::kFloat);
    float* inner = s.inner.data_ptr<float>();
    layer.fastFc1().apply(normed, B, inner);
    if (layer.gelu())
        at::gelu_(s.inner);
    else
        for (int64_t i = 0; i < B * F; ++i)
            inner[i] = std::max(inner[i], 0.0f);
    layer.fastFc2().apply(inner, B, proj);
    auto out = at::empty({B, 1, D}, at::kFloat);
    float* o = out.data_ptr<float>();
    for (int64_t i = 0; i < B * D; ++i)
        o[i] = x[i] + proj[i];
    return out;
}

// The clamped quotient is rounded half to even by adding and subtracting 1.5 * 2^23 (exact for
// |v| <= 2^22: std::nearbyint's result in the default rounding mode) rather than by a libm call
// per element, which was ~3 % of an int8 step.
float quantiseCacheRow(const float* x, int64_t hd, int8_t* codes) {
    float top = 0;
    for (int64_t i = 0; i < hd; ++i)
        top = std::max(top, std::fabs(x[i]));
    const float scale = top / 127.0f;
    const float divisor = scale == 0 ? 1.0f : scale;
    constexpr float kRound = 12582912.0f; // 1.5 * 2^23
    for (int64_t i = 0; i < hd; ++i) {
        const float v = std::min(127.0f, std::max(-127.0f, x[i] / divisor));
        codes[i] = static_cast<int8_t>(static_cast<int32_t>((v + kRound) - kRound));
    }
    return scale;
}

} // namespace moodsteer::models
