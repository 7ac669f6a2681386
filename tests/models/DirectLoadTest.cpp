// Direct loading at bf16/int8 (MusicgenForCausalLMImpl::DirectLoad, MusicgenModelImpl::load
// with a precision): the same logits as loading in f32 and converting, for the parity
// checkpoint and for random weights, the float32 weights gone for good, and a peak memory
// below the float32 model's size on a proportionally sized random model (no timing).
#include "ShardedCheckpoint.h"
#include "TestPaths.h"
#include "models/MusicgenModel.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <malloc.h>
#include <string>

using namespace moodsteer::models;
using moodsteer::test::parityDir;

namespace {

int64_t parameterCount(torch::nn::Module& m) {
    int64_t n = 0;
    for (const auto& p : m.parameters())
        n += p.numel();
    return n;
}

/// Logits of a whole-sequence pass and of three cached one-token steps after a prefill (the
/// fused decode path), concatenated: both paths must agree exactly.
torch::Tensor logitsOf(MusicgenForCausalLMImpl& lm, const torch::Tensor& ids,
                       const torch::Tensor& memory, const torch::Tensor& mask) {
    torch::NoGradGuard noGrad;
    auto cross = lm.precomputeCross(memory, mask);
    const int64_t rows = ids.size(0), T = ids.size(1);
    const int64_t batch = rows / lm.config().num_codebooks;
    std::vector<torch::Tensor> out{lm.forward(ids, cross).reshape({-1})};
    auto cache = lm.makeCache(batch, T);
    out.push_back(lm.forward(ids.narrow(1, 0, T - 3), cross, &cache).reshape({-1}));
    for (int64_t t = T - 3; t < T; ++t)
        out.push_back(lm.forward(ids.narrow(1, t, 1), cross, &cache).reshape({-1}));
    return torch::cat(out);
}

struct Inputs {
    torch::Tensor ids, memory, mask;
};

Inputs inputsFor(const MusicgenDecoderConfig& c, int64_t batch, int64_t steps) {
    torch::manual_seed(11);
    Inputs in;
    in.ids = torch::randint(0, c.vocab_size + 1, {batch * c.num_codebooks, steps}, torch::kLong);
    in.memory = torch::randn({batch, 5, c.hidden_size});
    in.mask = torch::ones({batch, 5}, torch::kLong);
    in.mask[batch - 1][4] = 0;
    return in;
}

/// VmHWM / VmRSS of this process in MB.
double statusMB(const char* field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field, 0) == 0) return std::stod(line.substr(std::strlen(field))) / 1024.0;
    return -1;
}

/// Resets VmHWM to the current RSS (Linux: "5" > /proc/self/clear_refs), after handing freed
/// heap back, so that the next peak counts only what is allocated afterwards.
bool resetPeak() {
    malloc_trim(0);
    std::ofstream out("/proc/self/clear_refs");
    out << "5";
    out.flush();
    return static_cast<bool>(out);
}

} // namespace

TEST(DirectLoad, ParityCheckpointGivesTheLogitsOfF32ThenConverted) {
    MOODSTEER_REQUIRE_PARITY();
    for (const std::string precision : {"bf16", "int8", "int4"}) {
        auto converted = MusicgenModelImpl::load(parityDir());
        converted->decoder->setPrecision(precision);
        auto direct = MusicgenModelImpl::load(parityDir(), precision);
        ASSERT_TRUE(direct->decoder->floatWeightsReleased()) << precision;
        EXPECT_EQ(precision, direct->decoder->precision());
        const auto in = inputsFor(direct->decoder->config(), 2, 9);
        const auto a = logitsOf(*converted->decoder, in.ids, in.memory, in.mask);
        const auto b = logitsOf(*direct->decoder, in.ids, in.memory, in.mask);
        EXPECT_TRUE(torch::equal(a, b))
            << precision << ": max abs " << (a - b).abs().max().item<double>();
        // Nothing lost: what parameters() no longer holds is counted as released.
        EXPECT_EQ(parameterCount(*converted),
                  parameterCount(*direct) + direct->decoder->releasedParameterCount());
        EXPECT_DOUBLE_EQ(converted->decoder->decodeWeightBytes(),
                         direct->decoder->decodeWeightBytes());
        // The float32 weights cannot come back; the same precision is a no-op.
        EXPECT_NO_THROW(direct->decoder->setPrecision(precision));
        try {
            direct->decoder->setPrecision("f32");
            ADD_FAILURE() << "setPrecision(f32) after a direct load did not throw";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find("load it again"), std::string::npos) << e.what();
        }
    }
}

