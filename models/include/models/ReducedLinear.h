// Bias-free linear layers (y = x W^T) for the decode loop, where every weight is read once per
// step and the speed limit is memory bandwidth: the fewer bytes per weight, the faster.
//  - f32:  the weight itself; for a few input rows (the CFG decode step has 2) an AVX-512
//          GEMV that streams W once (OpenBLAS's sgemm for 2 rows reaches a fraction of the
//          bandwidth here); otherwise at::linear.
//  - bf16: a bf16 copy of W, activations rounded to bf16 once per call, f32 accumulation:
//          an own AVX512_BF16 kernel on W packed in blocks of 4 rows where the CPU has it
//          (oneDNN's bf16 matmul streams only 10-12 GB/s for 2 rows), else oneDNN.
//  - int8: W quantised symmetrically per output row (scale = max|row| / 127, zero point 0),
//          activations quantised symmetrically per input row: an own AVX512_VNNI kernel on
//          packed codes where the CPU has it, else oneDNN's dynamic quantised linear
//          (activations per tensor to uint8). Weights and activations both lose precision.
// The f32 master weight is never modified, so switching back to f32 is exact.
#pragma once

#include <ATen/ATen.h>
#include <c10/util/intrusive_ptr.h>
#include <torch/types.h>

#include <memory>
#include <string>

struct LinearPackedParamsBase; // ATen's packed quantised weight (ATen/native/quantized)

namespace moodsteer::models {
namespace gemv {
struct Int8Weights;
}

enum class WeightPrecision { F32, BF16, Int8 };

/// "f32" | "bf16" | "int8"; throws std::invalid_argument naming the value otherwise.
WeightPrecision parseWeightPrecision(const std::string& name);
std::string precisionName(WeightPrecision precision);
/// Bytes streamed per weight (the int8 per-row scales are counted separately, see bytes()).
double bytesPerWeight(WeightPrecision precision);

class ReducedLinear {
  public:
    ReducedLinear();
    /// weight: [out, in] float32, contiguous. Keeps a reference to it for f32 (no copy).
    /// Throws std::invalid_argument for another shape or dtype, std::runtime_error when the
    /// CPU or this LibTorch build cannot run `precision` (the message says which).
    ReducedLinear(const torch::Tensor& weight, WeightPrecision precision);
    ~ReducedLinear();
    ReducedLinear(const ReducedLinear&);
    ReducedLinear& operator=(const ReducedLinear&);

    bool defined() const { return weight_.defined(); }
    WeightPrecision precision() const { return precision_; }
    int64_t inFeatures() const { return weight_.defined() ? weight_.size(1) : 0; }
    int64_t outFeatures() const { return weight_.defined() ? weight_.size(0) : 0; }
    /// Whether this was built from `weight`'s current storage (not replaced since, e.g. by
    /// to() or loading); in-place changes of the values are not detected.
    bool builtFrom(const torch::Tensor& weight) const {
        return weight_.defined() && weight.defined() && weight.data_ptr() == weight_.data_ptr() &&
               weight.sizes() == weight_.sizes() && weight.scalar_type() == weight_.scalar_type();
    }
    /// Bytes a forward pass streams: the stored weight (+ int8 per-row scales, and row sums
    /// for the own int8 kernel).
    double bytes() const;

    /// x: [..., in] float32 -> [..., out] float32. No autograd (inference only).
    torch::Tensor operator()(const torch::Tensor& x) const;
    /// The same on raw rows: x [rows, in] -> y [rows, out], both contiguous float32 and not
    /// overlapping. Allocates nothing on the own kernels' path (the decode step's).
    void apply(const float* x, int64_t rows, float* y) const;

  private:
    bool ownKernel(int64_t rows) const; // an AVX-512 kernel of this file rather than ATen's
    torch::Tensor weight_;              // the f32 master (shared, never written)
    WeightPrecision precision_ = WeightPrecision::F32;
    torch::Tensor bf16_;                               // [out, in] bf16 (packed for the own kernel)
    std::shared_ptr<const gemv::Int8Weights> int8Own_; // own VNNI kernel's codes
    c10::intrusive_ptr<LinearPackedParamsBase> int8_;  // oneDNN, when the CPU lacks VNNI
};

/// y = x W^T in float32 through the AVX-512 GEMV when x has at most kGemvMaxRows rows (after
/// flattening the leading dimensions) and the CPU has AVX-512F, else at::linear. Results
/// differ from at::linear only by summation order (~1e-7 relative).
torch::Tensor linearF32(const torch::Tensor& x, const torch::Tensor& weight);
constexpr int64_t kGemvMaxRows = 4;
/// Whether linearF32 can use its AVX-512 kernel on this CPU.
bool gemvKernelAvailable();
/// Whether ReducedLinear runs bf16 / int8 on its own kernels (AVX512_BF16 / AVX512_VNNI)
/// rather than oneDNN's.
bool bf16KernelAvailable();
bool int8KernelAvailable();

} // namespace moodsteer::models
