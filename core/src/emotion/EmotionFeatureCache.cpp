#include "core/emotion/EmotionFeatureCache.h"

#include "core/io/AtomicWrite.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace moodsteer {
namespace {

constexpr char kMagic[8] = {'M', 'S', 'E', 'F', 'C', '0', '0', '1'};

std::uint64_t fnv1a(const char* p, std::size_t n, std::uint64_t h = 1469598103934665603ull) {
    for (std::size_t i = 0; i < n; ++i) {
        h ^= static_cast<unsigned char>(p[i]);
        h *= 1099511628211ull;
    }
    return h;
}

std::string hex(std::uint64_t h) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

template <class T> void put(std::string& out, const T& v) {
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

template <class T> bool take(std::ifstream& in, T& v) {
    return static_cast<bool>(in.read(reinterpret_cast<char*>(&v), sizeof v));
}

} // namespace

EmotionFeatureCache::EmotionFeatureCache(std::string dir) : dir_(std::move(dir)) {
    if (dir_.empty()) {
        const char* xdg = std::getenv("XDG_CACHE_HOME");
        const char* home = std::getenv("HOME");
        const std::string base = xdg && *xdg ? xdg : std::string(home ? home : "/tmp") + "/.cache";
        dir_ = base + "/moodsteer/emotion-features";
    }
}

std::string EmotionFeatureCache::contentHash(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read '" + path + "' to hash it");
    std::uint64_t h = 1469598103934665603ull;
    std::vector<char> buf(1 << 16);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        h = fnv1a(buf.data(), static_cast<std::size_t>(in.gcount()), h);
    }
    return hex(h);
}

std::string EmotionFeatureCache::entryPath(const std::string& audioPath,
                                           const std::string& signature) const {
    const std::string key =
        contentHash(audioPath) + "-" + hex(fnv1a(signature.data(), signature.size()));
    return (std::filesystem::path(dir_) / (key + ".feat")).string();
}

std::optional<WindowedFeatures> EmotionFeatureCache::load(const std::string& audioPath,
                                                          const std::string& signature) const {
    std::ifstream in(entryPath(audioPath, signature), std::ios::binary);
    if (!in) return std::nullopt;
    char magic[8];
    if (!in.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0) return std::nullopt;
    std::uint32_t sigLen = 0, windows = 0, dims = 0;
    if (!take(in, sigLen) || sigLen > 4096) return std::nullopt;
    std::string sig(sigLen, '\0');
    if (!in.read(sig.data(), sigLen) || sig != signature) return std::nullopt;
    WindowedFeatures wf;
    if (!take(in, wf.integratedLufs) || !take(in, wf.tempoBpm) || !take(in, windows) ||
        !take(in, dims) || windows == 0 || windows > 100000 || dims == 0 || dims > 100000)
        return std::nullopt;
    for (std::uint32_t w = 0; w < windows; ++w) {
        double b = 0, e = 0;
        std::vector<float> f(dims);
        if (!take(in, b) || !take(in, e) ||
            !in.read(reinterpret_cast<char*>(f.data()), dims * sizeof(float)))
            return std::nullopt;
        wf.startSeconds.push_back(b);
        wf.endSeconds.push_back(e);
        wf.features.push_back(std::move(f));
    }
    return wf;
}

void EmotionFeatureCache::store(const std::string& audioPath, const std::string& signature,
                                const WindowedFeatures& wf) const {
    std::string out(kMagic, 8);
    put(out, static_cast<std::uint32_t>(signature.size()));
    out += signature;
    put(out, wf.integratedLufs);
    put(out, wf.tempoBpm);
    put(out, static_cast<std::uint32_t>(wf.features.size()));
    put(out, static_cast<std::uint32_t>(wf.features.empty() ? 0 : wf.features[0].size()));
    for (std::size_t w = 0; w < wf.features.size(); ++w) {
        put(out, wf.startSeconds[w]);
        put(out, wf.endSeconds[w]);
        out.append(reinterpret_cast<const char*>(wf.features[w].data()),
                   wf.features[w].size() * sizeof(float));
    }
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec)
        throw std::runtime_error("cannot create the feature cache '" + dir_ + "': " + ec.message());
    writeTextFileAtomically(entryPath(audioPath, signature), out);
}

} // namespace moodsteer
