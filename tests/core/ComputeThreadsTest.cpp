// The engine's math threads: a session window's prefill takes every core for its pass
// (AllCoresFor) and gives the count back; a count the user chose (--threads N) stays.
#include "engine/ComputeThreads.h"
#include "models/DecodeThreads.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

using namespace moodsteer;

TEST(ComputeThreads, AllCoresForRaisesTheDefaultCountForItsScopeOnly) {
    const int before = torch::get_num_threads();
    const bool helper = models::decodeHelper();
    const int cores = availableCores();
    const int usual = setComputeThreads(0);
    EXPECT_EQ(std::max(1, cores - 1), usual);
    // OpenBLAS's own pool, where this build has OpenBLAS: raised only when asked (f32 weights).
    auto* blasThreads =
        reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    const auto blas = [&] { return blasThreads ? blasThreads() : -1; };
    const int blasUsual = blas();
    for (const bool alsoBlas : {false, true}) {
        {
            AllCoresFor all(alsoBlas ? "f32" : "int8");
            EXPECT_EQ(cores, torch::get_num_threads());
            if (blasThreads) EXPECT_EQ(alsoBlas ? cores : blasUsual, blas()) << alsoBlas;
        }
        EXPECT_EQ(usual, torch::get_num_threads());
        EXPECT_EQ(blasUsual, blas());
    }

    EXPECT_EQ(1, setComputeThreads(1)); // the user's count
    {
        AllCoresFor all("f32");
        EXPECT_EQ(1, torch::get_num_threads());
    }
    EXPECT_EQ(1, torch::get_num_threads());

    torch::set_num_threads(before);
    models::setDecodeHelper(helper);
}
