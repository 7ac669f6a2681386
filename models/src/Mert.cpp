#include "models/Mert.h"

#include "models/BoundedRead.h"
#include "models/StateDict.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace moodsteer::models {
namespace {

torch::Tensor exactGelu(const torch::Tensor& x) {
    return torch::gelu(x);
} // erf form

nlohmann::json readJson(const std::string& path) {
    std::string text;
    try {
        text = readFileBounded(path, kJsonConfigFile);
    } catch (const FileReadError& e) {
        throw std::runtime_error(std::string("MERT: ") + e.what());
    }
    try {
        return parseJsonBounded(text);
    } catch (const std::exception& e) {
        throw std::runtime_error("MERT: '" + path + "' is not valid JSON: " + e.what());
    }
}

template <typename T>
void field(const nlohmann::json& j, const char* name, T& out, const std::string& path) {
    if (!j.contains(name)) return; // upstream default
    try {
        out = j.at(name).get<T>();
    } catch (const std::exception& e) {
        throw std::runtime_error("MERT: '" + path + "': field '" + name + "': " + e.what());
    }
}

} // namespace

MertConfig MertConfig::fromFolder(const std::string& dir) {
    const std::string path = dir + "/config.json";
    const auto j = readJson(path);
    MertConfig c;
    c.conv_dim.assign(7, 512);
    c.conv_kernel = {10, 3, 3, 3, 3, 2, 2};
    c.conv_stride = {5, 2, 2, 2, 2, 2, 2};
    field(j, "conv_dim", c.conv_dim, path);
    field(j, "conv_kernel", c.conv_kernel, path);
    field(j, "conv_stride", c.conv_stride, path);
    field(j, "conv_bias", c.conv_bias, path);
    field(j, "feat_extract_norm", c.feat_extract_norm, path);
    field(j, "feat_proj_layer_norm", c.feat_proj_layer_norm, path);
    field(j, "hidden_size", c.hidden_size, path);
    field(j, "num_hidden_layers", c.num_hidden_layers, path);
    field(j, "num_attention_heads", c.num_attention_heads, path);
    field(j, "intermediate_size", c.intermediate_size, path);
    field(j, "num_conv_pos_embeddings", c.num_conv_pos_embeddings, path);
    field(j, "num_conv_pos_embedding_groups", c.num_conv_pos_embedding_groups, path);
    field(j, "layer_norm_eps", c.layer_norm_eps, path);
    field(j, "do_stable_layer_norm", c.do_stable_layer_norm, path);
    field(j, "sample_rate", c.sample_rate, path); // MERT's config carries it
    const std::string pre = dir + "/preprocessor_config.json";
    if (std::filesystem::exists(pre)) field(readJson(pre), "sampling_rate", c.sample_rate, pre);

    auto bad = [&](const std::string& what) {
        throw std::runtime_error("MERT: '" + path + "': " + what);
    };
    if (c.conv_dim.empty() || c.conv_dim.size() != c.conv_kernel.size() ||
        c.conv_dim.size() != c.conv_stride.size())
        bad("conv_dim, conv_kernel and conv_stride must be non-empty and of equal length");
    for (std::size_t i = 0; i < c.conv_dim.size(); ++i)
        if (c.conv_dim[i] <= 0 || c.conv_kernel[i] <= 0 || c.conv_stride[i] <= 0)
            bad("conv layer " + std::to_string(i) + " has a non-positive size");
    if (c.feat_extract_norm != "group")
        bad("feat_extract_norm '" + c.feat_extract_norm + "' is not supported (only 'group')");
    if (c.do_stable_layer_norm)
        bad("do_stable_layer_norm true (pre-norm, e.g. MERT-330M) is not supported");
    if (j.value("feature_extractor_cqt", false))
        bad("feature_extractor_cqt true is not supported (MERT's CQT branch)");
    if (c.hidden_size <= 0 || c.num_attention_heads <= 0 ||
        c.hidden_size % c.num_attention_heads != 0)
        bad("hidden_size must be a positive multiple of num_attention_heads");
    if (c.num_hidden_layers <= 0 || c.intermediate_size <= 0 || c.num_conv_pos_embeddings <= 0 ||
        c.num_conv_pos_embedding_groups <= 0 ||
        c.hidden_size % c.num_conv_pos_embedding_groups != 0)
        bad("invalid encoder sizes");
    if (c.sample_rate <= 0) bad("sample_rate must be positive");
    return c;
}

