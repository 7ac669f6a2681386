// SentencePiece tokenizer for MusicGen's T5 text encoder, matching transformers 4.35's
// T5Tokenizer (legacy mode, extra_ids = 100).
//
// libsentencepiece cannot be linked into a process that also loads LibTorch (their protobuf
// copies clash), so the library lives in the module moodsteer_spm.so, loaded once per process
// with dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND). Module lookup order: $MOODSTEER_SPM_MODULE,
// the build's own module (compile-time path), <exe dir>/../lib/moodsteer_spm.so,
// <exe dir>/moodsteer_spm.so.
//
// Thread safety: every method is const and may be called from several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace moodsteer::models {

class SentencePieceTokenizer {
  public:
    /// Loads a SentencePiece model (e.g. MusicGen's spiece.model). Throws std::runtime_error
    /// naming the file when it cannot be read or parsed, or naming the module paths tried when
    /// the SentencePiece bridge module cannot be loaded.
    static std::unique_ptr<SentencePieceTokenizer> load(const std::string& modelPath);

    ~SentencePieceTokenizer();
    SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
    SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

    /// Plain SentencePiece ids (no special tokens added).
    std::vector<int64_t> encodeIds(const std::string& text) const;
    /// Plain SentencePiece pieces (UTF-8, whitespace as U+2581).
    std::vector<std::string> encodePieces(const std::string& text) const;
    /// The ids transformers' T5Tokenizer (legacy, extra_ids = 100) gives: literal special-token
    /// text ("</s>", "<pad>", "<unk>", "<extra_id_N>") maps to its id, the text between them is
    /// encoded piece by piece, and "</s>" is appended unless the ids already end with it.
    std::vector<int64_t> encodeT5(const std::string& text) const;
    /// Text of SentencePiece ids; throws for ids outside [0, pieceSize()).
    std::string decode(const std::vector<int64_t>& ids) const;

    /// The SentencePiece piece for an id in [0, pieceSize()).
    std::string idToPiece(int64_t id) const;
    /// The id of a piece; unkId() when the piece is not in the vocabulary.
    int64_t pieceToId(const std::string& piece) const;

    int64_t pieceSize() const { return pieceSize_; }
    int64_t eosId() const { return eosId_; }
    int64_t padId() const { return padId_; }
    int64_t unkId() const { return unkId_; }
    /// Number of T5 sentinel tokens (<extra_id_0> has id pieceSize() + extraIds() - 1).
    static constexpr int64_t extraIds() { return 100; }

    const std::string& modelPath() const { return modelPath_; }

  private:
    SentencePieceTokenizer() = default;
    /// A T5 special token ("</s>", "<extra_id_3>", ...) starting at text[pos]: its length and
    /// id, or length 0 when none starts there.
    struct SpecialMatch {
        std::size_t length = 0;
        int64_t id = -1;
        bool stripsSpaces = false; ///< sentinels eat whitespace on both sides (lstrip/rstrip)
    };
    SpecialMatch matchSpecial(const std::string& text, std::size_t pos) const;

    void* handle_ = nullptr;
    std::string modelPath_;
    int64_t pieceSize_ = 0;
    int64_t eosId_ = -1;
    int64_t padId_ = -1;
    int64_t unkId_ = -1;
};

} // namespace moodsteer::models
