#include "training/DataParallelGroup.h"

#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO // Debian's LibTorch is built with it; the header hides Gloo without it
#endif
#include <glog/logging.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace moodsteer {

namespace {

using Ms = std::chrono::milliseconds;
const std::string kError = "moodsteer/error";

/// The first line of a c10d/Gloo error: their texts carry C++ backtraces after it.
std::string firstLine(const std::exception& e) {
    const auto* c10 = dynamic_cast<const c10::Error*>(&e);
    std::string s = c10 ? c10->what_without_backtrace() : e.what();
    const auto nl = s.find('\n');
    return nl == std::string::npos ? s : s.substr(0, nl);
}

std::string text(const std::vector<uint8_t>& v) {
    return std::string(v.begin(), v.end());
}

std::vector<uint8_t> bytes(const std::string& s) {
    return std::vector<uint8_t>(s.begin(), s.end());
}

bool isLoopback(const std::string& host) {
    return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

} // namespace

struct DataParallelGroup::Impl {
    DistributedOptions options;
    Ms timeout{60000};
    c10::intrusive_ptr<c10d::TCPStore> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group;

    [[noreturn]] void fail(const std::string& message) {
        try { // best effort: lets the ranks blocked in the rendezvous fail with the same line
            store->set(kError, bytes(message));
        } catch (const std::exception&) {
        }
        throw std::runtime_error(message);
    }

    void throwIfAnotherRankFailed() {
        if (store->check({kError})) throw std::runtime_error(text(store->get(kError)));
    }

    /// Waits until the counter `key` reaches `count`, or a rank reports an error, or timeout.
    void waitForCount(const std::string& key, int count, const std::string& onTimeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            throwIfAnotherRankFailed();
            const auto n = store->add(key, 0);
            if (n >= count) return;
            if (std::chrono::steady_clock::now() > deadline)
                throw std::runtime_error(std::to_string(n) + " of " + std::to_string(count) + " " +
                                         onTimeout);
            std::this_thread::sleep_for(Ms(20));
        }
    }

    /// Waits for one piece of collective work, turning a lost or stalled peer into one line.
    void wait(const c10::intrusive_ptr<c10d::Work>& work, const char* what) {
        try {
            work->wait();
        } catch (const std::exception& e) {
            throw std::runtime_error(
                std::string("data-parallel training: ") + what + " failed on rank " +
                std::to_string(options.rank) +
                " (another rank died, was stopped, or stalled longer than the " +
                std::to_string(static_cast<int>(options.timeoutSeconds)) +
                " s timeout): " + firstLine(e));
        }
    }
};

DataParallelGroup::DataParallelGroup(const DistributedOptions& o)
    : impl_(std::make_unique<Impl>()), rank_(o.rank), size_(o.worldSize) {
    auto& d = *impl_;
    d.options = o;
    if (o.worldSize < 1 || o.rank < 0 || o.rank >= o.worldSize)
        throw std::runtime_error("rank " + std::to_string(o.rank) + " is outside world size " +
                                 std::to_string(o.worldSize) + " (ranks are 0.." +
                                 std::to_string(o.worldSize - 1) + ")");
    if (o.masterPort < 1 || o.masterPort > 65535)
        throw std::runtime_error("master port " + std::to_string(o.masterPort) +
                                 " is outside 1..65535");
    if (!(o.timeoutSeconds > 0))
        throw std::runtime_error("the data-parallel timeout must be > 0 seconds");
    d.timeout = Ms(static_cast<long>(o.timeoutSeconds * 1000));
    // c10d also logs its socket errors through glog (several lines, before InitGoogleLogging);
    // each failure here reaches the user once, as this class's one-line error.
    FLAGS_minloglevel = std::max(FLAGS_minloglevel, google::GLOG_FATAL);
    const std::string where = o.masterAddr + ":" + std::to_string(o.masterPort);

    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(o.masterPort);
    so.isServer = o.rank == 0;
    so.waitWorkers = false; // the join count below gives a clearer message
    so.timeout = d.timeout;
    try {
        d.store = c10::make_intrusive<c10d::TCPStore>(o.masterAddr, so);
    } catch (const std::exception& e) {
        if (o.rank == 0)
            throw std::runtime_error(
                "rank 0 cannot host the rendezvous at " + where +
                " (port in use, or not an address of this machine?): " + firstLine(e));
        throw std::runtime_error("rank " + std::to_string(o.rank) + " cannot reach the master at " +
                                 where + " within " +
                                 std::to_string(static_cast<int>(o.timeoutSeconds)) +
                                 " s (is rank 0 running there? check MASTER_ADDR, MASTER_PORT "
                                 "and the firewall): " +
                                 firstLine(e));
    }

    try {
        const std::string sizeKey = "moodsteer/world_size";
        if (o.rank == 0) {
            d.store->set(sizeKey, bytes(std::to_string(o.worldSize)));
        } else {
            const auto theirs = text(d.store->get(sizeKey));
            if (theirs != std::to_string(o.worldSize))
                d.fail("rank " + std::to_string(o.rank) + " was started with world size " +
                       std::to_string(o.worldSize) + " but rank 0 with " + theirs +
                       " (give every rank the same WORLD_SIZE / --world-size)");
        }
        if (d.store->add("moodsteer/rank/" + std::to_string(o.rank), 1) > 1)
            d.fail("two processes were started as rank " + std::to_string(o.rank) +
                   " (every rank needs its own RANK / --rank)");
        d.store->add("moodsteer/joined", 1);
        d.waitForCount("moodsteer/joined", o.worldSize,
                       "ranks joined the rendezvous at " + where + " within the " +
                           std::to_string(static_cast<int>(o.timeoutSeconds)) +
                           " s timeout (start every rank, with the same WORLD_SIZE)");

        auto go = c10d::ProcessGroupGloo::Options::create(d.timeout);
        if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
            go->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
        else if (isLoopback(o.masterAddr))
            go->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
        else
            go->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
        go->threads = 2;
        auto prefixed = c10::make_intrusive<c10d::PrefixStore>("moodsteer/gloo", d.store);
        d.group = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, o.rank, o.worldSize, go);
    } catch (const std::runtime_error&) {
        throw;
    } catch (const std::exception& e) {
        throw std::runtime_error("data-parallel rendezvous at " + where + " failed on rank " +
                                 std::to_string(o.rank) + ": " + firstLine(e));
    }
}

