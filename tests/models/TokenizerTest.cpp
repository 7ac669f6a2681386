// SentencePiece tokenizer: every case of ../shared/parity/tokenizer_cases.json (pieces and ids
// from sentencepiece 0.1.97, ids from transformers 4.35 T5Tokenizer), special tokens, errors,
// and SentencePiece living in the same process as LibTorch (this binary links both).
#include "TestPaths.h"
#include "models/SentencePieceTokenizer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <fstream>
#include <thread>

using namespace moodsteer::models;
using moodsteer::test::parityDir;

namespace {

std::string modelFile() {
    return parityDir() + "/tiny_t5style_spiece.model";
}

nlohmann::json cases() {
    std::ifstream in(parityDir() + "/tokenizer_cases.json");
    return nlohmann::json::parse(in);
}

std::vector<int64_t> concat(std::initializer_list<std::vector<int64_t>> parts) {
    std::vector<int64_t> out;
    for (const auto& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

} // namespace

TEST(Tokenizer, MatchesSentencePieceAndT5TokenizerCases) {
    MOODSTEER_REQUIRE_PARITY();
    const auto json = cases();
    auto tok = SentencePieceTokenizer::load(modelFile());
    EXPECT_EQ(tok->pieceSize(), json.at("piece_size").get<int64_t>());
    EXPECT_EQ(tok->padId(), 0);
    EXPECT_EQ(tok->eosId(), 1);
    EXPECT_EQ(tok->unkId(), 2);
    int checked = 0, differing = 0;
    for (const auto& c : json.at("cases")) {
        const auto text = c.at("text").get<std::string>();
        SCOPED_TRACE("text: \"" + text + "\"");
        EXPECT_EQ(tok->encodePieces(text),
                  c.at("sentencepiece_pieces").get<std::vector<std::string>>());
        const auto ids = tok->encodeIds(text);
        EXPECT_EQ(ids, c.at("sentencepiece_ids").get<std::vector<int64_t>>());
        auto withEos = ids;
        withEos.push_back(tok->eosId());
        EXPECT_EQ(withEos, c.at("sentencepiece_ids_plus_eos").get<std::vector<int64_t>>());
        EXPECT_EQ(tok->encodeT5(text), c.at("t5tokenizer_input_ids").get<std::vector<int64_t>>());
        EXPECT_EQ(tok->decode(ids), c.at("decoded").get<std::string>());
        differing += c.at("same").get<bool>() ? 0 : 1;
        ++checked;
    }
    EXPECT_EQ(checked, 7);
    EXPECT_EQ(differing, 1); // the literal "</s>" case is really exercised
}

TEST(Tokenizer, T5SpecialTokensFollowTransformers) {
    // Expected values derived from transformers 4.35's T5Tokenizer source (legacy, extra_ids
    // 100): added tokens split the text, each part is encoded alone, sentinels strip
    // surrounding whitespace, "</s>" is appended unless already last.
    MOODSTEER_REQUIRE_PARITY();
    auto tok = SentencePieceTokenizer::load(modelFile());
    const int64_t eos = 1;
    const int64_t extra0 = tok->pieceSize() + 99; // <extra_id_0>
    EXPECT_EQ(tok->encodeT5("<extra_id_0>"), (std::vector<int64_t>{extra0, eos}));
    EXPECT_EQ(tok->encodeT5("piano <extra_id_1>  drums"),
              concat({tok->encodeIds("piano"), {extra0 - 1}, tok->encodeIds("drums"), {eos}}));
    EXPECT_EQ(
        tok->encodeT5("piano<extra_id_99>drums"),
        concat({tok->encodeIds("piano"), {tok->pieceSize()}, tok->encodeIds("drums"), {eos}}));
    EXPECT_EQ(tok->encodeT5("jazz</s>rock"),
              concat({tok->encodeIds("jazz"), {eos}, tok->encodeIds("rock"), {eos}}));
    EXPECT_EQ(tok->encodeT5("<pad>a<unk>"),
              concat({{tok->padId()}, tok->encodeIds("a"), {tok->unkId()}, {eos}}));
    EXPECT_EQ(tok->encodeT5("</s></s>"), (std::vector<int64_t>{eos, eos}));
    // Not special: out-of-range or non-canonical sentinels, near misses.
    for (const std::string text : {"<extra_id_100>", "<extra_id_01>", "<extra_id_>", "</s", "<s>"})
        EXPECT_EQ(tok->encodeT5(text), concat({tok->encodeIds(text), {eos}})) << text;
    // Pieces and ids agree with each other.
    for (const auto& piece : tok->encodePieces("80s pop track"))
        EXPECT_EQ(tok->idToPiece(tok->pieceToId(piece)), piece);
    EXPECT_EQ(tok->pieceToId("no-such-piece-here"), tok->unkId());
    EXPECT_THROW(tok->idToPiece(tok->pieceSize()), std::runtime_error);
    EXPECT_THROW(tok->decode({-1}), std::runtime_error);
}

TEST(Tokenizer, MissingOrBrokenModelIsAClearError) {
    const std::string missing = "/nonexistent/folder/spiece.model";
    try {
        SentencePieceTokenizer::load(missing);
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
    }
    const auto dir = moodsteer::test::scratchDir("tokenizer-broken");
    const std::string broken = (dir / "spiece.model").string();
    std::ofstream(broken) << "this is not a sentencepiece model";
    try {
        SentencePieceTokenizer::load(broken);
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(broken), std::string::npos) << e.what();
    }
    try {
        SentencePieceTokenizer::load(dir.string()); // a folder
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(dir.string()), std::string::npos) << e.what();
    }
}

TEST(Tokenizer, CoexistsWithLibTorchAndThreads) {
    MOODSTEER_REQUIRE_PARITY();
    // This binary loads LibTorch (and its protobuf); linking libsentencepiece directly would
    // crash before main(). Interleave both and use the ids as a tensor.
    auto before = torch::arange(6, torch::kFloat).view({2, 3}).matmul(torch::ones({3, 1}));
    auto tok = SentencePieceTokenizer::load(modelFile());
    const auto ids = tok->encodeT5("80s pop track with bassy drums and synth");
    auto t = torch::tensor(ids, torch::kLong);
    EXPECT_EQ(t.size(0), 17);
    EXPECT_EQ(t[-1].item<int64_t>(), 1);
    EXPECT_EQ(before.sum().item<float>(), 15.0f);
    auto table = torch::randn({tok->pieceSize() + tok->extraIds(), 4});
    EXPECT_EQ(torch::embedding(table, t).sizes(), (std::vector<int64_t>{17, 4}));

    // Encoding is const and thread-safe: several threads, one processor.
    std::vector<std::vector<int64_t>> results(4);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&, i] {
            for (int r = 0; r < 50; ++r)
                results[i] = tok->encodeT5("80s pop track with bassy drums and synth");
        });
    for (auto& th : threads)
        th.join();
    for (const auto& r : results)
        EXPECT_EQ(r, ids);
    // Two tokenizers at once, freed independently.
    auto second = SentencePieceTokenizer::load(modelFile());
    tok.reset();
    EXPECT_EQ(second->encodeT5("80s pop track with bassy drums and synth"), ids);
}
