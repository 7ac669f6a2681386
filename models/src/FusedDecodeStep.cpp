#include "FusedDecodeStep.h"

#include "models/ReducedLinear.h"

#include <ATen/ATen.h>

// GCC 12 flags its own _mm512_reduce_add_ps helpers (-Wmaybe-uninitialized, a known false
// positive): silence it for the intrinsics header only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
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

__mmask16 tailMask(int64_t left) {
    return static_cast<__mmask16>((1u << left) - 1u);
}

// Where _mm512_reduce_add_ps is inlined into a non-template function, GCC 12 reports its
// dummy operand as -Wuninitialized at the call site: the same false positive.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
__attribute__((target("avx512f"))) float dotAvx512(const float* a, const float* b, int64_t n) {
    __m512 acc = _mm512_setzero_ps();
    int64_t k = 0;
    for (; k + 16 <= n; k += 16)
        acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + k), _mm512_loadu_ps(b + k), acc);
    if (k < n) {
        const __mmask16 m = tailMask(n - k);
        acc =
            _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + k), _mm512_maskz_loadu_ps(m, b + k), acc);
    }
    return _mm512_reduce_add_ps(acc);
}
#pragma GCC diagnostic pop

__attribute__((target("avx512f"))) void axpyAvx512(float a, const float* x, float* y, int64_t n) {
    const __m512 av = _mm512_set1_ps(a);
    int64_t k = 0;
    for (; k + 16 <= n; k += 16)
        _mm512_storeu_ps(y + k,
                         _mm512_fmadd_ps(av, _mm512_loadu_ps(x + k), _mm512_loadu_ps(y + k)));
    if (k < n) {
        const __mmask16 m = tailMask(n - k);
        _mm512_mask_storeu_ps(
            y + k, m,
            _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(m, x + k), _mm512_maskz_loadu_ps(m, y + k)));
    }
}

float dot(const float* a, const float* b, int64_t n) {
    if (gemvKernelAvailable()) return dotAvx512(a, b, n);
    float s = 0;
    for (int64_t k = 0; k < n; ++k)
        s += a[k] * b[k];
    return s;
}

void axpy(float a, const float* x, float* y, int64_t n) {
    if (gemvKernelAvailable()) return axpyAvx512(a, x, y, n);
    for (int64_t k = 0; k < n; ++k)
        y[k] += a * x[k];
}

// Sum of x and sum of (x - mean)^2 in double, 8 lanes at a time (the scalar loops were ~0.2 ms
// of a 13 ms int8 decode step). The same GCC 12 false positive as dotAvx512.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target("avx512f"))) void momentsAvx512(const float* in, int64_t dim, double& sum,
                                                      double& squaresAboutMean) {
    __m512d s0 = _mm512_setzero_pd(), s1 = s0;
    int64_t i = 0;
    for (; i + 16 <= dim; i += 16) {
        s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm256_loadu_ps(in + i)));
        s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm256_loadu_ps(in + i + 8)));
    }
    double total = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
    for (; i < dim; ++i)
        total += in[i];
    sum = total;
    const double mean = total / static_cast<double>(dim);
    const __m512d m = _mm512_set1_pd(mean);
    __m512d q0 = _mm512_setzero_pd(), q1 = q0;
    i = 0;
    for (; i + 16 <= dim; i += 16) {
        const __m512d d0 = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(in + i)), m);
        const __m512d d1 = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(in + i + 8)), m);
        q0 = _mm512_fmadd_pd(d0, d0, q0);
        q1 = _mm512_fmadd_pd(d1, d1, q1);
    }
    double squares = _mm512_reduce_add_pd(_mm512_add_pd(q0, q1));
    for (; i < dim; ++i)
        squares += (in[i] - mean) * (in[i] - mean);
    squaresAboutMean = squares;
}
#pragma GCC diagnostic pop

// torch.nn.LayerNorm over the last dimension (biased variance), statistics in double.
void layerNorm(const float* x, int64_t rows, int64_t dim, const torch::nn::LayerNorm& norm,
               float* out) {
    const float* w = norm->weight.data_ptr<float>();
    const float* b = norm->bias.data_ptr<float>();
    for (int64_t r = 0; r < rows; ++r) {
        const float* in = x + r * dim;
        double sum = 0, squares = 0;
        double mean = 0;
        if (gemvKernelAvailable()) {
            momentsAvx512(in, dim, sum, squares);
            mean = sum / static_cast<double>(dim);
        } else {
            for (int64_t i = 0; i < dim; ++i)
                sum += in[i];
            mean = sum / static_cast<double>(dim);
            for (int64_t i = 0; i < dim; ++i)
                squares += (in[i] - mean) * (in[i] - mean);
        }
        const float rstd = static_cast<float>(
            1.0 / std::sqrt(squares / static_cast<double>(dim) + norm->options.eps()));
        const float m = static_cast<float>(mean);
        float* o = out + r * dim;
        for (int64_t i = 0; i < dim; ++i)
            o[i] = (in[i] - m) * rstd * w[i] + b[i];
    }
}

