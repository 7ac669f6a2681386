#include "HugePages.h"

#include "models/HugePageBuffer.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>

namespace moodsteer::models {
namespace {

constexpr std::size_t kHugePage = std::size_t(2) << 20;
constexpr std::size_t kChunk = std::size_t(64) << 20;
constexpr std::size_t kMinBytes = std::size_t(256) << 10;

std::size_t roundUp(std::size_t n, std::size_t to) {
    return (n + to - 1) / to * to;
}

struct Chunk {
    std::shared_ptr<void> memory;
    char* base = nullptr;
    std::size_t size = 0;
    std::size_t used = 0;
    explicit Chunk(std::size_t bytes)
        : memory(hugePageBuffer(bytes)), base(static_cast<char*>(memory.get())),
          size(roundUp(bytes, kHugePage)) {}
};

std::mutex chunkMutex;
std::shared_ptr<Chunk> current; // the chunk new tensors are cut from (guarded by chunkMutex)

} // namespace

std::shared_ptr<void> hugePageBuffer(std::size_t bytes) {
    const std::size_t size = roundUp(std::max<std::size_t>(bytes, 1), kHugePage);
    void* p = std::aligned_alloc(kHugePage, size);
    if (!p) throw std::bad_alloc();
    // Before the first touch, so that the pages are huge from the start. Failure (no THP in
    // this kernel) leaves ordinary pages.
    (void)madvise(p, size, MADV_HUGEPAGE);
    return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

at::Tensor emptyOnHugePages(at::IntArrayRef sizes, at::ScalarType dtype) {
    std::size_t count = 1;
    for (auto s : sizes)
        count *= static_cast<std::size_t>(s);
    const std::size_t bytes = count * c10::elementSize(dtype);
    if (bytes < kMinBytes) return at::empty(sizes, at::TensorOptions().dtype(dtype));
    const std::size_t need = roundUp(bytes, 64);
    std::shared_ptr<Chunk> chunk;
    char* data = nullptr;
    {
        std::lock_guard<std::mutex> lock(chunkMutex);
        if (need > kChunk / 2) {
            chunk = std::make_shared<Chunk>(need); // a large matrix gets a chunk of its own
        } else {
            if (!current || current->used + need > current->size)
                current = std::make_shared<Chunk>(kChunk);
            chunk = current;
        }
        data = chunk->base + chunk->used;
        chunk->used += need;
    }
    // The deleter holds the chunk: it is freed with the last tensor cut from it (and once the
    // arena has moved on to a newer chunk).
    return at::from_blob(
        data, sizes, [chunk](void*) {}, at::TensorOptions().dtype(dtype));
}

at::Tensor onHugePages(const at::Tensor& t) {
    auto out = emptyOnHugePages(t.sizes(), t.scalar_type());
    out.copy_(t);
    return out;
}

} // namespace moodsteer::models
