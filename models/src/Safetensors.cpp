#include "models/Safetensors.h"

#include "models/AtomicFile.h"
#include "models/BoundedRead.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace moodsteer::models {
namespace {

// Real headers are a few hundred KiB at most; this bounds what an attacker can make us parse.
constexpr std::uint64_t kMaxHeaderBytes = 100u << 20;

struct DTypeEntry {
    DType dtype;
    const char* name;
    std::size_t size;
};
constexpr DTypeEntry kDTypes[] = {
    {DType::F64, "F64", 8},   {DType::F32, "F32", 4}, {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2}, {DType::I64, "I64", 8}, {DType::I32, "I32", 4},
    {DType::I16, "I16", 2},   {DType::I8, "I8", 1},   {DType::U8, "U8", 1},
    {DType::BOOL, "BOOL", 1},
};

[[noreturn]] void fail(const std::string& label, const std::string& what) {
    throw SafetensorsError("safetensors file '" + label + "': " + what);
}

} // namespace

std::size_t dtypeSize(DType dtype) {
    for (const auto& e : kDTypes)
        if (e.dtype == dtype) return e.size;
    return 0;
}

const char* dtypeName(DType dtype) {
    for (const auto& e : kDTypes)
        if (e.dtype == dtype) return e.name;
    return "?";
}

int64_t TensorInfo::numel() const {
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d;
    return n;
}

struct SafetensorsReader::Storage {
    const std::byte* base = nullptr;
    std::size_t size = 0;
    void* mapping = nullptr; // munmap on destruction when set
    std::vector<std::byte> owned;

    ~Storage() {
        if (mapping) ::munmap(mapping, size);
    }
};

SafetensorsReader SafetensorsReader::open(const std::string& path) {
    // Checked on the descriptor before any blocking read: a FIFO or device is refused at once.
    static constexpr FileKind kKind{"safetensors file", ~std::uint64_t{0}};
    int fd = -1;
    std::uint64_t fileSize = 0;
    try {
        fd = openRegularFile(path, kKind, &fileSize);
    } catch (const FileReadError& e) {
        throw SafetensorsError(e.what());
    }
    auto storage = std::make_shared<Storage>();
    storage->size = static_cast<std::size_t>(fileSize);
    if (storage->size > 0) {
        void* m = ::mmap(nullptr, storage->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            ::close(fd);
            fail(path, std::string("cannot map: ") + std::strerror(errno));
        }
        storage->mapping = m;
        storage->base = static_cast<const std::byte*>(m);
    }
    ::close(fd);
    return parse(std::move(storage), path);
}

SafetensorsReader SafetensorsReader::fromBytes(std::span<const std::byte> bytes,
                                               const std::string& label) {
    auto storage = std::make_shared<Storage>();
    storage->owned.assign(bytes.begin(), bytes.end());
    storage->base = storage->owned.data();
    storage->size = storage->owned.size();
    return parse(std::move(storage), label);
}

