// What the engine's helper threads (the pipelined codec, the context reader) do for themselves.
#pragma once

namespace moodsteer {

/// CPU seconds the calling thread has used.
double threadCpuNow();

/// Raises the calling thread's nice value by `by` (Linux: a thread's own priority), at most to
/// 19; a failure changes nothing and is harmless.
void lowerOwnPriority(int by);

} // namespace moodsteer
