// T5 text encoder: parity with transformers 4.35 (../shared/parity), config errors, the
// relative-position buckets by hand, and the gated variant's key layout.
#include "models/T5Encoder.h"
#include "TestPaths.h"
#include "models/StateDict.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <numbers>
#include <set>

using namespace moodsteer::models;
using moodsteer::test::parityDir;

namespace {

nlohmann::json textEncoderJson() {
    std::ifstream in(parityDir() + "/config.json");
    return nlohmann::json::parse(in).at("text_encoder");
}

std::string errorOf(const nlohmann::json& j) {
    try {
        T5Config::fromJson(j);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

struct Parity {
    T5EncoderModel model{nullptr};
    torch::Tensor ids, mask, last, hidden;
};

Parity loadParity() {
    Parity p;
    p.model = T5EncoderModel(T5Config::fromJson(textEncoderJson()));
    auto file = std::make_shared<const SafetensorsReader>(
        SafetensorsReader::open(parityDir() + "/model.safetensors"));
    StateDictLoader loader(file);
    loader.load(*p.model, "text_encoder.");
    // Every text_encoder.* tensor must have been consumed (the tied embed_tokens is absent).
    loader.allowUnused("(?!text_encoder\\.).*");
    loader.finish();
    auto ref = SafetensorsReader::open(parityDir() + "/reference.safetensors");
    p.ids = toTensor(ref, "text_input_ids");
    p.mask = toTensor(ref, "text_attention_mask");
    p.last = toTensor(ref, "t5_last_hidden_state");
    p.hidden = toTensor(ref, "t5_hidden_states");
    return p;
}

double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a - b).abs().max().item<double>();
}

} // namespace

TEST(T5Encoder, ConfigReadsParityConfig) {
    MOODSTEER_REQUIRE_PARITY();
    const auto c = T5Config::fromJson(textEncoderJson());
    EXPECT_EQ(c.vocab_size, 128);
    EXPECT_EQ(c.d_model, 48);
    EXPECT_EQ(c.d_kv, 12);
    EXPECT_EQ(c.d_ff, 64);
    EXPECT_EQ(c.num_layers, 2);
    EXPECT_EQ(c.num_heads, 4);
    EXPECT_EQ(c.relative_attention_num_buckets, 32);
    EXPECT_EQ(c.relative_attention_max_distance, 128);
    EXPECT_DOUBLE_EQ(c.layer_norm_epsilon, 1e-6);
    EXPECT_EQ(c.feed_forward_proj, "relu");
    EXPECT_FALSE(c.isGated());
}

TEST(T5Encoder, ConfigErrorsNameTheField) {
    nlohmann::json j = {{"vocab_size", 128},
                        {"d_model", 48},
                        {"d_kv", 12},
                        {"d_ff", 64},
                        {"num_layers", 2},
                        {"num_heads", 4},
                        {"relative_attention_num_buckets", 32},
                        {"relative_attention_max_distance", 128},
                        {"layer_norm_epsilon", 1e-6},
                        {"feed_forward_proj", "relu"}};
    EXPECT_EQ(errorOf(j), "");
    for (const char* name : {"d_kv", "num_heads", "layer_norm_epsilon", "feed_forward_proj",
                             "relative_attention_max_distance"}) {
        auto broken = j;
        broken.erase(name);
        const auto msg = errorOf(broken);
        EXPECT_NE(msg.find("missing"), std::string::npos) << msg;
        EXPECT_NE(msg.find(name), std::string::npos) << msg;
    }
    auto wrongType = j;
    wrongType["d_model"] = "48";
    EXPECT_NE(errorOf(wrongType).find("d_model"), std::string::npos) << errorOf(wrongType);
    auto fractional = j;
    fractional["d_ff"] = 64.5;
    EXPECT_NE(errorOf(fractional).find("d_ff"), std::string::npos);
    auto negative = j;
    negative["num_layers"] = -1;
    EXPECT_NE(errorOf(negative).find("num_layers"), std::string::npos);
    auto badAct = j;
    badAct["feed_forward_proj"] = "gated-tanhsoup";
    EXPECT_NE(errorOf(badAct).find("feed_forward_proj"), std::string::npos);
    EXPECT_NE(errorOf(nlohmann::json::array()).find("object"), std::string::npos);
}

