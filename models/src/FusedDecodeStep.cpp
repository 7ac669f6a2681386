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
    std::vector<float> x, normed, qkv, attn, proj, scores, row;
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

// A cached key or value row as float32: itself, or converted from bf16 into `buffer`.
const float* asFloat(const float* row, int64_t, float*) {
    return row;
}
const float* asFloat(const c10::BFloat16* row, int64_t n, float* buffer) {
    for (int64_t i = 0; i < n; ++i)
        buffer[i] = static_cast<float>(row[i]);
    return buffer;
}

// out[hd] = softmax(q . keys^T + mask) . values for one head and one query; keys and values
// are `count` rows of hd elements (float32, or the bf16 self-attention cache); the softmax is
// taken in float32 as ATen does. `row`: hd floats of scratch.
template <typename T>
void attendScalar(const float* q, const T* keys, const T* values, int64_t count, int64_t hd,
                  const float* mask, float* scores, float* out, float* row) {
    float top = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < count; ++j) {
        float s = dot(q, asFloat(keys + j * hd, hd, row), hd);
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
        axpy(scores[j] / sum, asFloat(values + j * hd, hd, row), out, hd);
}

// The same GCC 12 false positive as dotAvx512, from the intrinsics' undefined operands.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// exp for x <= 0 (scores minus their maximum), Cephes' expf: x = n ln2 + r, |r| <= ln2 / 2,
// a degree-7 polynomial in r (~1 ulp), times 2^n by vscalefps. Below -150 the result is 0, as
// expf's underflow; a NaN stays NaN.
__attribute__((target("avx512f"), always_inline)) inline __m512 expAvx512(__m512 x) {
    x = _mm512_max_ps(_mm512_set1_ps(-150.0f), x); // max(c, NaN) is NaN
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

// 16 vectors of partial sums -> one vector of their 16 horizontal sums, in order.
__attribute__((target("avx512f"), always_inline)) inline __m512 sum16(const __m512* v) {
    __m512 u[8], w[4];
    for (int i = 0; i < 8; ++i)
        u[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]),
                             _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
    for (int i = 0; i < 4; ++i)
        w[i] = _mm512_add_ps(_mm512_shuffle_ps(u[2 * i], u[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_ps(u[2 * i], u[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    // w[i] now holds, per 128-bit block, the partial sums of vectors 4i..4i+3.
    const __m512 y01 = _mm512_add_ps(_mm512_shuffle_f32x4(w[0], w[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                     _mm512_shuffle_f32x4(w[0], w[1], _MM_SHUFFLE(3, 1, 3, 1)));
    const __m512 y23 = _mm512_add_ps(_mm512_shuffle_f32x4(w[2], w[3], _MM_SHUFFLE(2, 0, 2, 0)),
                                     _mm512_shuffle_f32x4(w[2], w[3], _MM_SHUFFLE(3, 1, 3, 1)));
    return _mm512_add_ps(_mm512_shuffle_f32x4(y01, y23, _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(y01, y23, _MM_SHUFFLE(3, 1, 3, 1)));
}

// 16 elements of a cached row as float32 (bf16: the 16 bits become the top of a float).
__attribute__((target("avx512f"), always_inline)) inline __m512 load16(const float* p) {
    return _mm512_loadu_ps(p);
}
__attribute__((target("avx512f"), always_inline)) inline __m512 load16(const c10::BFloat16* p) {
    const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(bits), 16));
}

// q . k as 16 lane-wise partial sums, for head_dim = 16 C.
template <int C, typename T>
__attribute__((target("avx512f"), always_inline)) inline __m512 partialDot(const __m512* qv,
                                                                           const T* k) {
    __m512 a = _mm512_mul_ps(qv[0], load16(k));
    for (int c = 1; c < C; ++c)
        a = _mm512_fmadd_ps(qv[c], load16(k + 16 * c), a);
    return a;
}

// attendScalar() for head_dim = 16 C, with q and the output in registers: scores 16 keys at a
// time (one transposing reduction instead of 16), a vectorised exp, and the weighted sum of
// the values in two interleaved accumulator sets, normalised once at the end. At 500 cached
// positions the per-key loop was ~30 % of an int8 musicgen-small step.
template <int C, typename T>
__attribute__((target("avx512f"))) void attendAvx512(const float* q, const T* keys, const T* values,
                                                     int64_t count, const float* mask,
                                                     float* scores, float* out) {
    constexpr int64_t hd = 16 * C;
    __m512 qv[C];
    for (int c = 0; c < C; ++c)
        qv[c] = _mm512_loadu_ps(q + 16 * c);
    __m512 topv = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
    int64_t j = 0;
    for (; j + 16 <= count; j += 16) {
        __m512 acc[16];
        for (int i = 0; i < 16; ++i)
            acc[i] = partialDot<C, T>(qv, keys + (j + i) * hd);
        __m512 s = sum16(acc);
        if (mask) s = _mm512_add_ps(s, _mm512_loadu_ps(mask + j));
        _mm512_storeu_ps(scores + j, s);
        topv = _mm512_max_ps(topv, s);
    }
    float top = _mm512_reduce_max_ps(topv);
    for (; j < count; ++j) {
        float s = _mm512_reduce_add_ps(partialDot<C, T>(qv, keys + j * hd));
        if (mask) s += mask[j];
        scores[j] = s;
        top = std::max(top, s);
    }
    const __m512 topb = _mm512_set1_ps(top);
    __m512 sumv = _mm512_setzero_ps();
    for (j = 0; j < count; j += 16) {
        const __mmask16 m = count - j >= 16 ? static_cast<__mmask16>(0xFFFF) : tailMask(count - j);
        const __m512 e = expAvx512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, scores + j), topb));
        _mm512_mask_storeu_ps(scores + j, m, e);
        sumv = _mm512_add_ps(sumv, _mm512_maskz_mov_ps(m, e));
    }
    __m512 o0[C], o1[C];
    for (int c = 0; c < C; ++c)
        o0[c] = o1[c] = _mm512_setzero_ps();
    for (j = 0; j + 2 <= count; j += 2) {
        const __m512 w0 = _mm512_set1_ps(scores[j]), w1 = _mm512_set1_ps(scores[j + 1]);
        const T* v = values + j * hd;
        for (int c = 0; c < C; ++c) {
            o0[c] = _mm512_fmadd_ps(w0, load16(v + 16 * c), o0[c]);
            o1[c] = _mm512_fmadd_ps(w1, load16(v + hd + 16 * c), o1[c]);
        }
    }
    if (j < count) {
        const __m512 w0 = _mm512_set1_ps(scores[j]);
        for (int c = 0; c < C; ++c)
            o0[c] = _mm512_fmadd_ps(w0, load16(values + j * hd + 16 * c), o0[c]);
    }
    const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sumv));
    for (int c = 0; c < C; ++c)
        _mm512_storeu_ps(out + 16 * c, _mm512_mul_ps(_mm512_add_ps(o0[c], o1[c]), inv));
}

#pragma GCC diagnostic pop

template <typename T>
void attend(const float* q, const T* keys, const T* values, int64_t count, int64_t hd,
            const float* mask, float* scores, float* out, float* row) {
    if (gemvKernelAvailable()) {
        switch (hd) {
        case 16:
            return attendAvx512<1>(q, keys, values, count, mask, scores, out);
        case 32:
            return attendAvx512<2>(q, keys, values, count, mask, scores, out);
        case 64:
            return attendAvx512<4>(q, keys, values, count, mask, scores, out);
        case 128:
            return attendAvx512<8>(q, keys, values, count, mask, scores, out);
        default:
            break;
        }
    }
    attendScalar(q, keys, values, count, hd, mask, scores, out, row);
}

// Rows [B, 3D] of scaled q, k, v: writes each item's k and v at position `past` of the cache
// ([B, H, capacity, hd]; bf16 rounded to nearest even, as ATen's copy_) and attends each head
// of q to positions [0, past], reading the new key/value back from the cache as the LibTorch
// path does.
template <typename T>
void selfAttend(const float* qkv, int64_t B, int64_t H, int64_t hd, int64_t capacity, int64_t past,
                T* keys, T* values, float* scores, float* attn, float* row) {
    const int64_t D = H * hd;
    for (int64_t b = 0; b < B; ++b) {
        const float* r = qkv + b * 3 * D;
        for (int64_t head = 0; head < H; ++head) {
            const int64_t at = ((b * H + head) * capacity + past) * hd;
            std::copy(r + D + head * hd, r + D + (head + 1) * hd, keys + at);
            std::copy(r + 2 * D + head * hd, r + 2 * D + (head + 1) * hd, values + at);
        }
        for (int64_t head = 0; head < H; ++head) {
            const int64_t base = (b * H + head) * capacity * hd;
            attend(r + head * hd, keys + base, values + base, past + 1, hd, nullptr, scores,
                   attn + b * D + head * hd, row);
        }
    }
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
    auto cacheOk = [&](const torch::Tensor& c) {
        return c.is_contiguous() && c.sizes() == at::IntArrayRef({B, H, capacity, hd}) &&
               (c.scalar_type() == at::kFloat || c.scalar_type() == at::kBFloat16) &&
               c.scalar_type() == cacheK.scalar_type();
    };
    return capacity > 0 && cacheOk(cacheK) && cacheOk(cacheV) &&
           isFloat(cross.k[layerIndex], {B, H, S, hd}) &&
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
    // Upstream scales the query projection's output, not the weight.
    const float selfScale = static_cast<float>(self.scale());
    for (int64_t b = 0; b < B; ++b)
        for (int64_t i = 0; i < D; ++i)
            qkv[b * 3 * D + i] *= selfScale;
    float* row = grown(s.row, hd);
    if (cacheK.scalar_type() == at::kBFloat16)
        selfAttend(qkv, B, H, hd, capacity, past, cacheK.data_ptr<c10::BFloat16>(),
                   cacheV.data_ptr<c10::BFloat16>(), scores, attn, row);
    else
        selfAttend(qkv, B, H, hd, capacity, past, cacheK.data_ptr<float>(),
                   cacheV.data_ptr<float>(), scores, attn, row);
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
                   mask ? mask + b * S : nullptr, scores, attn + b * D + head * hd, row);
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
