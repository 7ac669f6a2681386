#include "models/SentencePieceTokenizer.h"

#include "models/BoundedRead.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <stdexcept>
#include <string_view>

namespace moodsteer::models {
namespace {

// The bridge's C interface (models/spm/SpmBridge.cpp, ABI version 2).
constexpr int kSpmAbiVersion = 2;
constexpr std::size_t kErrCap = 1024;
using IdSink = void (*)(void* ctx, int id);
using TextSink = void (*)(void* ctx, const char* text, std::size_t len);

struct SpmApi {
    int (*abiVersion)() = nullptr;
    void* (*loadSerialized)(const char* data, std::size_t len, char* err,
                            std::size_t errCap) = nullptr;
    void (*free)(void* handle) = nullptr;
    int (*pieceSize)(const void* handle) = nullptr;
    int (*eosId)(const void* handle) = nullptr;
    int (*padId)(const void* handle) = nullptr;
    int (*unkId)(const void* handle) = nullptr;
    int (*pieceToId)(const void* handle, const char* piece, std::size_t len) = nullptr;
    int (*idToPiece)(const void* handle, int id, TextSink sink, void* ctx) = nullptr;
    int (*encodeIds)(const void* handle, const char* text, std::size_t len, IdSink sink, void* ctx,
                     char* err, std::size_t errCap) = nullptr;
    int (*encodePieces)(const void* handle, const char* text, std::size_t len, TextSink sink,
                        void* ctx, char* err, std::size_t errCap) = nullptr;
    int (*decodeIds)(const void* handle, const int* ids, std::size_t count, TextSink sink,
                     void* ctx, char* err, std::size_t errCap) = nullptr;
};

std::vector<std::string> modulePaths() {
    std::vector<std::string> paths;
    if (const char* env = std::getenv("MOODSTEER_SPM_MODULE"); env && *env) paths.emplace_back(env);
#ifdef MOODSTEER_SPM_MODULE
    paths.emplace_back(MOODSTEER_SPM_MODULE);
#endif
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const auto dir = exe.parent_path();
        paths.push_back((dir / ".." / "lib" / "moodsteer_spm.so").lexically_normal().string());
        paths.push_back((dir / "moodsteer_spm.so").string());
    }
    std::vector<std::string> unique; // the compile-time path is often also <exe>/../lib
    for (const auto& p : paths)
        if (std::find(unique.begin(), unique.end(), p) == unique.end()) unique.push_back(p);
    return unique;
}

template <typename Fn>
void bind(void* module, const std::string& path, const char* symbol, Fn& fn) {
    void* p = ::dlsym(module, symbol);
    if (!p)
        throw std::runtime_error("SentencePiece module '" + path + "' lacks the symbol '" + symbol +
                                 "' (stale build?)");
    fn = reinterpret_cast<Fn>(p);
}

SpmApi loadApi() {
    std::string tried;
    for (const auto& path : modulePaths()) {
        // libsentencepiece must resolve its bundled protobuf, not LibTorch's. DEEPBIND does
        // that in the process's own namespace; sanitizers refuse DEEPBIND, so sanitized builds
        // (MOODSTEER_SPM_DLMOPEN) load the uninstrumented module into a namespace of its own.
#ifdef MOODSTEER_SPM_DLMOPEN
        void* module = ::dlmopen(LM_ID_NEWLM, path.c_str(), RTLD_NOW | RTLD_LOCAL);
#else
        void* module = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
#endif
        if (!module) {
            const char* err = ::dlerror();
            std::string why = err ? err : "cannot load";
            if (why.rfind(path + ": ", 0) == 0) // dlerror() usually repeats the path
                why.erase(0, path.size() + 2);
            tried += "\n  " + path + ": " + why;
            continue;
        }
        // The module stays loaded for the life of the process: unloading libsentencepiece
        // while static objects of its protobuf may still run is not worth the risk.
        SpmApi api;
        bind(module, path, "spm_abi_version", api.abiVersion);
        if (api.abiVersion() != kSpmAbiVersion)
            throw std::runtime_error("SentencePiece module '" + path + "' has ABI version " +
                                     std::to_string(api.abiVersion()) + ", expected " +
                                     std::to_string(kSpmAbiVersion) + " (stale build?)");
        bind(module, path, "spm_load_serialized", api.loadSerialized);
        bind(module, path, "spm_free", api.free);
        bind(module, path, "spm_get_piece_size", api.pieceSize);
        bind(module, path, "spm_eos_id", api.eosId);
        bind(module, path, "spm_pad_id", api.padId);
        bind(module, path, "spm_unk_id", api.unkId);
        bind(module, path, "spm_piece_to_id", api.pieceToId);
        bind(module, path, "spm_id_to_piece", api.idToPiece);
        bind(module, path, "spm_encode_ids", api.encodeIds);
        bind(module, path, "spm_encode_pieces", api.encodePieces);
        bind(module, path, "spm_decode_ids", api.decodeIds);
        return api;
    }
    throw std::runtime_error(
        "cannot load the SentencePiece module moodsteer_spm.so (set MOODSTEER_SPM_MODULE to "
        "its path); tried:" +
        tried);
}

const SpmApi& spm() {
    // A throwing initialiser leaves the static uninitialised, so a later call retries.
    static const SpmApi api = loadApi();
    return api;
}

// Sinks run inside the bridge's C frames: they must not throw, so they record failure instead.
struct IdCollector {
    std::vector<int64_t>* out;
    bool failed = false;
};
void collectId(void* ctx, int id) {
    auto* c = static_cast<IdCollector*>(ctx);
    try {
        c->out->push_back(id);
    } catch (...) {
        c->failed = true;
    }
}

struct TextCollector {
    std::vector<std::string>* out;
    bool failed = false;
};
void collectText(void* ctx, const char* text, std::size_t len) {
    auto* c = static_cast<TextCollector*>(ctx);
    try {
        c->out->emplace_back(text, len);
    } catch (...) {
        c->failed = true;
    }
}

// Python's str.isspace() set, which T5Tokenizer's lstrip/rstrip of sentinels uses.
bool isPythonSpace(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

// Decodes the UTF-8 code point at s[pos] (length in `len`); invalid bytes decode as U+FFFD.
char32_t decodeAt(std::string_view s, std::size_t pos, std::size_t& len) {
    const auto b0 = static_cast<unsigned char>(s[pos]);
    int n = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || pos + n > s.size()) {
        len = 1;
        return 0xFFFD;
    }
    char32_t c = n == 1 ? b0 : (b0 & (0x7F >> n));
    for (int i = 1; i < n; ++i) {
        const auto b = static_cast<unsigned char>(s[pos + i]);
        if ((b & 0xC0) != 0x80) {
            len = 1;
            return 0xFFFD;
        }
        c = (c << 6) | (b & 0x3F);
    }
    len = static_cast<std::size_t>(n);
    return c;
}

std::string lstripPython(const std::string& s) {
    std::size_t pos = 0;
    while (pos < s.size()) {
        std::size_t len = 0;
        if (!isPythonSpace(decodeAt(s, pos, len))) break;
        pos += len;
    }
    return s.substr(pos);
}

std::string rstripPython(const std::string& s) {
    std::size_t end = 0; // end of the last non-space code point
    for (std::size_t pos = 0; pos < s.size();) {
        std::size_t len = 0;
        const bool space = isPythonSpace(decodeAt(s, pos, len));
        pos += len;
        if (!space) end = pos;
    }
    return s.substr(0, end);
}

} // namespace

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::load(const std::string& modelPath) {
    // Read here (regular files only, bounded) rather than by libsentencepiece, which would block
    // on a FIFO and read a file of any size.
    const std::string bytes = readFileBounded(modelPath, kTokenizerModelFile);
    const SpmApi& api = spm();
    char err[kErrCap] = {};
    void* handle = api.loadSerialized(bytes.data(), bytes.size(), err, sizeof err);
    if (!handle)
        throw std::runtime_error("cannot load SentencePiece model '" + modelPath + "': " + err);
    std::unique_ptr<SentencePieceTokenizer> t(new SentencePieceTokenizer());
    t->handle_ = handle;
    t->modelPath_ = modelPath;
    t->pieceSize_ = api.pieceSize(handle);
    t->eosId_ = api.eosId(handle);
    t->padId_ = api.padId(handle);
    t->unkId_ = api.unkId(handle);
    return t;
}

