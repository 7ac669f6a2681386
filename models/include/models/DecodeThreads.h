// Threads of the one-token decode step (models/kernels/FusedDecodeStep.cpp) besides LibTorch's.
//
// The step runs on the engine's thread, and the codec's thread (and a session's context reader)
// share the other core. Two threads read the weights 1.8x as fast as one on this 2-core machine
// (docs/performance.md), so with the helper on, a second thread (models/src/DecodeHelper.h)
// takes part in every step:
//  - the GEMVs of reduced weights (bf16, int8, int4; float32 is the reference and stays on one
//    thread): groups of 64 output rows;
//  - the attention over the KV cache, once it holds kDecodeHelperMinPositions positions: heads.
// The helper takes items from the same counter as the step's own thread and runs at idle
// priority, so the codec's thread preempts it whenever it wants the core; the step never waits
// for it beyond about one item (it takes back an item the helper has not finished). Every
// element is computed by the same kernel whichever thread takes it, so the output is bit for
// bit the same as with the helper off. core's setComputeThreads() turns it on by default on
// machines with two or more cores.
#pragma once

#include <cstdint>

namespace moodsteer::models {

/// The cache length from which the helper attends heads (a shorter head is done before a
/// shared job pays for itself).
constexpr int64_t kDecodeHelperMinPositions = 256;
/// The bytes a job (one GEMV's weights, one layer's heads of the cache) must read to be shared:
/// a smaller one costs less on one thread than the copies and hand-over of a shared job (the
/// embedded model's layers: 8 items of 10 s took 25 % longer when every GEMV was shared).
constexpr int64_t kDecodeHelperMinBytes = 512 * 1024;

/// Turns the decode helper on or off (process-wide; off until called). Thread-safe; takes
/// effect at the next job.
void setDecodeHelper(bool on);
bool decodeHelper();

/// Whether a decode step on a cache of `positions` positions shares work with the helper, if it
/// is on: the GEMVs of bf16, int8 or int4 weights (`reducedWeights`) always, the attention from
/// kDecodeHelperMinPositions. (A job reading fewer than kDecodeHelperMinBytes stays on the step's
/// thread all the same: a small model's step shares less or nothing. Benchmarks measure such a
/// step's floor with two threads' bandwidth.)
bool decodeStepUsesHelper(bool reducedWeights, int64_t positions);

} // namespace moodsteer::models