TEST(T5Encoder, RelativePositionBucketsByHand) {
    // 32 buckets, max distance 128: 16 per direction, 8 exact; distance d >= 8 goes to
    // 8 + floor(log(d / 8) / log(16) * 8), capped at 15; key after query adds 16.
    const auto b = t5RelativePositionBuckets(1, 1200, 32, 128);
    auto at = [&](int64_t rel) { return b[0][rel].item<int64_t>(); };
    EXPECT_EQ(at(0), 0);
    EXPECT_EQ(at(1), 17);
    EXPECT_EQ(at(7), 23);
    EXPECT_EQ(at(8), 24);   // log(1) = 0
    EXPECT_EQ(at(12), 25);  // 8 log(1.5) / log(16) = 1.17
    EXPECT_EQ(at(20), 26);  // 2.64
    EXPECT_EQ(at(127), 31); // 7.98
    EXPECT_EQ(at(128), 31); // 8 -> capped at 15
    EXPECT_EQ(at(1000), 31);
    // Negative relative positions (key before query).
    const auto r = t5RelativePositionBuckets(1200, 1, 32, 128);
    auto back = [&](int64_t dist) { return r[dist][0].item<int64_t>(); };
    EXPECT_EQ(back(1), 1);
    EXPECT_EQ(back(7), 7);
    EXPECT_EQ(back(12), 9);
    EXPECT_EQ(back(32), 12); // 8 log(4) / log(16) = 4 exactly
    EXPECT_EQ(back(1000), 15);
    // Every entry against the formula evaluated in double away from truncation boundaries.
    const auto all = t5RelativePositionBuckets(300, 300, 32, 128);
    for (int64_t q = 0; q < 300; q += 7)
        for (int64_t k = 0; k < 300; k += 5) {
            const int64_t rel = k - q, d = std::abs(rel);
            int64_t expect =
                d < 8 ? d
                      : std::min<int64_t>(
                            15, 8 + static_cast<int64_t>(std::log(d / 8.0) / std::log(16.0) * 8));
            expect += rel > 0 ? 16 : 0;
            const double frac = d >= 8 ? std::log(d / 8.0) / std::log(16.0) * 8 : 0.5;
            if (std::abs(frac - std::round(frac)) < 1e-4)
                continue; // float32 may land on either side of an integer
            ASSERT_EQ(all[q][k].item<int64_t>(), expect) << "query " << q << " key " << k;
        }
}

TEST(T5Encoder, RegistersCheckpointKeys) {
    T5Config c;
    c.vocab_size = 10;
    c.d_model = 8;
    c.d_kv = 2;
    c.d_ff = 6;
    c.num_layers = 2;
    c.num_heads = 3;
    T5EncoderModel relu(c);
    std::set<std::string> keys;
    for (const auto& p : relu->named_parameters())
        keys.insert(p.key());
    const std::set<std::string> expect = {
        "shared.weight",
        "encoder.block.0.layer.0.SelfAttention.q.weight",
        "encoder.block.0.layer.0.SelfAttention.k.weight",
        "encoder.block.0.layer.0.SelfAttention.v.weight",
        "encoder.block.0.layer.0.SelfAttention.o.weight",
        "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
        "encoder.block.0.layer.0.layer_norm.weight",
        "encoder.block.0.layer.1.DenseReluDense.wi.weight",
        "encoder.block.0.layer.1.DenseReluDense.wo.weight",
        "encoder.block.0.layer.1.layer_norm.weight",
        "encoder.block.1.layer.0.SelfAttention.q.weight",
        "encoder.block.1.layer.0.SelfAttention.k.weight",
        "encoder.block.1.layer.0.SelfAttention.v.weight",
        "encoder.block.1.layer.0.SelfAttention.o.weight",
        "encoder.block.1.layer.0.layer_norm.weight",
        "encoder.block.1.layer.1.DenseReluDense.wi.weight",
        "encoder.block.1.layer.1.DenseReluDense.wo.weight",
        "encoder.block.1.layer.1.layer_norm.weight",
        "encoder.final_layer_norm.weight"};
    EXPECT_EQ(keys, expect);
    // inner dim (3 x 2 = 6) differs from d_model (8).
    EXPECT_EQ(relu->named_parameters()["encoder.block.0.layer.0.SelfAttention.o.weight"].sizes(),
              (std::vector<int64_t>{8, 6}));

    c.feed_forward_proj = "gated-gelu";
    EXPECT_EQ(c.activation(), "gelu_new");
    T5EncoderModel gated(c);
    auto params = gated->named_parameters();
    EXPECT_TRUE(params.contains("encoder.block.1.layer.1.DenseReluDense.wi_0.weight"));
    EXPECT_TRUE(params.contains("encoder.block.1.layer.1.DenseReluDense.wi_1.weight"));
    EXPECT_FALSE(params.contains("encoder.block.1.layer.1.DenseReluDense.wi.weight"));
}

