#include "core/engine/BlasKernels.h"

#include <dlfcn.h>

namespace moodsteer {

namespace {

/// OpenBLAS's own entry points, found in the loaded libraries (absent with another BLAS).
template <class F> F openblasSymbol(const char* name) {
    return reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
}

std::string corename() {
    const auto get = openblasSymbol<char* (*)()>("openblas_get_corename");
    const char* name = get ? get() : nullptr;
    return name ? name : "";
}

} // namespace

std::string blasDescription() {
    const std::string core = corename();
    if (core.empty()) return "";
    const auto config = openblasSymbol<char* (*)()>("openblas_get_config");
    std::string version = config && config() ? config() : "OpenBLAS";
    // "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ...": keep the name and version.
    if (const auto second = version.find(' ', version.find(' ') + 1); second != std::string::npos)
        version.resize(second);
    return version + ", " + core + " kernels";
}

} // namespace moodsteer
