// The engine's math threads: a session window's prefill takes every core for its pass
// (AllCoresFor) and gives the count back; a count the user chose (--threads N) stays.
#include "engine/ComputeThreads.h"
#include "models/DecodeThreads.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

using namespace moodsteer;

TEST(ComputeThreads, AllCoresForRaisesTheDefaultCountForItsScopeOnly) {
    const int before = torch::get_num_threads();
    const bool helper = models::decodeAttentionHelper();
    const int cores = availableCores();
    const int usual = setComputeThreads(0);
    EXPECT_EQ(std::max(1, cores - 1), usual);
    {
        AllCoresFor all;
        EXPECT_EQ(cores, torch::get_num_threads());
    }
    EXPECT_EQ(usual, torch::get_num_threads());

    EXPECT_EQ(1, setComputeThreads(1)); // the user's count
    {
        AllCoresFor all;
        EXPECT_EQ(1, torch::get_num_threads());
    }
    EXPECT_EQ(1, torch::get_num_threads());

    torch::set_num_threads(before);
    models::setDecodeAttentionHelper(helper);
}
