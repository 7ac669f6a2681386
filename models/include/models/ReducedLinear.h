// Bias-free linear layers (y = x W^T) for the decode loop, where every weight is read once per
// step and the speed limit is memory bandwidth: the fewer bytes per weight, the faster.
//  - f32:  the weights themselves; for a few input rows (the CFG decode step has 2) a GEMV
//          kernel that streams W once (OpenBLAS's sgemm for 2 rows reaches a fraction of the
//          bandwidth here); otherwise at::linear.
//  - bf16: a bf16 copy of W packed in blocks of 4 rows, activations rounded to bf16 once per
//          call, f32 accumulation.
//  - int8: W quantised symmetrically per output row (scale = max|row| / 127, zero point 0),
//          activations quantised symmetrically per input row, exact integer dot products.
//          Weights and activations both lose precision.
//  - int4: W quantised symmetrically in groups of 128 inputs per output row (scale =
//          max|group| / 7, codes in [-7, 7], two a byte), activations as at int8, exact integer
//          sums per group. Half the bytes of int8: the fastest decode, the largest error
//          (docs/performance.md measures it).
// The kernels are models/kernels/ (AVX-512 where the CPU has it, else AVX2 or portable C++;
// the same packed layouts and results up to float32 summation order on every CPU).
//
// Adding a precision (int4 was the last): its kernel in models/kernels/ (Kernels.h says how),
// its layout, quantiser and driver in Gemv.h, the enum, bytes() and apply() here, its name in
// core/engine/WeightPrecisions.h (the engine, recipes, the CLI and the studio read that list),
// its KV cache in MusicgenForCausalLMImpl::defaultReducedKvCache, and its measured bounds in
// MusicgenPrecisionTest / EnginePrecisionTest (docs/performance.md keeps the figures).
//
// Ownership and lifetime: the weights belong to their module (the parameters, which loading
// and optimisers update). A ReducedLinear is derived from one or more of them (several
// matrices applied to the same input, e.g. q/k/v, are stacked by rows): at f32 it reads the
// parameters themselves, at bf16/int8/int4 it holds a converted copy. current() says whether it
// still computes the parameters' function: their dtype, shape and layout are what it was
// built for and, for a copy, no in-place change (loading, an optimiser step) happened since
// (autograd's version counters). A stale one is not used (callers take the parameters); its
// owner rebuilds it, which MusicgenForCausalLM does in finalizeWeights(), setPrecision() and
// to(). A copy does not notice a parameter's storage being replaced by set_data() with the
// same dtype and shape (nothing in this project does that outside to()): rebuild after.
#pragma once

#include <ATen/ATen.h>
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

namespace moodsteer::models {
namespace gemv {
struct Int8Weights;
struct Int4Weights;
} // namespace gemv

enum class WeightPrecision { F32, BF16, Int8, Int4 };

/// "f32" | "bf16" | "int8" | "int4"; throws std::invalid_argument naming the value otherwise.
WeightPrecision parseWeightPrecision(const std::string& name);
std::string precisionName(WeightPrecision precision);
/// Bytes streamed per weight (the int8/int4 scales are counted separately, see bytes()).
double bytesPerWeight(WeightPrecision precision);

class ReducedLinear {
  public:
    ReducedLinear();
    /// weight: [out, in] float32, contiguous (a parameter: see the ownership note above).
    /// Throws std::invalid_argument for another shape or dtype, std::runtime_error when this
    /// precision cannot take the weight (int8 with in > 66000, the message says why).
    ReducedLinear(const torch::Tensor& weight, WeightPrecision precision);
    /// Several weights [out_i, in] applied to the same input, stacked by rows: the output is
    /// [..., sum out_i], weight 0's features first. Same requirements as above.
    ReducedLinear(const std::vector<torch::Tensor>& rowBlocks, WeightPrecision precision);
    ~ReducedLinear();
    ReducedLinear(const ReducedLinear&);
    ReducedLinear& operator=(const ReducedLinear&);

    bool defined() const { return !sources_.empty() || released_; }
    /// Forgets the float32 weights (bf16/int8/int4; a no-op at f32), so that their memory can
    /// be freed: direct loading keeps only this copy. Afterwards current() and usable() are
    /// true for good, and the one path that needs the weights (a gradient through the input at
    /// bf16) throws std::logic_error.
    void releaseSources();
    bool sourcesReleased() const { return released_; }
    WeightPrecision precision() const { return precision_; }
    int64_t inFeatures() const { return in_; }
    int64_t outFeatures() const { return out_; }
    /// Whether this still computes its weights' function (see the note above).
    bool current() const;
    /// current(), and no gradient is needed for the weights (autograd on and a weight that
    /// requires grad): then operator() may replace x W^T.
    bool usable() const;
    /// Bytes a forward pass streams: the stored weight (+ 8 bytes per output row at int8:
    /// scale and row sum; + a 4-byte scale per 128 weights at int4).
    double bytes() const;

    /// x: [..., in] float32 -> [..., out] float32. No autograd through the weights; an input
    /// that needs a gradient gets one at f32/bf16 (int8 has none).
    torch::Tensor operator()(const torch::Tensor& x) const;
    /// The same on raw rows: x [rows, in] -> y [rows, out], both contiguous float32 and not
    /// overlapping. Allocates nothing for up to kGemvMaxRows rows (the decode step's case), nor
    /// for any number of rows with gradient mode off (the fused step of several takes).
    void apply(const float* x, int64_t rows, float* y) const;

  private:
    std::vector<torch::Tensor> sources_; // the parameters themselves (not copies), row order
    std::vector<int64_t> versions_;      // their version counters when this was built
    int64_t in_ = 0, out_ = 0;
    WeightPrecision precision_ = WeightPrecision::F32;
    bool released_ = false;
    torch::Tensor bf16_;                            // [out, in] bf16, packed (gemv::packBlocks)
    std::shared_ptr<const gemv::Int8Weights> int8_; // packed codes, scales, row sums
    std::shared_ptr<const gemv::Int4Weights> int4_; // packed codes, group scales
};

/// y = x W^T in float32 through the GEMV kernel when x has at most kGemvMaxRows rows (after
/// flattening the leading dimensions) and no gradient is needed, else at::linear. Results
/// differ from at::linear only by summation order (~1e-7 relative).
torch::Tensor linearF32(const torch::Tensor& x, const torch::Tensor& weight);
constexpr int64_t kGemvMaxRows = 4;
/// ReducedLinear at f32 also takes the GEMV for up to this many rows when no gradient is
/// needed: the decode step of several takes (BLAS could round a row differently with others).
constexpr int64_t kGemvMaxRowsNoGrad = 16;
/// Whether the f32 / bf16 / int8 / int4 GEMVs run on a vector kernel (AVX-512, AVX2) rather than
/// the portable C++ one (models/kernels/Kernels.h says which and why).
bool gemvKernelAvailable();
bool bf16KernelAvailable();
bool int8KernelAvailable();
bool int4KernelAvailable();

} // namespace moodsteer::models
