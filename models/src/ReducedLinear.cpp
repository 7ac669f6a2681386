#include "models/ReducedLinear.h"

#include "GemvKernels.h"
#include "HugePages.h"

#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/native/quantized/PackedParams.h>
#include <c10/util/Optional.h>

// GCC 12 flags its own _mm512_reduce_add_ps helpers (-Wmaybe-uninitialized, a known false
// positive): silence it for the intrinsics header only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace moodsteer::models {
namespace {

std::string shapeText(c10::IntArrayRef s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i)
        out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

// The kernel: M (1..4) input rows against 4 weight rows at a time, K in blocks of 16 floats
// with a masked tail, so each weight is loaded once and used M times from a register. The
// build targets plain x86-64, so the AVX-512 code is compiled per function and chosen at
// run time.
//
// How far ahead each of the f32 kernel's 4 row streams prefetches: 2 KiB, 8 KiB in flight
// in all. Quiet machine, interleaved runs (docs/performance.md): 1.31-1.42x of the floor,
// against 1.35-1.68x with 1 KiB that stopped at each row's end and 1.69-1.90x without software
// prefetch (the hardware prefetcher alone reached ~21-25 GB/s of ~34 on 4 KiB pages).
constexpr int64_t kF32Prefetch = 512;

template <int M>
__attribute__((target("avx512f"))) void gemvRows(const float* x, int64_t K, const float* w,
                                                 float* y, int64_t N, int64_t n0, int64_t n1) {
    const int64_t full = K / 16 * 16;
    const __mmask16 tail = static_cast<__mmask16>((1u << (K - full)) - 1u);
    int64_t n = n0;
    for (; n + 4 <= n1; n += 4) {
        __m512 acc[4][M];
        for (int i = 0; i < 4; ++i)
            for (int m = 0; m < M; ++m)
                acc[i][m] = _mm512_setzero_ps();
        const float* w0 = w + n * K;
        for (int64_t k = 0; k < full; k += 16) {
            __m512 xv[M];
            for (int m = 0; m < M; ++m)
                xv[m] = _mm512_loadu_ps(x + m * K + k);
            // Software prefetch kF32Prefetch floats ahead on each of the 4 row streams, in
            // the order the rows are consumed: near a row's end the distance runs on into
            // the same row of the next block (3 rows further on), not into the next row of
            // this block, which another stream has already read.
            // (Integer arithmetic: the address may lie past the matrix, which a prefetch
            // may touch but a pointer may not point at.)
            const int64_t ahead = k + kF32Prefetch;
            const auto pf =
                reinterpret_cast<std::uintptr_t>(w0) +
                sizeof(float) * static_cast<std::uintptr_t>(ahead < K ? ahead : 3 * K + ahead);
            for (int i = 0; i < 4; ++i)
                _mm_prefetch(reinterpret_cast<const char*>(pf + sizeof(float) * i * K),
                             _MM_HINT_T0);
            for (int i = 0; i < 4; ++i) {
                const __m512 wv = _mm512_loadu_ps(w0 + i * K + k);
                for (int m = 0; m < M; ++m)
                    acc[i][m] = _mm512_fmadd_ps(wv, xv[m], acc[i][m]);
            }
        }
        if (tail) {
            for (int i = 0; i < 4; ++i) {
                const __m512 wv = _mm512_maskz_loadu_ps(tail, w0 + i * K + full);
                for (int m = 0; m < M; ++m)
                    acc[i][m] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(tail, x + m * K + full),
                                                acc[i][m]);
            }
        }
        for (int i = 0; i < 4; ++i)
            for (int m = 0; m < M; ++m)
                y[m * N + n + i] = _mm512_reduce_add_ps(acc[i][m]);
    }
    for (; n < n1; ++n) {
        __m512 acc[M];
        for (int m = 0; m < M; ++m)
            acc[m] = _mm512_setzero_ps();
        const float* wr = w + n * K;
        for (int64_t k = 0; k < full; k += 16) {
            const __m512 wv = _mm512_loadu_ps(wr + k);
            for (int m = 0; m < M; ++m)
                acc[m] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x + m * K + k), acc[m]);
        }
        if (tail) {
            const __m512 wv = _mm512_maskz_loadu_ps(tail, wr + full);
            for (int m = 0; m < M; ++m)
                acc[m] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(tail, x + m * K + full), acc[m]);
        }
        for (int m = 0; m < M; ++m)
            y[m * N + n] = _mm512_reduce_add_ps(acc[m]);
    }
}

