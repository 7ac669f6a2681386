// The portable kernels: PortableKernels.inc compiled for the build's baseline CPU (any
// architecture). Always part of the build: the fallback wherever no vector kernel applies.
#include "IsaKernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace moodsteer::models::kernels {
namespace portable_isa {

#include "PortableKernels.inc"

} // namespace portable_isa

const KernelSet& portableKernels() {
    static const KernelSet set = portable_isa::makeKernelSet("portable");
    return set;
}

} // namespace moodsteer::models::kernels
