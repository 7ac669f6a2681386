// The portable kernels compiled for AVX2 + FMA (x86-64 CPUs without AVX-512, e.g. most AMD
// before Zen 4): PortableKernels.inc with those features enabled for its functions only, so
// the rest of the build stays plain x86-64 and KernelSelect.cpp decides at run time.
#include "IsaKernels.h"

#ifdef MOODSTEER_X86_KERNELS

// Standard headers first: their inline functions must stay baseline x86-64 (the linker may
// keep any copy of an inline function, so none of them may be compiled for AVX2).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

namespace moodsteer::models::kernels {
namespace avx2_isa {

#include "PortableKernels.inc"

} // namespace avx2_isa
} // namespace moodsteer::models::kernels

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace moodsteer::models::kernels {

const KernelSet& avx2Kernels() {
    static const KernelSet set = avx2_isa::makeKernelSet("avx2");
    return set;
}

} // namespace moodsteer::models::kernels

#endif // MOODSTEER_X86_KERNELS