SentencePieceTokenizer::~SentencePieceTokenizer() {
    if (handle_) spm().free(handle_);
}

std::vector<int64_t> SentencePieceTokenizer::encodeIds(const std::string& text) const {
    std::vector<int64_t> ids;
    IdCollector sink{&ids};
    char err[kErrCap] = {};
    if (spm().encodeIds(handle_, text.data(), text.size(), collectId, &sink, err, sizeof err) != 0)
        throw std::runtime_error("SentencePiece model '" + modelPath_ +
                                 "': encoding failed: " + err);
    if (sink.failed) throw std::bad_alloc();
    return ids;
}

std::vector<std::string> SentencePieceTokenizer::encodePieces(const std::string& text) const {
    std::vector<std::string> pieces;
    TextCollector sink{&pieces};
    char err[kErrCap] = {};
    if (spm().encodePieces(handle_, text.data(), text.size(), collectText, &sink, err,
                           sizeof err) != 0)
        throw std::runtime_error("SentencePiece model '" + modelPath_ +
                                 "': encoding failed: " + err);
    if (sink.failed) throw std::bad_alloc();
    return pieces;
}

std::string SentencePieceTokenizer::decode(const std::vector<int64_t>& ids) const {
    std::vector<int> narrow;
    narrow.reserve(ids.size());
    for (int64_t id : ids) {
        if (id < 0 || id >= pieceSize_)
            throw std::runtime_error("SentencePiece model '" + modelPath_ + "': cannot decode id " +
                                     std::to_string(id) + ", outside [0, " +
                                     std::to_string(pieceSize_) + ")");
        narrow.push_back(static_cast<int>(id));
    }
    std::vector<std::string> text;
    TextCollector sink{&text};
    char err[kErrCap] = {};
    if (spm().decodeIds(handle_, narrow.data(), narrow.size(), collectText, &sink, err,
                        sizeof err) != 0)
        throw std::runtime_error("SentencePiece model '" + modelPath_ +
                                 "': decoding failed: " + err);
    if (sink.failed) throw std::bad_alloc();
    return text.empty() ? std::string() : text.front();
}

