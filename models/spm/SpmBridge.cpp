// C-ABI bridge around libsentencepiece, built as the MODULE moodsteer_spm.so.
//
// Why a module: Debian's libsentencepiece bundles protobuf 3.14 while LibTorch loads the system
// protobuf 3.21; linking both into one image crashes before main(). SentencePieceTokenizer
// dlopen()s this module with RTLD_LOCAL | RTLD_DEEPBIND so libsentencepiece resolves its own
// protobuf symbols, and talks to it only through the plain C functions below.
//
// Contract (ABI version 2, mirrored in models/src/SentencePieceTokenizer.cpp):
// - no C++ exception ever crosses this boundary; failures return an error code and write a
//   NUL-terminated message into the caller's `err` buffer (truncated to errCap);
// - strings are passed as (pointer, length), so text may contain NUL bytes;
// - variable-length results are delivered through caller-supplied sink callbacks, so no
//   memory is allocated in one image and freed in the other.
#include <sentencepiece_processor.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr int kAbiVersion = 2;

void writeError(char* err, std::size_t errCap, const std::string& message) {
    if (!err || errCap == 0) return;
    const std::size_t n = std::min(message.size(), errCap - 1);
    std::memcpy(err, message.data(), n);
    err[n] = '\0';
}

const sentencepiece::SentencePieceProcessor* processor(const void* handle) {
    return static_cast<const sentencepiece::SentencePieceProcessor*>(handle);
}

} // namespace

extern "C" {

using spm_id_sink = void (*)(void* ctx, int id);
using spm_text_sink = void (*)(void* ctx, const char* text, std::size_t len);

__attribute__((visibility("default"))) int spm_abi_version(void) {
    return kAbiVersion;
}

/// Loads a SentencePiece model file; nullptr (and a message in err) on failure.
__attribute__((visibility("default"))) void* spm_load(const char* path, char* err,
                                                      std::size_t errCap) {
    try {
        auto sp = std::make_unique<sentencepiece::SentencePieceProcessor>();
        const auto status = sp->Load(path ? path : "");
        if (!status.ok()) {
            writeError(err, errCap, status.ToString());
            return nullptr;
        }
        return sp.release();
    } catch (const std::exception& e) {
        writeError(err, errCap, e.what());
    } catch (...) {
        writeError(err, errCap, "unknown error while loading the SentencePiece model");
    }
    return nullptr;
}

/// Loads a SentencePiece model from its serialized bytes (the caller read the file, bounded);
/// nullptr (and a message in err) on failure. A model must have at least one piece.
__attribute__((visibility("default"))) void* spm_load_serialized(const char* data, std::size_t len,
                                                                 char* err, std::size_t errCap) {
    try {
        auto sp = std::make_unique<sentencepiece::SentencePieceProcessor>();
        const auto status = sp->LoadFromSerializedProto(std::string_view(data, len));
        if (!status.ok()) {
            writeError(err, errCap, status.ToString());
            return nullptr;
        }
        if (sp->GetPieceSize() <= 0) {
            writeError(err, errCap, "the model has no pieces");
            return nullptr;
        }
        return sp.release();
    } catch (const std::exception& e) {
        writeError(err, errCap, e.what());
    } catch (...) {
        writeError(err, errCap, "unknown error while loading the SentencePiece model");
    }
    return nullptr;
}

__attribute__((visibility("default"))) void spm_free(void* handle) {
    delete static_cast<sentencepiece::SentencePieceProcessor*>(handle);
}

__attribute__((visibility("default"))) int spm_get_piece_size(const void* handle) {
    return processor(handle)->GetPieceSize();
}

__attribute__((visibility("default"))) int spm_eos_id(const void* handle) {
    return processor(handle)->eos_id();
}
__attribute__((visibility("default"))) int spm_pad_id(const void* handle) {
    return processor(handle)->pad_id();
}
__attribute__((visibility("default"))) int spm_unk_id(const void* handle) {
    return processor(handle)->unk_id();
}
__attribute__((visibility("default"))) int spm_bos_id(const void* handle) {
    return processor(handle)->bos_id();
}

/// The id of a piece; the unk id for a piece that is not in the vocabulary.
__attribute__((visibility("default"))) int spm_piece_to_id(const void* handle, const char* piece,
                                                           std::size_t len) {
    try {
        return processor(handle)->PieceToId(std::string(piece, len));
    } catch (...) {
        return -1;
    }
}

/// Sends the piece of `id` to `sink`; returns non-zero when id is out of range.
__attribute__((visibility("default"))) int spm_id_to_piece(const void* handle, int id,
                                                           spm_text_sink sink, void* ctx) {
    const auto* sp = processor(handle);
    if (id < 0 || id >= sp->GetPieceSize()) return 1;
    try {
        const std::string& piece = sp->IdToPiece(id);
        sink(ctx, piece.data(), piece.size());
        return 0;
    } catch (...) {
        return 1;
    }
}

__attribute__((visibility("default"))) int spm_encode_ids(const void* handle, const char* text,
                                                          std::size_t len, spm_id_sink sink,
                                                          void* ctx, char* err,
                                                          std::size_t errCap) {
    try {
        std::vector<int> ids;
        const auto status = processor(handle)->Encode(std::string(text, len), &ids);
        if (!status.ok()) {
            writeError(err, errCap, status.ToString());
            return 1;
        }
        for (int id : ids)
            sink(ctx, id);
        return 0;
    } catch (const std::exception& e) {
        writeError(err, errCap, e.what());
    } catch (...) {
        writeError(err, errCap, "unknown error while encoding");
    }
    return 1;
}

__attribute__((visibility("default"))) int spm_encode_pieces(const void* handle, const char* text,
                                                             std::size_t len, spm_text_sink sink,
                                                             void* ctx, char* err,
                                                             std::size_t errCap) {
    try {
        std::vector<std::string> pieces;
        const auto status = processor(handle)->Encode(std::string(text, len), &pieces);
        if (!status.ok()) {
            writeError(err, errCap, status.ToString());
            return 1;
        }
        for (const auto& p : pieces)
            sink(ctx, p.data(), p.size());
        return 0;
    } catch (const std::exception& e) {
        writeError(err, errCap, e.what());
    } catch (...) {
        writeError(err, errCap, "unknown error while encoding");
    }
    return 1;
}

/// Decodes ids (each must be in [0, piece size)) to text delivered through `sink`.
__attribute__((visibility("default"))) int spm_decode_ids(const void* handle, const int* ids,
                                                          std::size_t count, spm_text_sink sink,
                                                          void* ctx, char* err,
                                                          std::size_t errCap) {
    try {
        const auto* sp = processor(handle);
        std::vector<int> v(ids, ids + count);
        for (int id : v)
            if (id < 0 || id >= sp->GetPieceSize()) {
                writeError(err, errCap,
                           "id " + std::to_string(id) + " is outside the vocabulary of " +
                               std::to_string(sp->GetPieceSize()) + " pieces");
                return 1;
            }
        std::string text;
        const auto status = sp->Decode(v, &text);
        if (!status.ok()) {
            writeError(err, errCap, status.ToString());
            return 1;
        }
        sink(ctx, text.data(), text.size());
        return 0;
    } catch (const std::exception& e) {
        writeError(err, errCap, e.what());
    } catch (...) {
        writeError(err, errCap, "unknown error while decoding");
    }
    return 1;
}

} // extern "C"