TEST(DirectLoad, RandomWeightsBuiltDirectlyEqualTheConvertedOnes) {
    MusicgenDecoderConfig c;
    c.vocab_size = 64;
    c.pad_token_id = c.bos_token_id = 64;
    c.max_position_embeddings = 64;
    c.num_hidden_layers = 3;
    c.hidden_size = 64;
    c.num_attention_heads = 4;
    c.ffn_dim = 128;
    const auto in = inputsFor(c, 1, 8);
    for (const std::string precision : {"bf16", "int8", "int4"}) {
        torch::manual_seed(5);
        MusicgenForCausalLM plain(c);
        plain->finalizeWeights();
        plain->setPrecision(precision);
        torch::manual_seed(5);
        MusicgenForCausalLM direct(c, MusicgenForCausalLMImpl::DirectLoad{precision, {}});
        direct->finishDirectLoad();
        EXPECT_TRUE(torch::equal(logitsOf(*plain, in.ids, in.memory, in.mask),
                                 logitsOf(*direct, in.ids, in.memory, in.mask)))
            << precision;
    }
    EXPECT_THROW(MusicgenForCausalLM(c, MusicgenForCausalLMImpl::DirectLoad{"f32", {}}),
                 std::invalid_argument);
}

TEST(DirectLoad, PeakMemoryStaysBelowTheFloat32Size) {
    // musicgen-small's layer shapes (hidden 1024, ffn 4096, vocab 2048, 4 codebooks) with 6
    // layers: 470 MB in float32. Real shapes matter: the reduced copies live on 2 MB huge
    // pages (HugePages.h), which would dominate a model of small matrices.
    MusicgenDecoderConfig c;
    c.max_position_embeddings = 64;
    c.num_hidden_layers = 6;
    c.hidden_size = 1024;
    c.num_attention_heads = 16;
    c.ffn_dim = 4096;
    const double D = 1024, F = 4096, KV = 4.0 * 2048 * D;
    const double f32MB = 4 * (6 * (8 * D * D + 2 * D * F) + 2 * KV) / 1e6;
    if (!resetPeak() || statusMB("VmHWM:") < 0) GTEST_SKIP() << "cannot reset the peak RSS here";
#ifdef __SANITIZE_ADDRESS__
    GTEST_SKIP() << "AddressSanitizer quarantines freed memory and maps shadow memory: RSS is not "
                    "the program's";
#endif
    for (const std::string precision : {"int8", "bf16"}) {
        ASSERT_TRUE(resetPeak());
        const double before = statusMB("VmRSS:");
        torch::manual_seed(1);
        MusicgenForCausalLM direct(c, MusicgenForCausalLMImpl::DirectLoad{precision, {}});
        direct->finishDirectLoad();
        const double peak = statusMB("VmHWM:") - before;
        std::printf("[%s] direct load: peak +%.0f MB (float32 model %.0f MB, reduced copies "
                    "%.0f MB)\n",
                    precision.c_str(), peak, f32MB, direct->decodeWeightBytes() / 1e6);
        // The reduced copies + float32 embeddings, cross k/v and one layer at a time.
        EXPECT_LT(peak, f32MB) << precision;
    }
    ASSERT_TRUE(resetPeak());
    const double before = statusMB("VmRSS:");
    torch::manual_seed(1);
    MusicgenForCausalLM plain(c);
    plain->finalizeWeights();
    plain->setPrecision("int8");
    const double peak = statusMB("VmHWM:") - before;
    std::printf("[int8] f32 then converted: peak +%.0f MB\n", peak);
    EXPECT_GT(peak, f32MB); // what direct loading avoids: the float32 model existed
}

// musicgen-large is stored as shards + index: the same checkpoint split in three loads to the
// same model, in float32 and directly at int8 (tensor by tensor from each mapped shard).
TEST(DirectLoad, ShardedCheckpointLoadsLikeTheSingleFile) {
    MOODSTEER_REQUIRE_PARITY();
    namespace fs = std::filesystem;
    const auto dir = moodsteer::test::scratchDir("sharded-parity");
    for (const char* f : {"config.json", "generation_config.json"})
        fs::copy_file(fs::path(parityDir()) / f, dir / f);
    const auto shards =
        moodsteer::test::writeShardedCopy(parityDir() + "/model.safetensors", dir, 3);
    ASSERT_EQ(shards.size(), 3u);
    EXPECT_FALSE(fs::exists(dir / "model.safetensors"));
    for (const std::string precision : {"f32", "int8"}) {
        auto single = MusicgenModelImpl::load(parityDir(), precision);
        auto sharded = MusicgenModelImpl::load(dir.string(), precision);
        const auto in = inputsFor(single->decoder->config(), 2, 9);
        const auto a = logitsOf(*single->decoder, in.ids, in.memory, in.mask);
        const auto b = logitsOf(*sharded->decoder, in.ids, in.memory, in.mask);
        EXPECT_TRUE(torch::equal(a, b))
            << precision << ": max abs " << (a - b).abs().max().item<double>();
        const auto ids = torch::tensor({{5, 9, 1}}, torch::kLong);
        const auto mask = torch::ones({1, 3}, torch::kLong);
        EXPECT_TRUE(torch::equal(single->text_encoder->forward(ids, mask),
                                 sharded->text_encoder->forward(ids, mask)))
            << precision;
    }
    fs::remove_all(dir);
}
