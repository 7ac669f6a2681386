// Which kernels the BLAS under LibTorch runs, for benchmark reports: OpenBLAS picks them from
// the CPU at load time, or from OPENBLAS_CORETYPE (set on some machines, where older OpenBLAS
// builds misbehave with the kernels they would pick; this project never changes it). Every
// LibTorch GEMM (prefill, T5, EnCodec, training) runs on them, so a figure is read with them.
// Plain C++ (no LibTorch, no Qt).
#pragma once

#include <string>

namespace moodsteer {

/// "OpenBLAS 0.3.21, Haswell kernels"; "" when the BLAS is not OpenBLAS.
std::string blasDescription();

} // namespace moodsteer
