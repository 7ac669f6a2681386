#include "hub/ContentHash.h"

#include <openssl/evp.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <vector>

namespace moodsteer::hub {
namespace {

using Ctx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

std::string hex(const unsigned char* d, unsigned n) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (unsigned i = 0; i < n; ++i) {
        s += digits[d[i] >> 4];
        s += digits[d[i] & 15];
    }
    return s;
}

std::string hashFile(const EVP_MD* md, const std::string& path, const std::string& prefix) {
    std::unique_ptr<FILE, decltype(&std::fclose)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) throw std::runtime_error("cannot read '" + path + "'");
    Ctx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    EVP_DigestInit_ex(ctx.get(), md, nullptr);
    if (!prefix.empty()) EVP_DigestUpdate(ctx.get(), prefix.data(), prefix.size());
    std::vector<unsigned char> buf(1 << 20);
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0)
        EVP_DigestUpdate(ctx.get(), buf.data(), n);
    if (std::ferror(f.get())) throw std::runtime_error("read error in '" + path + "'");
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx.get(), out, &len);
    return hex(out, len);
}

} // namespace

std::string sha256OfFile(const std::string& path) {
    return hashFile(EVP_sha256(), path, "");
}

std::string gitBlobSha1OfFile(const std::string& path) {
    const auto size = std::filesystem::file_size(path);
    std::string prefix = "blob " + std::to_string(size);
    prefix.push_back('\0');
    return hashFile(EVP_sha1(), path, prefix);
}

std::string sha256OfText(const std::string& text) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_Digest(text.data(), text.size(), out, &len, EVP_sha256(), nullptr);
    return hex(out, len);
}

bool isHexDigest(const std::string& s, std::size_t digits) {
    if (s.size() != digits) return false;
    for (char c : s)
        if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

std::string hashLike(const std::string& etag, const std::string& path) {
    if (isHexDigest(etag, 64)) return sha256OfFile(path);
    if (isHexDigest(etag, 40)) return gitBlobSha1OfFile(path);
    return "";
}

} // namespace moodsteer::hub
