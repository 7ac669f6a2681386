#include "models/Safetensors.h"
#include "ShardedCheckpoint.h"
#include "TestPaths.h"
#include "models/AtomicFile.h"
#include "models/StateDict.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

using namespace moodsteer::models;

namespace {

std::vector<std::byte> image(const std::string& header, std::size_t dataBytes) {
    std::vector<std::byte> out(8 + header.size() + dataBytes, std::byte{0});
    std::uint64_t n = header.size();
    for (int i = 0; i < 8; ++i)
        out[i] = static_cast<std::byte>((n >> (8 * i)) & 0xff);
    std::memcpy(out.data() + 8, header.data(), header.size());
    return out;
}

std::string errorOf(const std::vector<std::byte>& bytes) {
    try {
        SafetensorsReader::fromBytes(bytes, "case");
    } catch (const SafetensorsError& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST(Safetensors, RoundTripsTensorsAndMetadata) {
    SafetensorsWriter w;
    float f[6] = {1, 2, 3, 4, 5, 6};
    int64_t i[2] = {-7, 9};
    w.add("a.weight", DType::F32, {2, 3}, f, sizeof f);
    w.add("b", DType::I64, {2}, i, sizeof i);
    w.add("empty", DType::F32, {0, 4}, nullptr, 0);
    w.setMetadata("format", "pt");
    auto bytes = w.serialize();
    EXPECT_EQ(0u, (8 + (bytes[0] == std::byte{0} ? 0 : 0)) % 8);
    auto r = SafetensorsReader::fromBytes(bytes);
    ASSERT_EQ(3u, r.tensors().size());
    EXPECT_EQ("pt", r.metadata().at("format"));
    const auto& a = r.at("a.weight");
    EXPECT_EQ(DType::F32, a.dtype);
    EXPECT_EQ((std::vector<int64_t>{2, 3}), a.shape);
    EXPECT_EQ(0, std::memcmp(r.data(a).data(), f, sizeof f));
    EXPECT_EQ(0, std::memcmp(r.data(r.at("b")).data(), i, sizeof i));
    EXPECT_EQ(0, r.at("empty").numel());
    EXPECT_EQ(nullptr, r.find("nope"));
    EXPECT_THROW(r.at("nope"), SafetensorsError);
}

TEST(Safetensors, WritesAtomicallyAndReadsBackMapped) {
    auto dir = moodsteer::test::scratchDir("st-write");
    SafetensorsWriter w;
    auto t = torch::arange(12, torch::kFloat32).reshape({3, 4});
    addTensor(w, "x", t);
    const auto path = (dir / "x.safetensors").string();
    w.write(path);
    auto r = SafetensorsReader::open(path);
    EXPECT_TRUE(torch::equal(t, toTensor(r, "x")));
    // Only the target is left in the folder: no temporary files.
    int files = 0;
    for (auto& e : std::filesystem::directory_iterator(dir))
        files += e.is_regular_file();
    EXPECT_EQ(1, files);
}

TEST(Safetensors, FailedWriteLeavesNothing) {
    auto dir = moodsteer::test::scratchDir("st-fail");
    EXPECT_THROW(writeFileAtomically((dir / "out.bin").string(),
                                     [](const std::string&) { throw std::runtime_error("boom"); }),
                 std::runtime_error);
    EXPECT_TRUE(std::filesystem::is_empty(dir));
    EXPECT_THROW(writeTextAtomically((dir / "missing-folder" / "x.json").string(), "{}"),
                 std::runtime_error);
    writeTextAtomically((dir / "keep.txt").string(), "first");
    EXPECT_THROW(writeTextAtomically((dir / "keep.txt").string(), "second", /*overwrite=*/false),
                 std::runtime_error);
    std::ifstream in(dir / "keep.txt");
    std::string s;
    in >> s;
    EXPECT_EQ("first", s);
}

struct MalformedCase {
    const char* label;
    std::vector<std::byte> bytes;
    const char* expected; // a fragment of the error message
};

class SafetensorsMalformed : public ::testing::TestWithParam<int> {};

static std::vector<MalformedCase> malformedCases() {
    std::vector<MalformedCase> c;
    c.push_back({"too short", std::vector<std::byte>(5), "shorter than the 8-byte"});
    {
        auto b = image("{}", 0);
        b[0] = std::byte{0xff};
        b[3] = std::byte{0x7f};
        c.push_back({"huge header length", b, "exceeds the limit"});
    }
    {
        auto b = image("{\"a\":1}", 0);
        b[0] = std::byte{200};
        c.push_back({"header past end", b, "runs past the end"});
    }
    c.push_back({"not json", image("{not json", 0), "not valid JSON"});
    c.push_back({"array header", image("[1,2]", 0), "not a JSON object"});
    c.push_back({"bad dtype", image(R"({"t":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}})", 1),
                 "unsupported dtype 'Q7'"});
    c.push_back({"missing shape", image(R"({"t":{"dtype":"F32","data_offsets":[0,4]}})", 4),
                 "missing shape"});
    c.push_back({"negative dim",
                 image(R"({"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4),
                 "non-negative integers"});
    c.push_back({"offsets outside",
                 image(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4),
                 "outside the 4-byte data area"});
    c.push_back({"reversed offsets",
                 image(R"({"t":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}})", 4), "outside"});
    c.push_back({"size mismatch",
                 image(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8),
                 "do not match shape"});
    c.push_back(
        {"overlap",
         image(
             R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
             12),
         "overlap"});
    c.push_back(
        {"shape overflow",
         image(R"({"t":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}})",
               4),
         "overflows"});
    // Found while fuzzing (docs/fuzzing.md): int64 overflow hidden by a zero dimension, and
    // unbounded JSON nesting.
    c.push_back(
        {"overflow behind a zero dim",
         image(R"({"t":{"dtype":"F32","shape":[2,4611686018427387904,0],"data_offsets":[0,0]}})",
               0),
         "overflows"});
    c.push_back({"deep nesting",
                 image("{\"a\":" + std::string(17, '[') + std::string(17, ']') + "}", 0),
                 "nests deeper"});
    c.push_back({"bad metadata", image(R"({"__metadata__":{"k":1}})", 0), "not a string"});
    c.push_back({"offsets not pair",
                 image(R"({"t":{"dtype":"U8","shape":[1],"data_offsets":[0]}})", 1),
                 "data_offsets must be"});
    return c;
}

TEST_P(SafetensorsMalformed, IsRejectedWithANamedReason) {
    const auto c = malformedCases().at(GetParam());
    const std::string err = errorOf(c.bytes);
    EXPECT_NE(std::string::npos, err.find(c.expected)) << c.label << ": got '" << err << "'";
}

INSTANTIATE_TEST_SUITE_P(AllCases, SafetensorsMalformed,
                         ::testing::Range(0, static_cast<int>(malformedCases().size())));

TEST(Safetensors, MissingFileIsAClearError) {
    try {
        SafetensorsReader::open("/nonexistent/model.safetensors");
        FAIL();
    } catch (const SafetensorsError& e) {
        EXPECT_NE(std::string::npos, std::string(e.what()).find("/nonexistent/model.safetensors"));
    }
}

TEST(Safetensors, ReadsTheParityCheckpoint) {
    MOODSTEER_REQUIRE_PARITY();
    auto r = SafetensorsReader::open(moodsteer::test::parityDir() + "/model.safetensors");
    EXPECT_EQ(180u, r.tensors().size());
    EXPECT_NE(nullptr, r.find("enc_to_dec_proj.weight"));
}

namespace {
std::string shardedError(const std::filesystem::path& index) {
    try {
        SafetensorsReader::openSharded(index.string());
    } catch (const SafetensorsError& e) {
        return e.what();
    }
    return "";
}

void writeText(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p) << text;
}
} // namespace

TEST(Safetensors, ShardedCheckpointReadsAsOneFile) {
    MOODSTEER_REQUIRE_PARITY();
    const auto dir = moodsteer::test::scratchDir("st-sharded");
    const auto source = moodsteer::test::parityDir() + "/model.safetensors";
    const auto names = moodsteer::test::writeShardedCopy(source, dir, 2);
    const auto index = (dir / "model.safetensors.index.json").string();
    EXPECT_EQ(SafetensorsReader::weightsPathIn(dir.string()), index);
    EXPECT_EQ(SafetensorsReader::shardNamesInIndex(index), names);
    EXPECT_EQ(SafetensorsReader::shardFilesOf(index).at(1), (dir / names[1]).string());
    const auto one = SafetensorsReader::open(source);
    const auto both = SafetensorsReader::openAny(index);
    EXPECT_EQ(both.path(), index);
    ASSERT_EQ(both.tensors().size(), one.tensors().size());
    std::set<std::size_t> shardsSeen;
    for (const auto& t : one.tensors()) {
        const TensorInfo& u = both.at(t.name);
        shardsSeen.insert(u.shard);
        EXPECT_EQ(u.shape, t.shape) << t.name;
        const auto a = one.data(t), b = both.data(u);
        ASSERT_EQ(a.size(), b.size()) << t.name;
        EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size())) << t.name;
        both.release(u); // pages of the right shard; the data reads back from the file
        EXPECT_EQ(0, std::memcmp(a.data(), both.data(u).data(), a.size())) << t.name;
    }
    EXPECT_EQ(shardsSeen.size(), 2u);

