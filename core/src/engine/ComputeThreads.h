// One place that sets how many threads the engine's math uses: LibTorch's intra-op pool and,
// when loaded, OpenBLAS-pthread's own pool (which ignores torch's setting).
#pragma once

#include <string>

namespace moodsteer {

/// `requested` > 0 is used as is; 0 means cores - 1 (at least 1), leaving a core to the GUI
/// and audio threads: on 2 cores with the other one busy, 2-thread OpenMP regions stall each
/// other (measured 4-13x slower steps). Also turns the decode step's helper
/// (models/DecodeThreads.h) on with two or more cores, unless exactly 1 thread is requested.
/// Returns the count applied.
int setComputeThreads(int requested);
/// Cores this process may run on (at least 1).
int availableCores();

/// Every core for the engine's math while it lives, then the count before: for a large batched
/// pass that nothing else in the engine runs beside (a session window's prefill, while the
/// codec's thread has nothing queued). Big GEMMs do not stall the way a step's small regions do
/// when the other core is busy. A count given to setComputeThreads (--threads N) is kept.
/// `weightPrecision` "f32": OpenBLAS's pool too, as float32 weights' prefill multiplies through
/// BLAS (musicgen-small, 500 frames: 6.3 s on two of its threads, 7.8 s on one). bf16/int8/int4
/// prefills multiply on LibTorch's (OpenMP) threads in our own kernels and call BLAS only for
/// small products; a raised BLAS pool there only left its worker spinning in sched_yield beside
/// OpenMP's two on two cores (int8, 500 frames: 1.33-1.47 s with it, 0.88 s without).
/// Engine thread only.
class AllCoresFor {
  public:
    explicit AllCoresFor(const std::string& weightPrecision);
    ~AllCoresFor();
    AllCoresFor(const AllCoresFor&) = delete;
    AllCoresFor& operator=(const AllCoresFor&) = delete;

  private:
    int before_;
    bool blas_;
    bool raised_ = false;
};

/// One LibTorch thread for the calling thread while it lives, then the count before: for work
/// whose result must not depend on the thread count (a prompt's columns read ahead, on a
/// thread of their own or at the seam: some of LibTorch's kernels split their sums by thread,
/// and two threads gave logits 1e-5 apart from one).
class OneThreadFor {
  public:
    OneThreadFor();
    ~OneThreadFor();
    OneThreadFor(const OneThreadFor&) = delete;
    OneThreadFor& operator=(const OneThreadFor&) = delete;

  private:
    int before_;
};

} // namespace moodsteer
