// How the engine's process allocates large tensors. glibc's malloc maps every block above its
// threshold (dynamic, at most 32 MB) afresh and unmaps it when freed, so each such tensor costs
// page faults and pages zeroed by the kernel on first touch: a musicgen-small prefill of 500
// frames of context makes three 32 MB attention buffers per layer (scores, mask, softmax).
#pragma once

namespace moodsteer {

/// Blocks under 64 MB come from malloc's heap and up to 256 MB of free heap stays with the
/// process, so the engine reuses them instead of faulting fresh pages: the musicgen-small int4
/// prefill of 500 frames 5.2 → 3.0 s, a 33 s session 0.93× → 1.12× real time
/// (docs/performance.md). Larger blocks (weights on huge pages, long contexts) are mapped as
/// before. Once per process; a no-op without glibc.
void tuneAllocatorForTensors();

} // namespace moodsteer
