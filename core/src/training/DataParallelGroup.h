// The process group of a data-parallel training run: rendezvous through a c10d TCPStore
// hosted by rank 0, then collectives over c10d's ProcessGroupGloo (PyTorch's own distributed
// engine, in Debian's LibTorch). Every failure (unreachable master, a rank with another world
// size or other options, a rank that died or stalled past the timeout) is one runtime_error
// line naming the cause, thrown on every rank that notices it.
//
// Threading: one training thread per process calls every method; the calls are collective
// (every rank makes the same calls in the same order) unless a comment says otherwise.
#pragma once

#include "core/training/Training.h"

#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

namespace moodsteer {

class DataParallelGroup {
  public:
    /// Connects to (rank 0: hosts) the store at masterAddr:masterPort, checks that every
    /// rank agrees on the world size and that no rank number is taken twice, waits until all
    /// ranks joined, and creates the Gloo process group.
    explicit DataParallelGroup(const DistributedOptions& options);
    ~DataParallelGroup();
    DataParallelGroup(const DataParallelGroup&) = delete;
    DataParallelGroup& operator=(const DataParallelGroup&) = delete;

    int rank() const { return rank_; }
    int size() const { return size_; }

    /// Fails on every rank, naming the first rank whose `value` differs from rank 0's:
    /// `what` is the thing compared ("training options", "corpus").
    void requireSame(const std::string& what, const std::string& value);
    /// Rank 0's `bytes` on every rank (other ranks pass anything). `what` names it in errors.
    std::string broadcastBytes(const std::string& what, const std::string& bytes);
    /// Overwrites every tensor with rank 0's values.
    void broadcast(std::vector<torch::Tensor>& tensors);
    /// Sums the tensors (float32, contiguous) over all ranks in place: flattened into buckets
    /// of about 25 MB, one all-reduce per bucket, all in flight at once.
    void allReduceSum(std::vector<torch::Tensor>& tensors);
    /// Element-wise maximum of a small float tensor over all ranks, in place.
    void allReduceMax(torch::Tensor& tensor);
    /// [n, ...] on each rank -> [size() * n, ...] in rank order (equal n on every rank).
    torch::Tensor allGather(const torch::Tensor& local);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    int rank_ = 0, size_ = 1;
};

} // namespace moodsteer
