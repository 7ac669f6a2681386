// Atomic file output: everything the project writes (weights, audio, sidecars, reports) goes
// to a temporary file in the destination folder first and is renamed over the target only
// once complete and flushed, so a crash or a full disk never leaves a half-written file.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>

namespace moodsteer::models {

/// Calls `produce(tmpPath)` to write a temporary file next to `path`, fsyncs it and renames
/// it to `path`. If `produce` throws, or flushing/renaming fails, the temporary file is
/// removed and a std::runtime_error naming `path` is thrown. With `overwrite` false an
/// existing `path` is an error (checked before and, via link(), at the final step).
void writeFileAtomically(const std::string& path,
                         const std::function<void(const std::string& tmpPath)>& produce,
                         bool overwrite = true);

/// Writes `bytes` to `path` atomically.
void writeBytesAtomically(const std::string& path, std::span<const std::byte> bytes,
                          bool overwrite = true);
void writeTextAtomically(const std::string& path, const std::string& text, bool overwrite = true);

} // namespace moodsteer::models
