// SpscRingBuffer: capacity rounding, wraparound, partial reads/writes, and a two-thread
// stress run whose consumer checks every value of a counting sequence.
#include "core/playback/SpscRingBuffer.h"

#include <gtest/gtest.h>

#include <numeric>
#include <thread>
#include <vector>

using moodsteer::SpscRingBuffer;

TEST(RingBuffer, RoundsCapacityToPowerOfTwo) {
    EXPECT_EQ(SpscRingBuffer<float>(1).capacity(), 1u);
    EXPECT_EQ(SpscRingBuffer<float>(5).capacity(), 8u);
    EXPECT_EQ(SpscRingBuffer<float>(1024).capacity(), 1024u);
    EXPECT_THROW(SpscRingBuffer<float>(0), std::invalid_argument);
}

TEST(RingBuffer, WriteStopsWhenFullAndReadStopsWhenEmpty) {
    SpscRingBuffer<int> ring(8);
    std::vector<int> in(12);
    std::iota(in.begin(), in.end(), 0);
    EXPECT_EQ(ring.write(in.data(), in.size()), 8u);
    EXPECT_EQ(ring.writeSpace(), 0u);
    std::vector<int> out(12, -1);
    EXPECT_EQ(ring.read(out.data(), out.size()), 8u);
    EXPECT_EQ(std::vector<int>(out.begin(), out.begin() + 8),
              std::vector<int>(in.begin(), in.begin() + 8));
    EXPECT_EQ(ring.read(out.data(), 1), 0u);
}

TEST(RingBuffer, WrapsAroundTheEnd) {
    SpscRingBuffer<int> ring(8);
    int next = 0, expect = 0;
    // Chunks of 5 against capacity 8 make every possible split point occur.
    for (int round = 0; round < 40; ++round) {
        int in[5];
        for (int& v : in)
            v = next++;
        ASSERT_EQ(ring.write(in, 5), 5u);
        int out[5];
        ASSERT_EQ(ring.read(out, 5), 5u);
        for (int v : out)
            ASSERT_EQ(v, expect++);
    }
    EXPECT_EQ(ring.readAvailable(), 0u);
}

TEST(RingBuffer, DiscardAllEmptiesForTheConsumer) {
    SpscRingBuffer<float> ring(16);
    float in[10] = {};
    ring.write(in, 10);
    EXPECT_EQ(ring.discardAll(), 10u);
    EXPECT_EQ(ring.readAvailable(), 0u);
    EXPECT_EQ(ring.writeSpace(), 16u);
}

TEST(RingBuffer, TwoThreadsTransferASequenceIntact) {
    SpscRingBuffer<std::uint32_t> ring(256);
    constexpr std::uint32_t kCount = 2'000'000;
    std::thread producer([&] {
        std::uint32_t next = 0;
        std::uint32_t block[97];
        while (next < kCount) {
            const std::uint32_t n = std::min<std::uint32_t>(97, kCount - next);
            for (std::uint32_t i = 0; i < n; ++i)
                block[i] = next + i;
            std::size_t done = 0;
            while (done < n) {
                done += ring.write(block + done, n - done);
                if (done < n) std::this_thread::yield();
            }
            next += n;
        }
    });
    std::uint32_t expect = 0;
    std::uint32_t mismatches = 0;
    std::uint32_t block[61];
    while (expect < kCount) {
        const std::size_t n = ring.read(block, 61);
        for (std::size_t i = 0; i < n; ++i)
            mismatches += block[i] != expect++;
        if (n == 0) std::this_thread::yield();
    }
    producer.join();
    EXPECT_EQ(mismatches, 0u);
    EXPECT_EQ(ring.readAvailable(), 0u);
}
