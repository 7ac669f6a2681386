// Chooses, once per process, the kernel each operation uses (see Kernels.h): the widest
// instruction set this build has, this CPU runs and the environment allows.
#include "IsaKernels.h"

#include <cstdlib>
#include <iostream>
#include <string>

namespace moodsteer::models::kernels {
namespace {

enum class Cap { Portable, Avx2, All };

// MOODSTEER_KERNELS=portable|avx2 caps the choice (for tests and comparisons on one machine).
Cap capFromEnvironment() {
    const char* value = std::getenv("MOODSTEER_KERNELS");
    if (!value || !*value) return Cap::All;
    const std::string v = value;
    if (v == "portable") return Cap::Portable;
    if (v == "avx2") return Cap::Avx2;
    if (v != "auto")
        std::cerr << "MOODSTEER_KERNELS='" << v
                  << "' is not one of portable, avx2, auto: using auto\n";
    return Cap::All;
}

#ifdef MOODSTEER_X86_KERNELS
struct X86Features {
    bool avx2 = false, avx512 = false, avx512bf16 = false, avx512vnni = false;
};

X86Features x86Features() {
    // __builtin_cpu_supports also checks that the OS saves the vector registers (XCR0).
    X86Features f;
    f.avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    f.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    f.avx512bf16 = f.avx512 && __builtin_cpu_supports("avx512bf16");
    f.avx512vnni = f.avx512 && __builtin_cpu_supports("avx512vnni");
    return f;
}

// `set` with only the operations the CPU runs (the rest null).
KernelSet avx512Subset(const X86Features& f) {
    KernelSet k;
    const KernelSet& all = avx512Kernels();
    if (f.avx512) {
        k.gemvF32 = all.gemvF32;
        k.moments = all.moments;
        k.attendF32 = all.attendF32;
        k.attendBf16 = all.attendBf16;
        k.attendInt8 = all.attendInt8;
    }
    if (f.avx512bf16) {
        k.roundBf16 = all.roundBf16;
        k.gemvBf16 = all.gemvBf16;
    }
    if (f.avx512vnni) {
        k.quantiseInt8 = all.quantiseInt8;
        k.gemvInt8 = all.gemvInt8;
        k.gemmInt8 = all.gemmInt8;
        k.gemvInt4 = all.gemvInt4;
    }
    return k;
}
#endif

// Each operation of `base` replaced by `over`'s where `over` has one.
void overlay(KernelSet& base, const KernelSet& over) {
    auto take = [](auto& to, const auto& from) {
        if (from.run) to = from;
    };
    take(base.gemvF32, over.gemvF32);
    take(base.roundBf16, over.roundBf16);
    take(base.gemvBf16, over.gemvBf16);
    take(base.quantiseInt8, over.quantiseInt8);
    take(base.gemvInt8, over.gemvInt8);
    take(base.gemmInt8, over.gemmInt8);
    take(base.gemvInt4, over.gemvInt4);
    take(base.moments, over.moments);
    take(base.attendF32, over.attendF32);
    take(base.attendBf16, over.attendBf16);
    take(base.attendInt8, over.attendInt8);
}

// The sets this CPU runs, narrowest first, each restricted to what the CPU supports.
std::vector<KernelSet> runnableSets(Cap cap) {
    std::vector<KernelSet> sets{portableKernels()};
#ifdef MOODSTEER_X86_KERNELS
    const X86Features f = x86Features();
    if (cap != Cap::Portable && f.avx2) sets.push_back(avx2Kernels());
    if (cap == Cap::All && f.avx512) sets.push_back(avx512Subset(f));
#else
    (void)cap;
#endif
    return sets;
}

} // namespace

const KernelSet& portable() {
    return portableKernels();
}

const KernelSet& active() {
    static const KernelSet chosen = [] {
        const auto sets = runnableSets(capFromEnvironment());
        KernelSet k = sets.front();
        for (size_t i = 1; i < sets.size(); ++i)
            overlay(k, sets[i]);
        return k;
    }();
    return chosen;
}

std::vector<const KernelSet*> available() {
    // Built once; not capped by the environment (tests compare everything the CPU runs).
    static const std::vector<KernelSet> sets = runnableSets(Cap::All);
    std::vector<const KernelSet*> out;
    for (const auto& s : sets)
        out.push_back(&s);
    return out;
}

bool x86KernelsCompiled() {
#ifdef MOODSTEER_X86_KERNELS
    return true;
#else
    return false;
#endif
}

std::string describeActive() {
    const KernelSet& k = active();
    return std::string("gemv f32 ") + k.gemvF32.isa + ", bf16 " + k.gemvBf16.isa + ", int8 " +
           k.gemvInt8.isa + ", int4 " + k.gemvInt4.isa + "; gemm int8 " + k.gemmInt8.isa +
           "; attention " + k.attendF32.isa + " (int8 cache " + k.attendInt8.isa +
           "), layer norm " + k.moments.isa;
}

} // namespace moodsteer::models::kernels
