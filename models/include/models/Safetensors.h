// Reader and writer for the safetensors format (https://github.com/huggingface/safetensors).
// The reader is fed untrusted files: it validates the header length, the JSON, every dtype,
// shape and offset (inside the data area, no overlaps, size = shape x dtype size) before any
// tensor data is touched. Torch-free so that the fuzzer and core/ tools can use it directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace moodsteer::models {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

/// Size in bytes of one element of `dtype`.
std::size_t dtypeSize(DType dtype);
/// The safetensors spelling ("F32", "BF16", ...).
const char* dtypeName(DType dtype);

/// Thrown for every malformed or unreadable safetensors file; the message names the file and
/// the tensor or header field at fault.
class SafetensorsError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct TensorInfo {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    std::size_t begin = 0; ///< offset into the data area (of its shard)
    std::size_t nbytes = 0;
    std::size_t shard = 0; ///< which file of a sharded checkpoint holds it (0 for one file)

    int64_t numel() const;
};

class SafetensorsReader {
  public:
    /// Memory-maps `path` and validates it completely.
    static SafetensorsReader open(const std::string& path);
    /// Validates an in-memory file image (copied); `label` names it in errors.
    static SafetensorsReader fromBytes(std::span<const std::byte> bytes,
                                       const std::string& label = "<memory>");
    /// A sharded checkpoint as one reader: `indexPath` is transformers' `*.safetensors.index.json`
    /// ({"weight_map": {tensor: shard file name}}), the shards plain names in the index's folder.
    /// Each shard is memory-mapped and validated like open(); every tensor of the map must be
    /// in its shard, and every tensor of a shard in the map. path() is the index.
    static SafetensorsReader openSharded(const std::string& indexPath);
    /// open() for a `.safetensors` file, openSharded() for a `.index.json`.
    static SafetensorsReader openAny(const std::string& path);
    /// The weights of a model folder: `<folder>/<stem>.safetensors` when present, else
    /// `<folder>/<stem>.safetensors.index.json`, else "" (stem: "model").
    static std::string weightsPathIn(const std::string& folder, const std::string& stem = "model");
    /// The shard files a weights path names (itself for one file), in index order.
    static std::vector<std::string> shardFilesOf(const std::string& path);
    /// The shard file names (plain names, first use order) of the index at `indexPath`, whatever
    /// the index file is called (a hub cache blob has a hash for a name). Throws
    /// SafetensorsError naming the index when it is unreadable or names a path.
    static std::vector<std::string> shardNamesInIndex(const std::string& indexPath);

    const std::string& path() const { return label_; }
    const std::vector<TensorInfo>& tensors() const { return tensors_; }
    const std::map<std::string, std::string>& metadata() const { return metadata_; }
    /// nullptr when absent.
    const TensorInfo* find(const std::string& name) const;
    /// Throws SafetensorsError naming the file when absent.
    const TensorInfo& at(const std::string& name) const;
    std::span<const std::byte> data(const TensorInfo& info) const;
    /// Tells the kernel that the tensor's bytes will not be read again (memory-mapped files:
    /// its whole pages leave the process's resident set; they are read again from the file if
    /// touched). Loading tensor by tensor with this keeps the mapped file out of peak memory.
    void release(const TensorInfo& info) const;

  private:
    struct Storage;
    static SafetensorsReader parse(std::shared_ptr<Storage> storage, const std::string& label);

    std::vector<std::shared_ptr<Storage>> storages_; // one per shard
    std::string label_;
    std::vector<TensorInfo> tensors_;
    std::map<std::string, std::size_t> index_;
    std::map<std::string, std::string> metadata_;
    std::vector<const std::byte*> dataBases_; // one per shard
};

/// Collects tensors and writes them atomically (temporary file in the same folder, fsync,
/// rename): a failed write (full disk, unwritable folder) throws and leaves no file behind.
class SafetensorsWriter {
  public:
    void add(const std::string& name, DType dtype, std::vector<int64_t> shape, const void* data,
             std::size_t nbytes);
    void setMetadata(const std::string& key, const std::string& value);
    void write(const std::string& path) const;
    /// The complete file image (header + data).
    std::vector<std::byte> serialize() const;

  private:
    struct Entry {
        std::string name;
        DType dtype;
        std::vector<int64_t> shape;
        std::vector<std::byte> bytes;
    };
    std::vector<Entry> entries_;
    std::map<std::string, std::string> metadata_;
};

} // namespace moodsteer::models