SafetensorsReader SafetensorsReader::parse(std::shared_ptr<Storage> storage,
                                           const std::string& label) {
    if (storage->size < 8)
        fail(label, "file is " + std::to_string(storage->size) +
                        " bytes, shorter than the 8-byte header length");
    std::uint64_t headerLen = 0;
    for (int i = 7; i >= 0; --i)
        headerLen = (headerLen << 8) | std::to_integer<std::uint8_t>(storage->base[i]);
    if (headerLen > kMaxHeaderBytes)
        fail(label, "header length " + std::to_string(headerLen) + " exceeds the limit");
    if (headerLen > storage->size - 8)
        fail(label, "header length " + std::to_string(headerLen) + " runs past the end of the " +
                        std::to_string(storage->size) + "-byte file");
    const char* headerBegin = reinterpret_cast<const char*>(storage->base + 8);
    if (headerLen == 0 || headerBegin[0] != '{') fail(label, "header is not a JSON object");

    // Real headers nest 3 levels ({name: {shape: [...]}}). Without a limit a 100 MB header of
    // "[[[[..." builds ~50 M nested arrays (several GB) before any other check runs.
    constexpr int kMaxDepth = 16;
    auto limitDepth = [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
        if (depth > kMaxDepth)
            fail(label, "header nests deeper than " + std::to_string(kMaxDepth) + " levels");
        return true;
    };
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(headerBegin, headerBegin + headerLen, limitDepth);
    } catch (const nlohmann::json::exception& e) {
        fail(label, std::string("header is not valid JSON: ") + e.what());
    }
    if (!header.is_object()) fail(label, "header is not a JSON object");

    SafetensorsReader r;
    r.label_ = label;
    const std::size_t dataSize = storage->size - 8 - headerLen;
    for (auto it = header.begin(); it != header.end(); ++it) {
        const std::string& name = it.key();
        const auto& v = it.value();
        if (name == "__metadata__") {
            if (!v.is_object()) fail(label, "__metadata__ is not an object");
            for (auto m = v.begin(); m != v.end(); ++m) {
                if (!m.value().is_string())
                    fail(label, "__metadata__ value '" + m.key() + "' is not a string");
                r.metadata_[m.key()] = m.value().get<std::string>();
            }
            continue;
        }
        if (!v.is_object()) fail(label, "tensor '" + name + "': entry is not an object");
        TensorInfo info;
        info.name = name;
        const auto dt = v.find("dtype");
        if (dt == v.end() || !dt->is_string()) fail(label, "tensor '" + name + "': missing dtype");
        const std::string dtName = dt->get<std::string>();
        std::size_t elemSize = 0;
        for (const auto& e : kDTypes)
            if (dtName == e.name) {
                info.dtype = e.dtype;
                elemSize = e.size;
            }
        if (elemSize == 0) fail(label, "tensor '" + name + "': unsupported dtype '" + dtName + "'");
        const auto sh = v.find("shape");
        if (sh == v.end() || !sh->is_array()) fail(label, "tensor '" + name + "': missing shape");
        // Shapes are int64 downstream (TensorInfo::numel(), torch sizes and strides). The
        // product of max(dim, 1) must fit int64: it bounds every partial product, so numel()
        // cannot overflow even when a zero dim makes the byte count 0 (docs/fuzzing.md:
        // [2, 2^62, 0] passed a uint64 check but overflowed int64 in numel()).
        constexpr std::uint64_t kMaxDim = std::numeric_limits<int64_t>::max();
        std::uint64_t numel = 1;
        std::uint64_t extent = 1;
        for (const auto& d : *sh) {
            if (!d.is_number_unsigned())
                fail(label, "tensor '" + name + "': shape entries must be non-negative integers");
            const std::uint64_t dim = d.get<std::uint64_t>();
            const std::uint64_t atLeastOne = std::max<std::uint64_t>(dim, 1);
            if (extent > kMaxDim / atLeastOne)
                fail(label, "tensor '" + name + "': shape overflows");
            extent *= atLeastOne;
            numel *= dim;
            info.shape.push_back(static_cast<int64_t>(dim));
        }
        const auto off = v.find("data_offsets");
        if (off == v.end() || !off->is_array() || off->size() != 2 ||
            !(*off)[0].is_number_unsigned() || !(*off)[1].is_number_unsigned())
            fail(label, "tensor '" + name + "': data_offsets must be two non-negative integers");
        const std::uint64_t b = (*off)[0].get<std::uint64_t>();
        const std::uint64_t e = (*off)[1].get<std::uint64_t>();
        if (b > e || e > dataSize)
            fail(label, "tensor '" + name + "': data_offsets [" + std::to_string(b) + ", " +
                            std::to_string(e) + "] lie outside the " + std::to_string(dataSize) +
                            "-byte data area");
        if (numel > std::numeric_limits<std::uint64_t>::max() / elemSize ||
            numel * elemSize != e - b)
            fail(label, "tensor '" + name + "': " + std::to_string(e - b) +
                            " bytes do not match shape x " + dtName + " size");
        info.begin = static_cast<std::size_t>(b);
        info.nbytes = static_cast<std::size_t>(e - b);
        r.index_[name] = r.tensors_.size();
        r.tensors_.push_back(std::move(info));
    }
    // No two tensors may share bytes.
    std::vector<const TensorInfo*> byOffset;
    for (const auto& t : r.tensors_)
        if (t.nbytes > 0) byOffset.push_back(&t);
    std::sort(byOffset.begin(), byOffset.end(),
              [](const TensorInfo* a, const TensorInfo* b) { return a->begin < b->begin; });
    for (std::size_t i = 1; i < byOffset.size(); ++i)
        if (byOffset[i]->begin < byOffset[i - 1]->begin + byOffset[i - 1]->nbytes)
            fail(label,
                 "tensors '" + byOffset[i - 1]->name + "' and '" + byOffset[i]->name + "' overlap");
    r.dataBases_ = {storage->base + 8 + headerLen};
    r.storages_ = {std::move(storage)};
    return r;
}

