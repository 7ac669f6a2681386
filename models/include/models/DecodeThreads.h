// Threads of the one-token decode step (models/kernels/FusedDecodeStep.cpp) besides LibTorch's.
//
// The step's GEMVs stream the weights on one thread, and the codec's thread has the other core.
// (Two threads read 1.8x one thread's bandwidth here, 49-51 against 26-28 GB/s, and the int8
// GEMVs split over two ran 1.9x as fast; sharing them with this helper was tried and did not
// make a streamed session faster: docs/performance.md, "The int8 GEMV on the GEMM's tile
// layout".) The attention over a long KV cache is different: latency- and compute-bound (~19
// GB/s against the probe's 31-39), its heads independent. With the helper on, a second thread takes
// heads of each layer's attention from the same counter as the step's own thread, once the cache
// holds kDecodeHelperMinPositions positions; it sleeps between layers. Each head is computed by the
// same kernel whichever thread takes it, so the output is bit for bit the same as with the helper
// off. core's setComputeThreads() turns it on by default on machines with two or more cores.
#pragma once

#include <cstdint>

namespace moodsteer::models {

/// The cache length from which the helper takes part (a shorter head is done before it wakes).
constexpr int64_t kDecodeHelperMinPositions = 256;

/// Turns the attention helper on or off (process-wide; off until called). Thread-safe; takes
/// effect at the next layer.
void setDecodeAttentionHelper(bool on);
bool decodeAttentionHelper();

} // namespace moodsteer::models