    // Bad indexes: one line naming the index and what is wrong.
    const auto bad = dir / "bad.safetensors.index.json";
    writeText(bad, R"({"weight_map": {"x": "../model.safetensors"}})");
    EXPECT_NE(shardedError(bad).find("is not a file name in the index's folder"), std::string::npos)
        << shardedError(bad);
    writeText(bad, R"({"weight_map": {"no.such.tensor": ")" + names[0] + R"("}})");
    EXPECT_NE(shardedError(bad).find("which lacks it"), std::string::npos) << shardedError(bad);
    // One tensor of the first shard listed: the shard's others are not.
    writeText(bad,
              R"({"weight_map": {")" + one.tensors()[0].name + R"(": ")" + names[0] + R"("}})");
    const auto partial = shardedError(bad);
    EXPECT_NE(partial.find("which the weight_map does not list"), std::string::npos) << partial;
    writeText(bad, R"({"metadata": {}})");
    EXPECT_NE(shardedError(bad).find("has no \"weight_map\" object"), std::string::npos);
    writeText(bad, "{not json");
    EXPECT_NE(shardedError(bad).find("bad.safetensors.index.json"), std::string::npos);
    writeText(bad, R"({"weight_map": {"x": "absent.safetensors"}})");
    EXPECT_NE(shardedError(bad).find("absent.safetensors"), std::string::npos);
    std::filesystem::remove_all(dir);
}