void gemvF32(const float* x, int64_t M, int64_t K, const float* w, float* y, int64_t N) {
    // Blocks of 64 output rows (256 KiB of weights at K = 1024) per task.
    at::parallel_for(0, N, 64, [&](int64_t n0, int64_t n1) {
        switch (M) {
        case 1:
            gemvRows<1>(x, K, w, y, N, n0, n1);
            break;
        case 2:
            gemvRows<2>(x, K, w, y, N, n0, n1);
            break;
        case 3:
            gemvRows<3>(x, K, w, y, N, n0, n1);
            break;
        default:
            gemvRows<4>(x, K, w, y, N, n0, n1);
            break;
        }
    });
}

// The quantised linear prepack operator; needs the oneDNN quantisation engine (Debian's
// LibTorch has no FBGEMM).
c10::intrusive_ptr<LinearPackedParamsBase> prepackInt8(const torch::Tensor& weight) {
    const auto& engines = at::globalContext().supportedQEngines();
    if (std::find(engines.begin(), engines.end(), at::QEngine::ONEDNN) == engines.end())
        throw std::runtime_error("int8 weights need LibTorch's oneDNN quantisation engine, "
                                 "which this LibTorch build lacks");
    if (at::globalContext().qEngine() != at::QEngine::ONEDNN)
        at::globalContext().setQEngine(at::QEngine::ONEDNN);
    // Symmetric per output row; an all-zero row gets scale 1 (its codes are all 0).
    auto scales = (weight.abs().amax(1) / 127.0).to(at::kDouble);
    scales.masked_fill_(scales == 0, 1.0);
    auto q = at::quantize_per_channel(weight, scales, at::zeros({weight.size(0)}, at::kLong), 0,
                                      at::kQInt8);
    static auto op = c10::Dispatcher::singleton()
                         .findSchemaOrThrow("quantized::linear_prepack", "")
                         .typed<c10::intrusive_ptr<LinearPackedParamsBase>(
                             at::Tensor, c10::optional<at::Tensor>)>();
    return op.call(q, c10::nullopt);
}

} // namespace

WeightPrecision parseWeightPrecision(const std::string& name) {
    if (name == "f32") return WeightPrecision::F32;
    if (name == "bf16") return WeightPrecision::BF16;
    if (name == "int8") return WeightPrecision::Int8;
    throw std::invalid_argument("unknown weight precision '" + name + "' (use f32, bf16 or int8)");
}

std::string precisionName(WeightPrecision p) {
    switch (p) {
    case WeightPrecision::BF16:
        return "bf16";
    case WeightPrecision::Int8:
        return "int8";
    default:
        return "f32";
    }
}

double bytesPerWeight(WeightPrecision p) {
    return p == WeightPrecision::F32 ? 4.0 : p == WeightPrecision::BF16 ? 2.0 : 1.0;
}

bool gemvKernelAvailable() {
    static const bool ok = __builtin_cpu_supports("avx512f");
    return ok;
}

bool bf16KernelAvailable() {
    return gemv::bf16Available();
}
bool int8KernelAvailable() {
    return gemv::int8Available();
}

torch::Tensor linearF32(const torch::Tensor& x, const torch::Tensor& weight) {
    const int64_t K = weight.size(1), N = weight.size(0);
    if (!gemvKernelAvailable() || x.scalar_type() != at::kFloat ||
        weight.scalar_type() != at::kFloat || !weight.is_contiguous() || x.size(-1) != K ||
        (at::GradMode::is_enabled() && (x.requires_grad() || weight.requires_grad())))
        return at::linear(x, weight);
    const int64_t rows = x.numel() / K;
    if (rows < 1 || rows > kGemvMaxRows) return at::linear(x, weight);
    auto xc = x.contiguous();
    std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
    shape.back() = N;
    auto y = at::empty(shape, x.options());
    gemvF32(xc.data_ptr<float>(), rows, K, weight.data_ptr<float>(), y.data_ptr<float>(), N);
    return y;
}

