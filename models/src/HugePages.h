// Memory for the weights the decode step streams every step, advised for transparent huge
// pages (2 MiB). With 4 KiB pages, reading ~150 separate weight matrices per step costs a TLB
// walk every 4 KiB and restarts the hardware prefetcher at every page: measured on this
// machine, 144 matrices of 1-4 MiB streamed at 31-33 GB/s on 4 KiB pages and 36-37 GB/s on
// huge pages. The machine's THP mode is "madvise", so without the advice nothing gets them.
// The advice is only advice: where THP is off the memory works as ordinary pages.
#pragma once

#include <ATen/ATen.h>

namespace moodsteer::models {

/// An uninitialised contiguous tensor; from huge-page-advised chunks when it is at least
/// 256 KiB (smaller ones come from ATen's allocator). Chunks are 64 MiB, shared by several
/// tensors and freed when the last of them is.
at::Tensor emptyOnHugePages(at::IntArrayRef sizes, at::ScalarType dtype);

/// A contiguous copy of `t` (CPU) in such memory.
at::Tensor onHugePages(const at::Tensor& t);

} // namespace moodsteer::models