int64_t MertConfig::framesFor(int64_t samples) const {
    int64_t n = samples;
    for (std::size_t i = 0; i < conv_kernel.size(); ++i) {
        if (n < conv_kernel[i]) return 0;
        n = (n - conv_kernel[i]) / conv_stride[i] + 1;
    }
    return n;
}

int64_t MertConfig::hop() const {
    int64_t h = 1;
    for (auto s : conv_stride)
        h *= s;
    return h;
}

MertConvLayerImpl::MertConvLayerImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                     bool bias, bool groupNorm) {
    conv = register_module(
        "conv",
        torch::nn::Conv1d(torch::nn::Conv1dOptions(in, out, kernel).stride(stride).bias(bias)));
    if (groupNorm) // groups = channels: each channel normalised over the whole clip
        layer_norm = register_module(
            "layer_norm", torch::nn::GroupNorm(torch::nn::GroupNormOptions(out, out).eps(1e-5)));
}

torch::Tensor MertConvLayerImpl::forward(const torch::Tensor& x) {
    auto h = conv(x);
    if (layer_norm) h = layer_norm(h);
    return exactGelu(h);
}

MertAttentionImpl::MertAttentionImpl(int64_t hidden, int64_t heads_) : heads(heads_) {
    q_proj = register_module("q_proj", torch::nn::Linear(hidden, hidden));
    k_proj = register_module("k_proj", torch::nn::Linear(hidden, hidden));
    v_proj = register_module("v_proj", torch::nn::Linear(hidden, hidden));
    out_proj = register_module("out_proj", torch::nn::Linear(hidden, hidden));
}

torch::Tensor MertAttentionImpl::forward(const torch::Tensor& x) {
    const auto B = x.size(0), T = x.size(1), D = x.size(2), hd = D / heads;
    auto split = [&](const torch::Tensor& t) { return t.view({B, T, heads, hd}).transpose(1, 2); };
    // HF scales q (bias included) before the product.
    auto q = split(q_proj(x) * std::pow(static_cast<double>(hd), -0.5));
    auto k = split(k_proj(x));
    auto v = split(v_proj(x));
    auto attn = torch::softmax(torch::matmul(q, k.transpose(-2, -1)), -1);
    auto o = torch::matmul(attn, v).transpose(1, 2).reshape({B, T, D});
    return out_proj(o);
}

MertFeedForwardImpl::MertFeedForwardImpl(int64_t hidden, int64_t intermediate) {
    intermediate_dense =
        register_module("intermediate_dense", torch::nn::Linear(hidden, intermediate));
    output_dense = register_module("output_dense", torch::nn::Linear(intermediate, hidden));
}

torch::Tensor MertFeedForwardImpl::forward(const torch::Tensor& x) {
    return output_dense(exactGelu(intermediate_dense(x)));
}

MertEncoderLayerImpl::MertEncoderLayerImpl(const MertConfig& c) {
    auto ln = [&] {
        return torch::nn::LayerNorm(
            torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps));
    };
    attention = register_module("attention", MertAttention(c.hidden_size, c.num_attention_heads));
    layer_norm = register_module("layer_norm", ln());
    feed_forward =
        register_module("feed_forward", MertFeedForward(c.hidden_size, c.intermediate_size));
    final_layer_norm = register_module("final_layer_norm", ln());
}

torch::Tensor MertEncoderLayerImpl::forward(const torch::Tensor& x) {
    auto h = layer_norm(x + attention(x));
    return final_layer_norm(h + feed_forward(h));
}

