// Hashes of files as the Hugging Face hub names its blobs: the sha256 of an LFS file (64 hex
// digits) or the git blob sha1 of a small file (40 hex digits, "blob <size>\0" + content).
#pragma once

#include <cstdint>
#include <string>

namespace moodsteer::hub {

/// Lower-case hex sha256 of a file's content. Throws std::runtime_error naming the file.
std::string sha256OfFile(const std::string& path);
/// Lower-case hex git blob sha1 of a file (what `git hash-object` prints).
std::string gitBlobSha1OfFile(const std::string& path);
/// The hash of `path` in the form of `etag` (sha256 for 64 digits, git sha1 for 40), or ""
/// when the etag is neither (then the content cannot be checked).
std::string hashLike(const std::string& etag, const std::string& path);
/// sha256 of a string, hex.
std::string sha256OfText(const std::string& text);
bool isHexDigest(const std::string& s, std::size_t digits);

} // namespace moodsteer::hub
