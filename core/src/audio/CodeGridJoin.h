// Code streams end to end, for the engine's own use (sessions, seam choice, the pipelined
// decoder all append frames to a stream; training joins two pieces in a mood-change crop).
#pragma once

#include "core/audio/AudioCodec.h"

namespace moodsteer {

/// a's frames, then b's, stream by stream. An empty `a` (no frames) gives b as it is, so a
/// stream can start as a default CodeGrid.
CodeGrid joinFrames(const CodeGrid& a, const CodeGrid& b);

} // namespace moodsteer