namespace {
struct Tiny : torch::nn::Module {
    Tiny() {
        lin = register_module("lin", torch::nn::Linear(3, 2));
        conv = register_module("conv", torch::nn::Conv1d(torch::nn::Conv1dOptions(2, 4, 3)));
    }
    torch::nn::Linear lin{nullptr};
    torch::nn::Conv1d conv{nullptr};
};
} // namespace

TEST(StateDictLoader, LoadsChecksShapesFoldsWeightNormAndFindsUnused) {
    torch::manual_seed(0);
    auto g = torch::rand({4, 1, 1}) + 0.5;
    auto v = torch::randn({4, 2, 3});
    SafetensorsWriter w;
    addTensor(w, "m.lin.weight", torch::randn({2, 3}));
    addTensor(w, "m.lin.bias", torch::randn({2}));
    addTensor(w, "m.conv.weight_g", g);
    addTensor(w, "m.conv.weight_v", v);
    addTensor(w, "m.conv.bias", torch::randn({4}));
    addTensor(w, "m.extra", torch::randn({1}));
    auto file = std::make_shared<SafetensorsReader>(SafetensorsReader::fromBytes(w.serialize()));
    Tiny tiny;
    StateDictLoader loader(file);
    loader.load(tiny, "m.");
    auto expected = g * v / v.pow(2).sum({1, 2}, true).sqrt();
    EXPECT_LT((tiny.conv->weight - expected).abs().max().item<float>(), 1e-6);
    try {
        loader.finish();
        FAIL() << "unused tensor not reported";
    } catch (const SafetensorsError& e) {
        EXPECT_NE(std::string::npos, std::string(e.what()).find("m.extra"));
    }
    loader.allowUnused(R"(m\.extra)");
    EXPECT_NO_THROW(loader.finish());

    SafetensorsWriter bad;
    addTensor(bad, "lin.weight", torch::randn({3, 3}));
    auto badFile =
        std::make_shared<SafetensorsReader>(SafetensorsReader::fromBytes(bad.serialize()));
    StateDictLoader badLoader(badFile);
    try {
        badLoader.load(*tiny.lin, "lin.");
        FAIL();
    } catch (const SafetensorsError& e) {
        const std::string msg = e.what();
        EXPECT_NE(std::string::npos, msg.find("lin.weight")) << msg;
        EXPECT_NE(std::string::npos, msg.find("[3, 3]")) << msg;
        EXPECT_NE(std::string::npos, msg.find("[2, 3]")) << msg;
    }
}

TEST(StateDictLoader, RejectsNaNWeights) {
    SafetensorsWriter w;
    auto t = torch::zeros({2, 3});
    t[0][1] = std::nanf("");
    addTensor(w, "weight", t);
    addTensor(w, "bias", torch::zeros({2}));
    auto file = std::make_shared<SafetensorsReader>(SafetensorsReader::fromBytes(w.serialize()));
    torch::nn::Linear lin(3, 2);
    StateDictLoader loader(file);
    EXPECT_THROW(loader.load(*lin, ""), SafetensorsError);
}
