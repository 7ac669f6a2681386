#include "core/bench/Benchmark.h"

#include "models/DecodeThreads.h"
#include "models/HugePageBuffer.h"

// The probe's AVX-512 loop exists on x86-64 only; elsewhere (ARM) the portable loop reads.
#if defined(__x86_64__)
#include <immintrin.h>
#define MOODSTEER_PROBE_AVX512 1
#endif

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sys/resource.h>
#include <thread>
#include <vector>

namespace moodsteer {

namespace {

/// ", Haswell kernels": the kernels OpenBLAS picked (from the CPU, or OPENBLAS_CORETYPE, which
/// some machines set because older OpenBLAS builds misbehave with the ones they would pick;
/// this project never changes it). Empty with another BLAS.
std::string openblasKernels() {
    const auto corename =
        reinterpret_cast<char* (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
    const char* name = corename ? corename() : nullptr;
    return name ? std::string(", ") + name + " kernels" : std::string();
}

} // namespace

std::string activeBlas() {
    // LibTorch links libblas.so.3; which implementation that is depends on the system's
    // alternative, so look at what is actually mapped.
    std::ifstream maps("/proc/self/maps");
    std::string line, found;
    while (std::getline(maps, line)) {
        const auto pos = line.find('/');
        if (pos == std::string::npos) continue;
        const std::string path = line.substr(pos);
        if (path.find("openblas") != std::string::npos)
            return "OpenBLAS (" + path + ")" + openblasKernels();
        if (path.find("libblas.so") != std::string::npos ||
            path.find("libmkl") != std::string::npos || path.find("blis") != std::string::npos)
            found = path;
    }
    if (found.empty()) return "unknown (no BLAS mapped yet)";
    std::error_code ec;
    const auto real = std::filesystem::canonical(found, ec).string();
    if (real.find("openblas") != std::string::npos)
        return "OpenBLAS (" + real + ")" + openblasKernels();
    return "reference BLAS (" + (real.empty() ? found : real) +
           ") — slow; install libopenblas0-pthread";
}

namespace {

#ifdef MOODSTEER_PROBE_AVX512
// Sums [b, e) with 4 independent AVX-512 accumulators. The portable loop below is limited by
// its add chains (~24 GB/s here) while the packed GEMV kernels stream ~29 GB/s: a floor taken
// from it would not be a floor.
__attribute__((target("avx512f"))) float sumAvx512(const float* p, std::size_t b, std::size_t e) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    std::size_t i = b;
    for (; i + 64 <= e; i += 64) {
        a0 = _mm512_add_ps(a0, _mm512_loadu_ps(p + i));
        a1 = _mm512_add_ps(a1, _mm512_loadu_ps(p + i + 16));
        a2 = _mm512_add_ps(a2, _mm512_loadu_ps(p + i + 32));
        a3 = _mm512_add_ps(a3, _mm512_loadu_ps(p + i + 48));
    }
    float s = 0;
    for (; i < e; ++i)
        s += p[i];
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    for (float l : lanes)
        s += l;
    return s;
}
#endif

float sumPortable(const float* buf, std::size_t b, std::size_t e) {
    float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    std::size_t i = b;
    for (; i + 8 <= e; i += 8) {
        a0 += buf[i];
        a1 += buf[i + 1];
        a2 += buf[i + 2];
        a3 += buf[i + 3];
        a4 += buf[i + 4];
        a5 += buf[i + 5];
        a6 += buf[i + 6];
        a7 += buf[i + 7];
    }
    for (; i < e; ++i)
        a0 += buf[i];
    return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}

} // namespace

int decodeReadThreads(const std::string& precision, int64_t positions, int threads) {
    // float32 weights are the reference and stay on one thread; the reduced ones are shared.
    return models::decodeStepUsesHelper(precision != "f32", positions) ? std::max(threads, 2)
                                                                       : threads;
}

double measureMemoryBandwidth(int threads, int passes) {
    threads = std::max(1, threads);
    constexpr std::size_t bytes = std::size_t(512) << 20; // far beyond any cache
    constexpr std::size_t n = bytes / sizeof(float);
    // One buffer for the process, on huge pages as the decode weights are: with 4 KiB pages
    // the probe would read slower than the GEMVs stream, and a floor taken from it would not
    // be a floor.
    static const std::shared_ptr<void> memory = [] {
        auto m = models::hugePageBuffer(bytes);
        std::fill_n(static_cast<float*>(m.get()), n, 1.0f);
        return m;
    }();
    const float* const buf = static_cast<const float*>(memory.get());
#ifdef MOODSTEER_PROBE_AVX512
    const bool avx512 = __builtin_cpu_supports("avx512f");
#endif
    double best = 0;
    for (int rep = 0; rep < std::max(1, passes); ++rep) {
        std::vector<double> sums(threads);
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                const std::size_t b = n / threads * t,
                                  e = t + 1 == threads ? n : n / threads * (t + 1);
#ifdef MOODSTEER_PROBE_AVX512
                sums[t] = avx512 ? sumAvx512(buf, b, e) : sumPortable(buf, b, e);
#else
                sums[t] = sumPortable(buf, b, e);
#endif
            });
        for (auto& th : pool)
            th.join();
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        volatile double sink = sums[0];
        (void)sink;
        best = std::max(best, bytes / s / 1e9);
    }
    return best;
}

namespace {
double procField(const char* file, const char* key) {
    std::FILE* f = std::fopen(file, "r");
    if (!f) return 0;
    char line[256];
    double kb = 0;
    const std::size_t n = std::strlen(key);
    while (std::fgets(line, sizeof line, f))
        if (std::strncmp(line, key, n) == 0) kb = std::atof(line + n);
    std::fclose(f);
    return kb / 1024.0;
}
} // namespace

double currentRssMB() {
    return procField("/proc/self/status", "VmRSS:");
}
double availableMemoryMB() {
    return procField("/proc/meminfo", "MemAvailable:");
}

double peakRssMB() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

} // namespace moodsteer
