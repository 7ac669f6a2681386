// The kernel sets each instruction-set file provides (see Kernels.h); only KernelSelect.cpp and
// tests use these directly. The x86 ones exist only where MOODSTEER_X86_KERNELS is defined
// (x86-64 and not forced portable by the build).
#pragma once

#include "Kernels.h"

namespace moodsteer::models::kernels {

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
