// The engine's tensors under 64 MB come from malloc's heap, not a fresh mapping each (whose
// pages the kernel faults in and zeroes on every use); larger blocks are still mapped.
#include "engine/AllocatorTuning.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>

using namespace moodsteer;

TEST(AllocatorTuning, TensorSizedBlocksComeFromTheHeapNotFreshMappings) {
#ifdef __SANITIZE_ADDRESS__
    GTEST_SKIP() << "AddressSanitizer replaces malloc: its mappings are not glibc's";
#endif
    tuneAllocatorForTensors();
    const std::size_t mb = 1024 * 1024;
    const auto mapped = [] { return mallinfo2().hblkhd; }; // bytes in blocks mapped on their own
    const std::size_t before = mapped();
    void* scores = std::malloc(40 * mb); // a prefill's attention scores are 32 MB
    ASSERT_NE(nullptr, scores);
    std::memset(scores, 1, 40 * mb);
    EXPECT_EQ(before, mapped());
    std::free(scores);
    void* huge = std::malloc(100 * mb);
    ASSERT_NE(nullptr, huge);
    EXPECT_GE(mapped(), before + 100 * mb);
    std::free(huge);
}
