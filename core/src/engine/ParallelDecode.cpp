#include "engine/ParallelDecode.h"

#include "core/synth/SynthCodec.h"
#include "engine/ComputeThreads.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <system_error>
#include <thread>

namespace moodsteer {

int decodeThreadsFor(const AudioCodec& codec) {
    return dynamic_cast<const SynthCodec*>(&codec) ? availableCores() : 1;
}

std::vector<AudioBuffer> decodeAll(const AudioCodec& codec,
                                   const std::vector<const CodeGrid*>& grids, int threads) {
    std::vector<AudioBuffer> out(grids.size());
    const int workers = std::min(threads, static_cast<int>(grids.size()));
    if (workers < 2) {
        for (std::size_t i = 0; i < grids.size(); ++i)
            out[i] = codec.decode(*grids[i]);
        return out;
    }
    std::vector<std::exception_ptr> errors(grids.size());
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (std::size_t i; (i = next.fetch_add(1)) < grids.size();) {
            try {
                out[i] = codec.decode(*grids[i]);
            } catch (...) {
                errors[i] = std::current_exception();
            }
        }
    };
    std::vector<std::thread> pool;
    for (int w = 1; w < workers; ++w) {
        try {
            pool.emplace_back(work);
        } catch (const std::system_error&) {
            break; // no thread to be had: the ones running (at least this one) share the work
        }
    }
    work(); // the calling thread is one of the workers
    for (auto& t : pool)
        t.join();
    for (const auto& e : errors)
        if (e) std::rethrow_exception(e);
    return out;
}

} // namespace moodsteer