DataParallelGroup::~DataParallelGroup() = default;

void DataParallelGroup::requireSame(const std::string& what, const std::string& value) {
    auto& d = *impl_;
    const std::string key = "moodsteer/same/" + what + "/";
    try {
        d.store->set(key + std::to_string(rank_), bytes(value));
        const auto zero = text(d.store->get(key + "0"));
        for (int r = 1; r < size_; ++r)
            if (text(d.store->get(key + std::to_string(r))) != zero)
                throw std::runtime_error("rank " + std::to_string(r) + "'s " + what +
                                         " differ from rank 0's (start every rank with the "
                                         "same options and corpus)");
    } catch (const std::runtime_error&) {
        throw;
    } catch (const std::exception& e) {
        throw std::runtime_error("data-parallel training: comparing the " + what +
                                 " of the ranks failed on rank " + std::to_string(rank_) + ": " +
                                 firstLine(e));
    }
}

std::string DataParallelGroup::broadcastBytes(const std::string& what, const std::string& data) {
    auto& d = *impl_;
    std::vector<torch::Tensor> length{torch::tensor({static_cast<int64_t>(data.size())})};
    d.wait(d.group->broadcast(length), ("sending " + what).c_str());
    const auto n = length[0].item<int64_t>();
    // Nothing to send (a fresh run has no checkpoint): every rank knows n, so all skip the
    // payload; an empty tensor has no data pointer to memcpy into (UBSan).
    if (n == 0) return {};
    std::vector<torch::Tensor> payload{torch::empty({n}, torch::kUInt8)};
    if (rank_ == 0) std::memcpy(payload[0].data_ptr(), data.data(), data.size());
    d.wait(d.group->broadcast(payload), ("sending " + what).c_str());
    return std::string(static_cast<const char*>(payload[0].data_ptr()), static_cast<size_t>(n));
}

void DataParallelGroup::broadcast(std::vector<torch::Tensor>& tensors) {
    auto& d = *impl_;
    torch::NoGradGuard noGrad;
    for (auto& t : tensors) {
        std::vector<torch::Tensor> one{t.detach()};
        d.wait(d.group->broadcast(one), "sending the weights");
    }
}

void DataParallelGroup::allReduceSum(std::vector<torch::Tensor>& tensors) {
    auto& d = *impl_;
    torch::NoGradGuard noGrad;
    // DDP's default bucket size: large enough to amortise each all-reduce's latency, small
    // enough that several are in flight on Gloo's two threads at once.
    constexpr int64_t kBucketElements = (25 << 20) / sizeof(float);
    std::vector<std::vector<std::size_t>> buckets;
    int64_t filled = kBucketElements;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        if (filled + tensors[i].numel() > kBucketElements && filled > 0) {
            buckets.emplace_back();
            filled = 0;
        }
        buckets.back().push_back(i);
        filled += tensors[i].numel();
    }
    std::vector<std::vector<torch::Tensor>> flat(buckets.size());
    std::vector<c10::intrusive_ptr<c10d::Work>> work;
    for (std::size_t b = 0; b < buckets.size(); ++b) {
        std::vector<torch::Tensor> parts;
        for (auto i : buckets[b])
            parts.push_back(tensors[i].reshape({-1}));
        flat[b].push_back(torch::cat(parts));
        work.push_back(d.group->allreduce(flat[b]));
    }
    for (std::size_t b = 0; b < buckets.size(); ++b) {
        d.wait(work[b], "the gradient all-reduce");
        int64_t offset = 0;
        for (auto i : buckets[b]) {
            const auto n = tensors[i].numel();
            tensors[i].view({-1}).copy_(flat[b][0].slice(0, offset, offset + n));
            offset += n;
        }
    }
}

void DataParallelGroup::allReduceMax(torch::Tensor& tensor) {
    auto& d = *impl_;
    std::vector<torch::Tensor> one{tensor};
    c10d::AllreduceOptions ao;
    ao.reduceOp = c10d::ReduceOp::MAX;
    d.wait(d.group->allreduce(one, ao), "exchanging the step flags");
}

torch::Tensor DataParallelGroup::allGather(const torch::Tensor& local) {
    auto& d = *impl_;
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> in{local.detach().contiguous()};
    std::vector<std::vector<torch::Tensor>> out(1);
    for (int r = 0; r < size_; ++r)
        out[0].push_back(torch::empty_like(in[0]));
    d.wait(d.group->allgather(out, in), "gathering the representations");
    return torch::cat(out[0]);
}

} // namespace moodsteer