// out[hd] = softmax(q . keys^T + mask) . values for one head and one query; keys and values
// are `count` rows of hd floats; the softmax is taken in float32 as ATen does.
void attend(const float* q, const float* keys, const float* values, int64_t count, int64_t hd,
            const float* mask, float* scores, float* out) {
    float top = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < count; ++j) {
        float s = dot(q, keys + j * hd, hd);
        if (mask) s += mask[j];
        scores[j] = s;
        top = std::max(top, s);
    }
    float sum = 0;
    for (int64_t j = 0; j < count; ++j) {
        scores[j] = std::exp(scores[j] - top);
        sum += scores[j];
    }
    std::fill(out, out + hd, 0.0f);
    for (int64_t j = 0; j < count; ++j)
        axpy(scores[j] / sum, values + j * hd, out, hd);
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
                          int layerIndex, const CrossAttentionCache& cross,
                          const torch::Tensor& cacheK, const torch::Tensor& cacheV) {
    if (at::GradMode::is_enabled() || h.dim() != 3 || h.size(1) != 1 || h.size(0) < 1 ||
        h.size(0) > kGemvMaxRows || !layer.decodeReady())
        return false;
    const int64_t B = h.size(0), D = h.size(2), H = layer.self_attn->heads(),
                  hd = layer.self_attn->headDim(), S = cross.length();
    if (H * hd != D || layer.encoder_attn->heads() != H || !isFloat(h, {B, 1, D}) ||
        layer.fastFc1().inFeatures() != D || cross.batch() != B || layerIndex < 0 ||
        static_cast<size_t>(layerIndex) >= cross.k.size() ||
        static_cast<size_t>(layerIndex) >= cross.v.size())
        return false;
    const int64_t capacity = cacheK.defined() && cacheK.dim() == 4 ? cacheK.size(2) : 0;
    return capacity > 0 && isFloat(cacheK, {B, H, capacity, hd}) &&
           isFloat(cacheV, {B, H, capacity, hd}) && isFloat(cross.k[layerIndex], {B, H, S, hd}) &&
           isFloat(cross.v[layerIndex], {B, H, S, hd}) &&
           (!cross.anyMasked || isFloat(cross.additiveMask, {B, 1, 1, S})) &&
           (!cross.anyFullyMasked ||
            (cross.fullyMasked.scalar_type() == at::kBool && cross.fullyMasked.is_contiguous() &&
             cross.fullyMasked.numel() == B));
}

torch::Tensor fusedDecodeLayer(const MusicgenDecoderLayerImpl& layer, const torch::Tensor& h,
                               int layerIndex, const CrossAttentionCache& cross,
                               torch::Tensor& cacheK, torch::Tensor& cacheV, int64_t past,
                               const DecoderHooks* hooks) {
    const auto& self = *layer.self_attn;
    const auto& enc = *layer.encoder_attn;
    const int64_t B = h.size(0), D = h.size(2), H = self.heads(), hd = self.headDim();
    const int64_t capacity = cacheK.size(2), S = cross.length();
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
    layerNorm(in, B, D, layer.self_attn_layer_norm, normed);
    self.fastQkv().apply(normed, B, qkv);
    float* keys = cacheK.data_ptr<float>();
    float* values = cacheV.data_ptr<float>();
    const float selfScale = static_cast<float>(self.scale());
    for (int64_t b = 0; b < B; ++b) {
        float* row = qkv + b * 3 * D;
        for (int64_t i = 0; i < D; ++i)
            row[i] *= selfScale; // upstream scales the projection output, not the weight
        for (int64_t head = 0; head < H; ++head) {
            const int64_t at = ((b * H + head) * capacity + past) * hd;
            std::memcpy(keys + at, row + D + head * hd, sizeof(float) * hd);
            std::memcpy(values + at, row + 2 * D + head * hd, sizeof(float) * hd);
        }
        for (int64_t head = 0; head < H; ++head) {
            const int64_t base = (b * H + head) * capacity * hd;
            attend(row + head * hd, keys + base, values + base, past + 1, hd, nullptr, scores,
                   attn + b * D + head * hd);
        }
    }
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

} // namespace moodsteer::models
