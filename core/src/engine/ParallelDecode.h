// Decoding several clips' codes at once (the takes of one batch). SynthCodec renders with a
// synthesizer of its own per decode() call (plain CPU code, no shared state), so its takes
// render in parallel, one thread per core; EnCodec decodes through LibTorch's own intra-op pool
// and stays one take after the other. Used by MusicEngine::generateTakes, where rendering 8
// embedded takes was most of the batch's time (docs/performance.md, "Takes").
#pragma once

#include "core/audio/AudioCodec.h"

#include <vector>

namespace moodsteer {

/// Threads decodeAll() may use for `codec`: the cores present for SynthCodec, else 1.
int decodeThreadsFor(const AudioCodec& codec);

/// decode() of every grid, in order, on up to `threads` threads (the calling thread is one of
/// them; `threads` > 1 only for a codec whose decode() may run concurrently, see
/// decodeThreadsFor). The first CodecError (by index) is rethrown after every worker has
/// finished; no thread outlives the call.
std::vector<AudioBuffer> decodeAll(const AudioCodec& codec,
                                   const std::vector<const CodeGrid*>& grids, int threads);

} // namespace moodsteer