const TensorInfo* SafetensorsReader::find(const std::string& name) const {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &tensors_[it->second];
}

const TensorInfo& SafetensorsReader::at(const std::string& name) const {
    const TensorInfo* t = find(name);
    if (!t) fail(label_, "has no tensor '" + name + "'");
    return *t;
}

std::span<const std::byte> SafetensorsReader::data(const TensorInfo& info) const {
    return {dataBases_.at(info.shard) + info.begin, info.nbytes};
}

void SafetensorsReader::release(const TensorInfo& info) const {
    if (info.shard >= storages_.size() || !storages_[info.shard]->mapping || info.nbytes == 0)
        return;
    // Only the pages wholly inside the tensor: a neighbour may still be needed.
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto begin = reinterpret_cast<std::uintptr_t>(dataBases_[info.shard] + info.begin);
    const auto end = begin + info.nbytes;
    const auto from = (begin + page - 1) / page * page, to = end / page * page;
    if (to > from) ::madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
}

void SafetensorsWriter::add(const std::string& name, DType dtype, std::vector<int64_t> shape,
                            const void* data, std::size_t nbytes) {
    if (name.empty() || name == "__metadata__")
        throw SafetensorsError("invalid tensor name '" + name + "'");
    for (const auto& e : entries_)
        if (e.name == name) throw SafetensorsError("tensor '" + name + "' added twice");
    int64_t numel = 1;
    for (int64_t d : shape) {
        if (d < 0) throw SafetensorsError("tensor '" + name + "': negative dimension");
        numel *= d;
    }
    if (static_cast<std::size_t>(numel) * dtypeSize(dtype) != nbytes)
        throw SafetensorsError("tensor '" + name + "': " + std::to_string(nbytes) +
                               " bytes do not match its shape");
    Entry entry{name, dtype, std::move(shape), {}};
    const auto* p = static_cast<const std::byte*>(data);
    entry.bytes.assign(p, p + nbytes);
    entries_.push_back(std::move(entry));
}

void SafetensorsWriter::setMetadata(const std::string& key, const std::string& value) {
    metadata_[key] = value;
}

std::vector<std::byte> SafetensorsWriter::serialize() const {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata_.empty()) header["__metadata__"] = metadata_;
    std::size_t offset = 0;
    for (const auto& e : entries_) {
        header[e.name] = {{"dtype", dtypeName(e.dtype)},
                          {"shape", e.shape},
                          {"data_offsets", {offset, offset + e.bytes.size()}}};
        offset += e.bytes.size();
    }
    std::string text = header.dump();
    while ((text.size() + 8) % 8 != 0) // keep the data area 8-byte aligned, as the spec advises
        text.push_back(' ');
    std::vector<std::byte> out(8 + text.size() + offset);
    std::uint64_t len = text.size();
    for (int i = 0; i < 8; ++i)
        out[i] = static_cast<std::byte>((len >> (8 * i)) & 0xff);
    std::memcpy(out.data() + 8, text.data(), text.size());
    std::size_t pos = 8 + text.size();
    for (const auto& e : entries_) {
        if (!e.bytes.empty()) std::memcpy(out.data() + pos, e.bytes.data(), e.bytes.size());
        pos += e.bytes.size();
    }
    return out;
}

void SafetensorsWriter::write(const std::string& path) const {
    const auto bytes = serialize();
    writeBytesAtomically(path, bytes);
}

} // namespace moodsteer::models
