#include "engine/ComputeThreads.h"

#include "models/DecodeThreads.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <dlfcn.h>
#include <thread>

namespace moodsteer {

int availableCores() {
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

namespace {

std::atomic<bool> explicitCount{false}; // setComputeThreads was given a count: AllCoresFor keeps it

// OpenBLAS-pthread runs one thread per core regardless of torch (EnCodec's convolutions:
// 10 s of audio decoded in 21 s vs 8 s with its count matched, measured on a busy machine).
void setBlasThreads(int threads) {
    if (auto* setBlas =
            reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
        setBlas(threads);
}

void setMathThreads(int threads) {
    torch::set_num_threads(threads);
    setBlasThreads(threads);
}

} // namespace

AllCoresFor::AllCoresFor(const std::string& weightPrecision)
    : before_(torch::get_num_threads()), blas_(weightPrecision == "f32") {
    if (explicitCount || availableCores() <= before_) return;
    raised_ = true;
    torch::set_num_threads(availableCores());
    if (blas_) setBlasThreads(availableCores());
}

AllCoresFor::~AllCoresFor() {
    if (!raised_) return;
    torch::set_num_threads(before_);
    if (blas_) setBlasThreads(before_);
}

OneThreadFor::OneThreadFor() : before_(torch::get_num_threads()) {
    if (before_ != 1) torch::set_num_threads(1);
}

OneThreadFor::~OneThreadFor() {
    if (before_ != 1) torch::set_num_threads(before_);
}

int setComputeThreads(int requested) {
    const int cores = availableCores();
    const int threads = requested > 0 ? requested : std::max(1, cores - 1);
    explicitCount = requested > 0;
    setMathThreads(threads);
    // The decode step's helper shares the step's GEMVs and long caches' attention with a second
    // core at idle priority (models/DecodeThreads.h); an explicit request for one thread keeps
    // everything on one.
    models::setDecodeHelper(cores >= 2 && requested != 1);
    return threads;
}

} // namespace moodsteer