TEST(T5Encoder, GatedFeedForwardByHand) {
    // One layer, zero attention output: the block is h + wo(gelu_tanh(wi_0 n) * wi_1 n), with
    // n = rms_norm(h), then a final rms norm. Checked against the formula written out here.
    T5Config c;
    c.vocab_size = 5;
    c.d_model = 4;
    c.d_kv = 2;
    c.d_ff = 3;
    c.num_layers = 1;
    c.num_heads = 2;
    c.feed_forward_proj = "gated-gelu";
    T5EncoderModel m(c);
    torch::manual_seed(7);
    auto params = m->named_parameters();
    {
        torch::NoGradGuard g;
        for (auto& p : params)
            p.value().copy_(torch::randn(p.value().sizes()));
        params["encoder.block.0.layer.0.SelfAttention.o.weight"].zero_();
    }
    auto ids = torch::tensor({{3, 1, 4}}, torch::kLong);
    auto out = m->forward(ids, torch::ones({1, 3}));

    auto rms = [](const torch::Tensor& x, const torch::Tensor& w) {
        return w * (x / torch::sqrt(x.pow(2).mean(-1, true) + 1e-6));
    };
    auto h = params["shared.weight"].index_select(0, ids[0]);
    auto n = rms(h, params["encoder.block.0.layer.1.layer_norm.weight"]);
    auto a = torch::matmul(n, params["encoder.block.0.layer.1.DenseReluDense.wi_0.weight"].t());
    auto gelu =
        0.5 * a * (1 + torch::tanh(std::sqrt(2.0 / std::numbers::pi) * (a + 0.044715 * a.pow(3))));
    auto lin = torch::matmul(n, params["encoder.block.0.layer.1.DenseReluDense.wi_1.weight"].t());
    h = h +
        torch::matmul(gelu * lin, params["encoder.block.0.layer.1.DenseReluDense.wo.weight"].t());
    auto expect = rms(h, params["encoder.final_layer_norm.weight"]);
    EXPECT_LT(maxAbsDiff(out[0], expect), 1e-5);
}

TEST(T5Encoder, MatchesTransformersLastHiddenState) {
    MOODSTEER_REQUIRE_PARITY();
    auto p = loadParity();
    std::vector<torch::Tensor> hidden;
    torch::Tensor out;
    {
        torch::NoGradGuard g;
        out = p.model->forward(p.ids, p.mask, &hidden);
    }
    ASSERT_EQ(out.sizes(), p.last.sizes());
    const double diffLast = maxAbsDiff(out, p.last);
    std::cout << "[T5 parity] last_hidden_state max |diff| = " << diffLast << "\n";
    EXPECT_LT(diffLast, 1e-5);

    ASSERT_EQ(static_cast<int64_t>(hidden.size()), p.hidden.size(0));
    for (std::size_t i = 0; i < hidden.size(); ++i) {
        ASSERT_EQ(hidden[i].sizes(), p.hidden[i].sizes());
        const double d = maxAbsDiff(hidden[i], p.hidden[i]);
        std::cout << "[T5 parity] hidden_states[" << i << "] max |diff| = " << d << "\n";
        EXPECT_LT(d, 1e-5) << "hidden state " << i;
    }
    EXPECT_TRUE(torch::equal(hidden.back(), out));
}

TEST(T5Encoder, MaskTypesAndPaddingAreEquivalent) {
    MOODSTEER_REQUIRE_PARITY();
    auto p = loadParity();
    torch::NoGradGuard g;
    auto ref = p.model->forward(p.ids, p.mask);
    // Any numeric or bool mask type means the same.
    EXPECT_TRUE(torch::allclose(p.model->forward(p.ids, p.mask.to(torch::kBool)), ref));
    EXPECT_TRUE(
        torch::allclose(p.model->forward(p.ids.to(torch::kInt32), p.mask.to(torch::kFloat)), ref));
    // The padded row alone, without its padding, gives the same real-token states: the mask
    // really hides the pads.
    const int64_t len = p.mask[1].sum().item<int64_t>();
    ASSERT_LT(len, p.ids.size(1));
    auto alone = p.model->forward(p.ids.slice(0, 1, 2).slice(1, 0, len),
                                  torch::ones({1, len}, torch::kLong));
    const double d = maxAbsDiff(alone[0], ref[1].slice(0, 0, len));
    std::cout << "[T5] unpadded vs padded row max |diff| = " << d << "\n";
    EXPECT_LT(d, 1e-5);
    // Without the mask the pads leak into the real tokens.
    auto unmasked = p.model->forward(p.ids, torch::Tensor());
    EXPECT_GT(maxAbsDiff(unmasked[1].slice(0, 0, len), ref[1].slice(0, 0, len)), 1e-3);
}

TEST(T5Encoder, RejectsBadInputs) {
    T5Config c;
    c.vocab_size = 10;
    c.d_model = 8;
    c.d_kv = 2;
    c.d_ff = 6;
    c.num_layers = 1;
    c.num_heads = 2;
    T5EncoderModel m(c);
    auto ids = torch::tensor({{1, 2, 3}}, torch::kLong);
    EXPECT_THROW(m->forward(torch::tensor({{1, 10}}, torch::kLong), torch::ones({1, 2})),
                 std::invalid_argument);
    EXPECT_THROW(m->forward(torch::tensor({{-1, 2}}, torch::kLong), torch::ones({1, 2})),
                 std::invalid_argument);
    EXPECT_THROW(m->forward(ids, torch::ones({1, 4})), std::invalid_argument);
    EXPECT_THROW(m->forward(ids.to(torch::kFloat), torch::ones({1, 3})), std::invalid_argument);
    EXPECT_THROW(m->forward(ids[0], torch::ones({3})), std::invalid_argument);
    EXPECT_EQ(m->forward(ids, torch::ones({1, 3})).sizes(), (std::vector<int64_t>{1, 3, 8}));
}
