// The kernel sets each instruction-set file provides (see Kernels.h); only KernelSelect.cpp and
// tests use these directly. The x86 ones exist only where MOODSTEER_X86_KERNELS is defined
// (x86-64 and not forced portable by the build).
#pragma once

#include "Kernels.h"

#include <type_traits>

namespace moodsteer::models::kernels {

/// f(std::integral_constant<int, M>{}) for M in 1..3, else 4: the GEMV kernels' row templates
/// take their number of input rows (1..kMaxRows) as a compile-time constant.
template <typename F> inline void withRows(int M, F&& f) {
    switch (M) {
    case 1:
        return f(std::integral_constant<int, 1>{});
    case 2:
        return f(std::integral_constant<int, 2>{});
    case 3:
        return f(std::integral_constant<int, 3>{});
    default:
        return f(std::integral_constant<int, 4>{});
    }
}

/// PortableKernels.cpp: every operation, plain C++.
const KernelSet& portableKernels();

#ifdef MOODSTEER_X86_KERNELS
/// Avx2Kernels.cpp: the portable code compiled for AVX2 + FMA. Needs both CPU features.
const KernelSet& avx2Kernels();
/// Avx512Kernels.cpp: hand-written AVX-512. gemvF32, moments and the attention need
/// AVX-512F; roundBf16/gemvBf16 AVX-512F/BW + AVX512_BF16; quantiseInt8/gemvInt8/
/// gemvInt4 AVX-512F/BW + AVX512_VNNI.
const KernelSet& avx512Kernels();
#endif

} // namespace moodsteer::models::kernels