std::string SentencePieceTokenizer::idToPiece(int64_t id) const {
    std::vector<std::string> piece;
    TextCollector sink{&piece};
    if (id < 0 || id >= pieceSize_ ||
        spm().idToPiece(handle_, static_cast<int>(id), collectText, &sink) != 0 || piece.empty())
        throw std::runtime_error("SentencePiece model '" + modelPath_ + "': id " +
                                 std::to_string(id) + " is outside [0, " +
                                 std::to_string(pieceSize_) + ")");
    return piece.front();
}

int64_t SentencePieceTokenizer::pieceToId(const std::string& piece) const {
    const int id = spm().pieceToId(handle_, piece.data(), piece.size());
    if (id < 0)
        throw std::runtime_error("SentencePiece model '" + modelPath_ + "': cannot look up piece");
    return id;
}

SentencePieceTokenizer::SpecialMatch SentencePieceTokenizer::matchSpecial(const std::string& text,
                                                                          std::size_t pos) const {
    SpecialMatch m;
    if (text[pos] != '<') return m;
    const std::string_view rest = std::string_view(text).substr(pos);
    // eos/pad/unk are special only when the model really has them as pieces, as in
    // T5Tokenizer, whose added-token ids come from the SentencePiece vocabulary.
    for (const char* name : {"</s>", "<pad>", "<unk>"}) {
        const std::string_view n(name);
        if (rest.substr(0, n.size()) == n) {
            const int64_t id = pieceToId(std::string(n));
            if (idToPiece(id) == n) {
                m.length = n.size();
                m.id = id;
            }
            return m;
        }
    }
    // Sentinels: "<extra_id_N>" exactly as Python formats N (no leading zeros), N < 100.
    constexpr std::string_view kSentinel = "<extra_id_";
    if (rest.substr(0, kSentinel.size()) != kSentinel) return m;
    std::size_t i = kSentinel.size();
    int64_t n = 0;
    const std::size_t digitsBegin = i;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9' && i - digitsBegin < 4)
        n = n * 10 + (rest[i++] - '0');
    const std::size_t digits = i - digitsBegin;
    if (digits == 0 || i >= rest.size() || rest[i] != '>' || n >= extraIds() ||
        (digits > 1 && rest[digitsBegin] == '0'))
        return m;
    m.length = i + 1;
    m.id = pieceSize_ + extraIds() - 1 - n;
    m.stripsSpaces = true;
    return m;
}

std::vector<int64_t> SentencePieceTokenizer::encodeT5(const std::string& text) const {
    // Split as transformers' added-token trie does (leftmost match; no token is a prefix of
    // another), keeping each special token's id.
    struct Chunk {
        std::string text;
        SpecialMatch special;
    };
    std::vector<Chunk> chunks;
    std::size_t start = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        const SpecialMatch m = matchSpecial(text, pos);
        if (m.length == 0) {
            ++pos;
            continue;
        }
        if (pos > start) chunks.push_back({text.substr(start, pos - start), {}});
        chunks.push_back({text.substr(pos, m.length), m});
        pos += m.length;
        start = pos;
    }
    if (start < text.size()) chunks.push_back({text.substr(start), {}});

    // Sentinels are AddedToken(lstrip=True, rstrip=True): they eat whitespace of both neighbours.
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        if (!chunks[i].special.stripsSpaces) continue;
        if (i + 1 < chunks.size()) chunks[i + 1].text = lstripPython(chunks[i + 1].text);
        if (i > 0) chunks[i - 1].text = rstripPython(chunks[i - 1].text);
    }

    std::vector<int64_t> ids;
    for (const auto& c : chunks) {
        if (c.special.length > 0) {
            ids.push_back(c.special.id);
        } else if (!c.text.empty()) {
            const auto part = encodeIds(c.text);
            ids.insert(ids.end(), part.begin(), part.end());
        }
    }
    // T5Tokenizer._add_eos_if_not_present.
    const int64_t eos = pieceToId("</s>");
    if (idToPiece(eos) != "</s>")
        throw std::runtime_error("SentencePiece model '" + modelPath_ +
                                 "' has no '</s>' piece, so it is not a T5 vocabulary");
    if (ids.empty() || ids.back() != eos) ids.push_back(eos);
    return ids;
}

} // namespace moodsteer::models