ReducedLinear::ReducedLinear() = default;
ReducedLinear::~ReducedLinear() = default;
ReducedLinear::ReducedLinear(const ReducedLinear&) = default;
ReducedLinear& ReducedLinear::operator=(const ReducedLinear&) = default;

ReducedLinear::ReducedLinear(const torch::Tensor& weight, WeightPrecision precision)
    : weight_(weight.detach()), precision_(precision) {
    if (weight.dim() != 2 || weight.scalar_type() != at::kFloat || !weight.is_contiguous())
        throw std::invalid_argument("ReducedLinear: the weight must be a contiguous float32 "
                                    "[out, in] matrix, got " +
                                    std::string(c10::toString(weight.scalar_type())) + " " +
                                    shapeText(weight.sizes()));
    at::NoGradGuard noGrad;
    if (precision == WeightPrecision::BF16) {
        bf16_ = weight_.to(at::kBFloat16).contiguous();
        // The kernel's layout, on huge pages (streamed every decode step; HugePages.h).
        if (gemv::bf16Available()) bf16_ = onHugePages(gemv::packBlocks(bf16_));
    } else if (precision == WeightPrecision::Int8) {
        if (gemv::int8Available() && weight_.size(1) <= gemv::kInt8MaxK)
            int8Own_ = std::make_shared<const gemv::Int8Weights>(gemv::quantiseInt8(weight_));
        else
            int8_ = prepackInt8(weight_);
    }
}

double ReducedLinear::bytes() const {
    if (!defined()) return 0;
    const double n = static_cast<double>(weight_.numel());
    const double perRow = precision_ != WeightPrecision::Int8 ? 0.0 : int8Own_ ? 8.0 : 4.0;
    return n * bytesPerWeight(precision_) + perRow * weight_.size(0);
}

bool ReducedLinear::ownKernel(int64_t rows) const {
    switch (precision_) {
    case WeightPrecision::BF16:
        return gemv::bf16Available();
    case WeightPrecision::Int8:
        return int8Own_ != nullptr;
    default:
        return rows <= kGemvMaxRows && gemvKernelAvailable();
    }
}

void ReducedLinear::apply(const float* x, int64_t rows, float* y) const {
    const int64_t K = inFeatures(), N = outFeatures();
    if (!ownKernel(rows)) {
        auto in = at::from_blob(const_cast<float*>(x), {rows, K}, at::kFloat);
        at::from_blob(y, {rows, N}, at::kFloat).copy_((*this)(in));
        return;
    }
    switch (precision_) {
    case WeightPrecision::BF16:
        gemv::bf16(x, rows, K, bf16_, y, N);
        break;
    case WeightPrecision::Int8:
        gemv::int8(x, rows, K, *int8Own_, y, N);
        break;
    default:
        gemvF32(x, rows, K, weight_.data_ptr<float>(), y, N);
        break;
    }
}

torch::Tensor ReducedLinear::operator()(const torch::Tensor& x) const {
    if (!defined()) throw std::logic_error("ReducedLinear: used before it was given a weight");
    if (x.size(-1) != inFeatures() || x.scalar_type() != at::kFloat)
        throw std::invalid_argument(
            "ReducedLinear: input must be float32 [..., " + std::to_string(inFeatures()) +
            "], got " + std::string(c10::toString(x.scalar_type())) + " " + shapeText(x.sizes()));
    std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
    shape.back() = outFeatures();
    const int64_t rows = x.numel() / inFeatures();
    // An input that needs a gradient keeps ATen's differentiable f32/bf16 path (int8 has none).
    const bool inputGrad = at::GradMode::is_enabled() && x.requires_grad();
    if (rows > 0 && ownKernel(rows) && (!inputGrad || int8Own_)) {
        auto xc = x.contiguous();
        auto y = at::empty(shape, x.options());
        apply(xc.data_ptr<float>(), rows, y.data_ptr<float>());
        return y;
    }
    switch (precision_) {
    case WeightPrecision::BF16:
        return at::linear(x.to(at::kBFloat16), bf16_).to(at::kFloat);
    case WeightPrecision::Int8:
        return int8_->apply_dynamic(x.reshape({-1, inFeatures()}).contiguous(), false).view(shape);
    default:
        return linearF32(x, weight_);
    }
}

} // namespace moodsteer::models
