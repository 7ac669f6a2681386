// The decode weights' huge-page memory (models/src/HugePages.h): tensors cut from shared
// chunks behave as ordinary contiguous tensors.
#include "HugePages.h"
#include "models/HugePageBuffer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdint>

using namespace moodsteer::models;

TEST(HugePages, LargeTensorsShareChunksAndHoldTheirData) {
    auto a = emptyOnHugePages({512, 1024}, at::kFloat); // 2 MiB
    auto b = emptyOnHugePages({256, 1024}, at::kChar);  // 256 KiB
    for (const auto* t : {&a, &b}) {
        EXPECT_TRUE(t->is_contiguous());
        EXPECT_EQ(0u, reinterpret_cast<std::uintptr_t>(t->data_ptr()) % 64);
    }
    EXPECT_EQ(a.sizes(), at::IntArrayRef({512, 1024}));
    EXPECT_EQ(b.scalar_type(), at::kChar);
    // Cut one after the other from the same chunk.
    EXPECT_EQ(static_cast<char*>(b.data_ptr()), static_cast<char*>(a.data_ptr()) + (2 << 20));
    a.fill_(1.5f);
    b.fill_(-3);
    EXPECT_EQ(a.sum().item<double>(), 1.5 * 512 * 1024);
    EXPECT_EQ(b.to(at::kInt).sum().item<std::int64_t>(), -3 * 256 * 1024);
}

TEST(HugePages, CopiesAreExactAndOutliveTheirSource) {
    torch::manual_seed(3);
    at::Tensor copy;
    at::Tensor expected;
    {
        auto source = torch::randn({1024, 300}); // not a multiple of 64 bytes per row
        expected = source.clone();
        copy = onHugePages(source);
    }
    EXPECT_TRUE(torch::equal(copy, expected));
    // A matrix larger than half a chunk gets a chunk of its own; small ones use ATen's memory.
    auto big = onHugePages(torch::ones({40, 1024, 1024}, torch::kFloat)); // 160 MiB
    EXPECT_EQ(big.sum().item<double>(), 40.0 * 1024 * 1024);
    auto small = onHugePages(torch::arange(10, torch::kFloat));
    EXPECT_TRUE(torch::equal(small, torch::arange(10, torch::kFloat)));
}

TEST(HugePages, BuffersAreAlignedToAHugePage) {
    auto buffer = hugePageBuffer(3 << 20); // rounded up to 4 MiB
    ASSERT_NE(nullptr, buffer.get());
    EXPECT_EQ(0u, reinterpret_cast<std::uintptr_t>(buffer.get()) % (2 << 20));
    auto* bytes = static_cast<unsigned char*>(buffer.get());
    bytes[0] = 1;
    bytes[(4 << 20) - 1] = 2; // the whole rounded size is usable
    EXPECT_EQ(3, bytes[0] + bytes[(4 << 20) - 1]);
}
