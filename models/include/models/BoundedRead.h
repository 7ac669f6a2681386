// Reading a user's file safely: refuse anything that is not a regular file before opening it
// for reading (a FIFO would block open() forever, /dev/zero would never end), and bound how
// much is read per kind of file, so that no input can make a reader hang or grow without end.
// Every error names the file and the kind of file it was meant to be.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace moodsteer::models {

class FileReadError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// What a file is for (named in errors) and the most bytes the project reads from one.
struct FileKind {
    const char* name;
    std::uint64_t maxBytes;
};

// Limits: generous multiples of the largest real file of each kind (a recipe is ~1 KB, a
// model config ~5 KB, musicgen's spiece.model 0.8 MB, a 10,000-clip label CSV ~1 MB).
inline constexpr FileKind kRecipeFile{"recipe", 1ull << 20};
inline constexpr FileKind kJsonConfigFile{"JSON config", 16ull << 20};
inline constexpr FileKind kCsvFile{"CSV file", 64ull << 20};
inline constexpr FileKind kTokenizerModelFile{"SentencePiece model", 64ull << 20};
inline constexpr FileKind kClassifierFile{"classifier", 64ull << 20};
inline constexpr FileKind kTextFile{"text file", 16ull << 20};

/// Opens `path` read-only (O_CLOEXEC) if and only if it is a regular file; the check is made
/// on the opened descriptor (O_NONBLOCK, so a FIFO cannot block the open) and the descriptor
/// is then switched back to blocking. Returns the descriptor; the caller closes it. `sizeOut`
/// receives the file's size. Throws FileReadError ("<kind> 'path' is a FIFO, not a regular
/// file", "... does not exist", ...).
int openRegularFile(const std::string& path, const FileKind& kind,
                    std::uint64_t* sizeOut = nullptr);

/// The whole content of the regular file `path`, at most kind.maxBytes bytes (also for files
/// whose reported size is wrong, as in /proc); throws FileReadError naming the file above it.
std::string readFileBounded(const std::string& path, const FileKind& kind);

/// Parses JSON text, refusing nesting deeper than `maxDepth` (std::runtime_error) before it is
/// built: nlohmann's DOM costs ~100 bytes per level, so 1 MB of "[[[[" would take 100 MB.
/// Parse errors throw nlohmann::json::parse_error as json::parse does.
nlohmann::json parseJsonBounded(const std::string& text, int maxDepth = 32);

/// "1.5 MB", "64 MB", "312 bytes": sizes in errors.
std::string describeByteCount(std::uint64_t bytes);

} // namespace moodsteer::models
