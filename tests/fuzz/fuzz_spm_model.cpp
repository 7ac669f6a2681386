// libFuzzer target for the SentencePiece model path: the bridge's spm_load_serialized (what
// SentencePieceTokenizer::load calls with the bounded file content) on any bytes, then encode
// and decode with whatever loaded. The bridge must return an error, never crash or throw
// across its C boundary. The bridge source is compiled into this binary (no LibTorch here, so
// no protobuf clash).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" {
using spm_id_sink = void (*)(void* ctx, int id);
using spm_text_sink = void (*)(void* ctx, const char* text, std::size_t len);
void* spm_load_serialized(const char* data, std::size_t len, char* err, std::size_t errCap);
void spm_free(void* handle);
int spm_get_piece_size(const void* handle);
int spm_id_to_piece(const void* handle, int id, spm_text_sink sink, void* ctx);
int spm_encode_ids(const void* handle, const char* text, std::size_t len, spm_id_sink sink,
                   void* ctx, char* err, std::size_t errCap);
int spm_decode_ids(const void* handle, const int* ids, std::size_t count, spm_text_sink sink,
                   void* ctx, char* err, std::size_t errCap);
}

namespace {
void collectId(void* ctx, int id) {
    static_cast<std::vector<int>*>(ctx)->push_back(id);
}
void collectText(void* ctx, const char* text, std::size_t len) {
    static_cast<std::string*>(ctx)->assign(text, len);
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    char err[1024] = {};
    void* h = spm_load_serialized(reinterpret_cast<const char*>(data), size, err, sizeof err);
    if (!h) {
        if (err[0] == '\0') std::abort(); // a failure must say why
        return 0;
    }
    const int pieces = spm_get_piece_size(h);
    if (pieces <= 0) std::abort();
    std::string piece;
    for (int id = 0; id < pieces && id < 512; ++id)
        if (spm_id_to_piece(h, id, collectText, &piece) != 0) std::abort();
    if (spm_id_to_piece(h, pieces, collectText, &piece) == 0) std::abort(); // out of range
    const std::string text = "calm jazz with \xe2\x96\x81 piano, 120 bpm <extra_id_0> \xff\xfe";
    std::vector<int> ids;
    if (spm_encode_ids(h, text.data(), text.size(), collectId, &ids, err, sizeof err) == 0) {
        std::string back;
        (void)spm_decode_ids(h, ids.data(), ids.size(), collectText, &back, err, sizeof err);
    }
    const int bad[2] = {-1, pieces};
    std::string back;
    if (spm_decode_ids(h, bad, 2, collectText, &back, err, sizeof err) == 0) std::abort();
    spm_free(h);
    return 0;
}
