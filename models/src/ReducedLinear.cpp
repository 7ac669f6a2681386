#include "models/ReducedLinear.h"

#include "Gemv.h"
#include "HugePages.h"
#include "Kernels.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace moodsteer::models {
namespace {

std::string shapeText(c10::IntArrayRef s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i)
        out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

// Autograd's count of in-place changes (loading's copy_, an optimiser step). Inference
// tensors keep none; they cannot be changed outside inference mode either.
int64_t versionOf(const torch::Tensor& t) {
    return t.is_inference() ? 0 : t._version();
}

bool isVector(const char* isa) {
    return std::string(isa) != "portable";
}

} // namespace

WeightPrecision parseWeightPrecision(const std::string& name) {
    if (name == "f32") return WeightPrecision::F32;
    if (name == "bf16") return WeightPrecision::BF16;
    if (name == "int8") return WeightPrecision::Int8;
    if (name == "int4") return WeightPrecision::Int4;
    throw std::invalid_argument("unknown weight precision '" + name +
                                "' (use f32, bf16, int8 or int4)");
}

std::string precisionName(WeightPrecision p) {
    switch (p) {
    case WeightPrecision::BF16:
        return "bf16";
    case WeightPrecision::Int8:
        return "int8";
    case WeightPrecision::Int4:
        return "int4";
    default:
        return "f32";
    }
}

double bytesPerWeight(WeightPrecision p) {
    switch (p) {
    case WeightPrecision::BF16:
        return 2.0;
    case WeightPrecision::Int8:
        return 1.0;
    case WeightPrecision::Int4:
        return 0.5;
    default:
        return 4.0;
    }
}

bool gemvKernelAvailable() {
    return isVector(kernels::active().gemvF32.isa);
}
bool bf16KernelAvailable() {
    return isVector(kernels::active().gemvBf16.isa);
}
bool int8KernelAvailable() {
    return isVector(kernels::active().gemvInt8.isa);
}
bool int4KernelAvailable() {
    return isVector(kernels::active().gemvInt4.isa);
}

torch::Tensor linearF32(const torch::Tensor& x, const torch::Tensor& weight) {
    const int64_t K = weight.size(1), N = weight.size(0);
    if (x.scalar_type() != at::kFloat || weight.scalar_type() != at::kFloat ||
        !weight.is_contiguous() || x.size(-1) != K ||
        (at::GradMode::is_enabled() && (x.requires_grad() || weight.requires_grad())))
        return at::linear(x, weight);
    const int64_t rows = x.numel() / K;
    if (rows < 1 || rows > kGemvMaxRows) return at::linear(x, weight);
    auto xc = x.contiguous();
    std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
    shape.back() = N;
    auto y = at::empty(shape, x.options());
    gemv::f32(xc.data_ptr<float>(), rows, K, weight.data_ptr<float>(), y.data_ptr<float>(), N, N);
    return y;
}

ReducedLinear::ReducedLinear() = default;
ReducedLinear::~ReducedLinear() = default;
ReducedLinear::ReducedLinear(const ReducedLinear&) = default;
ReducedLinear& ReducedLinear::operator=(const ReducedLinear&) = default;

ReducedLinear::ReducedLinear(const torch::Tensor& weight, WeightPrecision precision)
    : ReducedLinear(std::vector<torch::Tensor>{weight}, precision) {}

ReducedLinear::ReducedLinear(const std::vector<torch::Tensor>& rowBlocks, WeightPrecision precision)
    : precision_(precision) {
    if (rowBlocks.empty()) throw std::invalid_argument("ReducedLinear: no weight given");
    for (const auto& w : rowBlocks) {
        if (!w.defined() || w.dim() != 2 || w.scalar_type() != at::kFloat || !w.is_contiguous() ||
            !w.device().is_cpu() || w.size(1) != rowBlocks.front().size(1))
            throw std::invalid_argument(
                "ReducedLinear: each weight must be a contiguous float32 [out, in] CPU matrix "
                "with the same in, got " +
                (w.defined()
                     ? std::string(c10::toString(w.scalar_type())) + " " + shapeText(w.sizes())
                     : std::string("an undefined tensor")));
        sources_.push_back(w);
        versions_.push_back(versionOf(w));
        out_ += w.size(0);
    }
    in_ = rowBlocks.front().size(1);
    if (precision == WeightPrecision::F32) return; // reads the parameters themselves
    at::NoGradGuard noGrad;
    auto stacked = sources_.size() == 1 ? sources_.front().detach() : at::cat(sources_, 0);
    if (precision == WeightPrecision::BF16) {
        // The kernels' layout, on huge pages (streamed every decode step; HugePages.h).
        bf16_ = onHugePages(gemv::packBlocks(stacked.to(at::kBFloat16)));
    } else if (precision == WeightPrecision::Int4) {
        int4_ = std::make_shared<const gemv::Int4Weights>(gemv::quantiseInt4(stacked));
    } else {
        if (in_ > gemv::kInt8MaxK)
            throw std::runtime_error(
                "int8 weights need at most " + std::to_string(gemv::kInt8MaxK) +
                " input features (int32 sums), this matrix has " + std::to_string(in_));
        int8_ = std::make_shared<const gemv::Int8Weights>(gemv::quantiseInt8(stacked));
    }
}