MertModelImpl::MertModelImpl(MertConfig c) : config_(std::move(c)) {
    const auto& cfg = config_;
    feature_extractor = register_module("feature_extractor", std::make_shared<torch::nn::Module>());
    conv_layers = feature_extractor->register_module("conv_layers", torch::nn::ModuleList());
    int64_t in = 1;
    for (std::size_t i = 0; i < cfg.conv_dim.size(); ++i) {
        conv_layers->push_back(MertConvLayer(in, cfg.conv_dim[i], cfg.conv_kernel[i],
                                             cfg.conv_stride[i], cfg.conv_bias, i == 0));
        in = cfg.conv_dim[i];
    }
    feature_projection =
        register_module("feature_projection", std::make_shared<torch::nn::Module>());
    if (cfg.feat_proj_layer_norm)
        projection_norm = feature_projection->register_module(
            "layer_norm",
            torch::nn::LayerNorm(torch::nn::LayerNormOptions({in}).eps(cfg.layer_norm_eps)));
    projection =
        feature_projection->register_module("projection", torch::nn::Linear(in, cfg.hidden_size));
    encoder = register_module("encoder", std::make_shared<torch::nn::Module>());
    auto pos = encoder->register_module("pos_conv_embed", std::make_shared<torch::nn::Module>());
    pos_conv = pos->register_module(
        "conv", torch::nn::Conv1d(torch::nn::Conv1dOptions(cfg.hidden_size, cfg.hidden_size,
                                                           cfg.num_conv_pos_embeddings)
                                      .padding(cfg.num_conv_pos_embeddings / 2)
                                      .groups(cfg.num_conv_pos_embedding_groups)));
    encoder_norm = encoder->register_module(
        "layer_norm", torch::nn::LayerNorm(
                          torch::nn::LayerNormOptions({cfg.hidden_size}).eps(cfg.layer_norm_eps)));
    layers = encoder->register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < cfg.num_hidden_layers; ++i)
        layers->push_back(MertEncoderLayer(cfg));
}

torch::Tensor MertModelImpl::normalize(const torch::Tensor& x) {
    auto xd = x.to(torch::kFloat64);
    auto mean = xd.mean(-1, /*keepdim=*/true);
    auto var = (xd - mean).pow(2).mean(-1, /*keepdim=*/true); // population variance
    return ((xd - mean) / (var + 1e-7).sqrt()).to(torch::kFloat32);
}

MertOutput MertModelImpl::forward(const torch::Tensor& inputValues, bool keepIntermediates) {
    if (inputValues.dim() != 2) throw std::invalid_argument("MERT: input must be (batch, samples)");
    const int64_t frames = config_.framesFor(inputValues.size(1));
    if (frames < 1)
        throw std::invalid_argument("MERT: " + std::to_string(inputValues.size(1)) +
                                    " samples are shorter than the receptive field");
    MertOutput out;
    auto h = inputValues.unsqueeze(1);
    for (std::size_t i = 0; i < conv_layers->size(); ++i) {
        h = conv_layers[i]->as<MertConvLayer>()->forward(h);
        if (i == 0 && keepIntermediates) out.conv0Output = h;
    }
    h = h.transpose(1, 2); // (B, frames, C)
    if (keepIntermediates) out.extractFeatures = h;
    if (projection_norm) h = projection_norm(h);
    h = projection(h);
    if (keepIntermediates) out.featureProjection = h;
    // Positional conv: an even kernel gives frames + 1 steps, the last one is dropped.
    auto p = pos_conv(h.transpose(1, 2));
    if (config_.num_conv_pos_embeddings % 2 == 0) p = p.narrow(2, 0, p.size(2) - 1);
    p = exactGelu(p).transpose(1, 2);
    if (keepIntermediates) out.posConvEmbed = p;
    h = encoder_norm(h + p);
    out.hiddenStates.push_back(h);
    for (std::size_t i = 0; i < layers->size(); ++i) {
        h = layers[i]->as<MertEncoderLayer>()->forward(h);
        out.hiddenStates.push_back(h);
    }
    return out;
}

MertModel loadMert(const std::string& dir) {
    const auto config = MertConfig::fromFolder(dir);
    const std::string weights = dir + "/model.safetensors";
    if (!std::filesystem::exists(weights))
        throw std::runtime_error("MERT: '" + weights +
                                 "' not found (convert pytorch_model.bin to safetensors)");
    auto file = std::make_shared<const SafetensorsReader>(SafetensorsReader::open(weights));
    MertModel model(config);
    StateDictLoader loader(file);
    loader.allowUnused("masked_spec_embed");
    loader.load(*model, "");
    loader.finish();
    model->eval();
    return model;
}

} // namespace moodsteer::models
