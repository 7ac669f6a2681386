// One place that sets how many threads the engine's math uses: LibTorch's intra-op pool and,
// when loaded, OpenBLAS-pthread's own pool (which ignores torch's setting).
#pragma once

namespace moodsteer {

/// `requested` > 0 is used as is; 0 means cores - 1 (at least 1), leaving a core to the GUI
/// and audio threads: on 2 cores with the other one busy, 2-thread OpenMP regions stall each
/// other (measured 4-13x slower steps). Also turns the decode step's attention helper
/// (models/DecodeThreads.h) on with two or more cores, unless exactly 1 thread is requested.
/// Returns the count applied.
int setComputeThreads(int requested);
/// Cores this process may run on (at least 1).
int availableCores();

/// Every core for the engine's math while it lives, then the count before: for a large batched
/// pass that nothing else in the engine runs beside (a session window's prefill, while the
/// codec's thread has nothing queued). Big GEMMs do not stall the way a step's small regions do
/// when the other core is busy. A count given to setComputeThreads (--threads N) is kept.
/// Engine thread only.
class AllCoresFor {
  public:
    AllCoresFor();
    ~AllCoresFor();
    AllCoresFor(const AllCoresFor&) = delete;
    AllCoresFor& operator=(const AllCoresFor&) = delete;

  private:
    int before_;
};

} // namespace moodsteer