void ReducedLinear::releaseSources() {
    if (precision_ == WeightPrecision::F32 || sources_.empty()) return;
    sources_.clear();
    versions_.clear();
    released_ = true;
}

bool ReducedLinear::current() const {
    if (!defined()) return false;
    if (released_) return true; // nothing left that could change
    for (size_t i = 0; i < sources_.size(); ++i) {
        const auto& s = sources_[i];
        if (s.scalar_type() != at::kFloat || !s.is_contiguous() || s.dim() != 2 ||
            s.size(1) != in_ || !s.device().is_cpu())
            return false;
        // At f32 the parameters are read as they are now; a copy must not have missed a change.
        if (precision_ != WeightPrecision::F32 && versionOf(s) != versions_[i]) return false;
    }
    return true;
}

bool ReducedLinear::usable() const {
    if (!current()) return false;
    if (!at::GradMode::is_enabled() || released_) return true;
    return std::none_of(sources_.begin(), sources_.end(),
                        [](const torch::Tensor& s) { return s.requires_grad(); });
}

double ReducedLinear::bytes() const {
    if (!defined()) return 0;
    if (precision_ == WeightPrecision::Int4) // codes padded to whole groups, a float scale each
        return static_cast<double>(int4_->codes.numel()) +
               4.0 * static_cast<double>(int4_->scales.numel());
    const double n = static_cast<double>(in_) * static_cast<double>(out_);
    const double perRow = precision_ == WeightPrecision::Int8 ? 8.0 : 0.0;
    return n * bytesPerWeight(precision_) + perRow * static_cast<double>(out_);
}

void ReducedLinear::apply(const float* x, int64_t rows, float* y) const {
    switch (precision_) {
    case WeightPrecision::BF16:
        gemv::bf16(x, rows, in_, bf16_, y, out_);
        return;
    case WeightPrecision::Int8:
        gemv::int8(x, rows, in_, *int8_, y, out_);
        return;
    case WeightPrecision::Int4:
        gemv::int4(x, rows, in_, *int4_, y, out_);
        return;
    default:
        break;
    }
    // The GEMV takes any number of rows, 4 at a time inside each block of output rows (which
    // stays in L2): a row's result never depends on the others, so that a take decoded with
    // others equals the take alone (the fused step of a batch of takes comes here).
    if (rows <= kGemvMaxRows || !at::GradMode::is_enabled()) {
        int64_t offset = 0;
        for (const auto& s : sources_) {
            gemv::f32(x, rows, in_, s.data_ptr<float>(), y + offset, out_, s.size(0));
            offset += s.size(0);
        }
        return;
    }
    // Many rows with autograd on: BLAS (no gradient flows from here either way).
    at::NoGradGuard noGrad;
    auto in = at::from_blob(const_cast<float*>(x), {rows, in_}, at::kFloat);
    at::from_blob(y, {rows, out_}, at::kFloat).copy_((*this)(in));
}

torch::Tensor ReducedLinear::operator()(const torch::Tensor& x) const {
    if (!defined()) throw std::logic_error("ReducedLinear: used before it was given a weight");
    if (x.dim() < 1 || x.size(-1) != in_ || x.scalar_type() != at::kFloat)
        throw std::invalid_argument(
            "ReducedLinear: input must be float32 [..., " + std::to_string(in_) + "], got " +
            std::string(c10::toString(x.scalar_type())) + " " + shapeText(x.sizes()));
    std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
    shape.back() = out_;
    const int64_t rows = x.numel() / in_;
    // An input that needs a gradient keeps ATen's differentiable f32/bf16 path (int8 and int4
    // have none).
    const bool inputGrad = at::GradMode::is_enabled() && x.requires_grad();
    // f32: the GEMV for a decode step's rows (up to 16 without autograd: several takes), so that
    // a row's result does not depend on the others; BLAS for more (prefills).
    const bool f32Kernel =
        rows <= kGemvMaxRows || (!at::GradMode::is_enabled() && rows <= kGemvMaxRowsNoGrad);
    const bool kernel =
        rows > 0 && (precision_ == WeightPrecision::Int8 || precision_ == WeightPrecision::Int4 ||
                     (!inputGrad && (precision_ == WeightPrecision::BF16 || f32Kernel)));
    if (kernel) {
        auto xc = x.contiguous();
        auto y = at::empty(shape, x.options());
        apply(xc.data_ptr<float>(), rows, y.data_ptr<float>());
        return y;
    }
    if (released_)
        throw std::logic_error("ReducedLinear: the float32 weights were released at load (direct "
                               "bf16/int8/int4 loading); a gradient through this layer needs them");
    // Weights are constants here (as on the kernel path): no gradient flows into them.
    std::vector<torch::Tensor> weights;
    for (const auto& s : sources_)
        weights.push_back(s.detach());
    if (precision_ == WeightPrecision::BF16) {
        auto w = weights.size() == 1 ? weights.front() : at::cat(weights, 0);
        return at::linear(x.to(at::kBFloat16), w.to(at::kBFloat16)).to(at::kFloat);
    }
    if (weights.size() == 1) return at::linear(x, weights.front());
    std::vector<torch::Tensor> parts;
    for (const auto& w : weights)
        parts.push_back(at::linear(x, w));
    return at::cat(parts, -1);
}

} // namespace moodsteer::models
