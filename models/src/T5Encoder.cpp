#include "models/T5Encoder.h"

#include <ATen/Dispatch.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace moodsteer::models {
namespace {

template <typename T> T field(const nlohmann::json& j, const char* name) {
    if (!j.is_object())
        throw std::runtime_error(
            "T5 config: expected a JSON object (config.json \"text_encoder\")");
    const auto it = j.find(name);
    if (it == j.end() || it->is_null())
        throw std::runtime_error(std::string("T5 config: missing field '") + name + "'");
    try {
        if constexpr (std::is_same_v<T, int64_t>) {
            if (!it->is_number_integer()) throw std::runtime_error("not an integer");
        } else if constexpr (std::is_same_v<T, double>) {
            if (!it->is_number()) throw std::runtime_error("not a number");
        }
        return it->get<T>();
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("T5 config: field '") + name +
                                 "' has the wrong type (" + it->dump() + "): " + e.what());
    }
}

// x * rsqrt(mean(x^2) + eps) * weight; variance in float32 as T5LayerNorm does.
struct T5LayerNormImpl : torch::nn::Module {
    T5LayerNormImpl(int64_t size, double eps) : eps(eps) {
        weight = register_parameter("weight", torch::ones({size}));
    }
    torch::Tensor forward(const torch::Tensor& x) {
        auto variance = x.to(torch::kFloat32).pow(2).mean(-1, /*keepdim=*/true);
        auto y = x * torch::rsqrt(variance + eps);
        if (weight.scalar_type() == torch::kHalf || weight.scalar_type() == torch::kBFloat16)
            y = y.to(weight.scalar_type());
        return weight * y;
    }
    torch::Tensor weight;
    double eps;
};
TORCH_MODULE(T5LayerNorm);

torch::nn::Linear linear(int64_t in, int64_t out) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false));
}

struct T5AttentionImpl : torch::nn::Module {
    T5AttentionImpl(const T5Config& c, bool hasRelativeBias)
        : heads(c.num_heads), dKv(c.d_kv), buckets(c.relative_attention_num_buckets),
          maxDistance(c.relative_attention_max_distance) {
        const int64_t inner = c.num_heads * c.d_kv;
        q = register_module("q", linear(c.d_model, inner));
        k = register_module("k", linear(c.d_model, inner));
        v = register_module("v", linear(c.d_model, inner));
        o = register_module("o", linear(inner, c.d_model));
        if (hasRelativeBias)
            relativeBias = register_module("relative_attention_bias",
                                           torch::nn::Embedding(buckets, c.num_heads));
    }

    /// [1, H, T, T] bias of bucket(key - query).
    torch::Tensor computeBias(int64_t length, const torch::Device& device) {
        auto bucket = t5RelativePositionBuckets(length, length, buckets, maxDistance, device);
        return relativeBias->forward(bucket).permute({2, 0, 1}).unsqueeze(0);
    }

    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& positionBias) {
        const int64_t b = x.size(0), t = x.size(1);
        auto shape = [&](const torch::Tensor& y) {
            return y.view({b, t, heads, dKv}).transpose(1, 2);
        };
        auto qs = shape(q->forward(x));
        auto ks = shape(k->forward(x));
        auto vs = shape(v->forward(x));
        auto scores = torch::matmul(qs, ks.transpose(3, 2)); // no 1/sqrt(d_kv): T5 folds it in
        scores = scores + positionBias;
        auto weights = torch::softmax(scores.to(torch::kFloat32), -1).to(scores.scalar_type());
        auto out = torch::matmul(weights, vs).transpose(1, 2).contiguous().view({b, t, -1});
        return o->forward(out);
    }

    int64_t heads, dKv, buckets, maxDistance;
    torch::nn::Linear q{nullptr}, k{nullptr}, v{nullptr}, o{nullptr};
    torch::nn::Embedding relativeBias{nullptr};
};
TORCH_MODULE(T5Attention);

struct T5LayerSelfAttentionImpl : torch::nn::Module {
    T5LayerSelfAttentionImpl(const T5Config& c, bool hasRelativeBias) {
        attention = register_module("SelfAttention", T5Attention(c, hasRelativeBias));
        norm = register_module("layer_norm", T5LayerNorm(c.d_model, c.layer_norm_epsilon));
    }
    torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& positionBias) {
        return h + attention->forward(norm->forward(h), positionBias);
    }
    T5Attention attention{nullptr};
    T5LayerNorm norm{nullptr};
};
TORCH_MODULE(T5LayerSelfAttention);

torch::Tensor activate(const std::string& name, const torch::Tensor& x) {
    if (name == "relu") return torch::relu(x);
    if (name == "gelu") return torch::gelu(x);
    if (name == "gelu_new" || name == "gelu_pytorch_tanh") return torch::gelu(x, "tanh");
    return torch::silu(x); // "silu" / "swish"; validate() rejects anything else
}

// T5DenseActDense (wo(act(wi(x)))) or T5DenseGatedActDense (wo(act(wi_0(x)) * wi_1(x))).
struct T5DenseImpl : torch::nn::Module {
    explicit T5DenseImpl(const T5Config& c) : act(c.activation()) {
        if (c.isGated()) {
            wi0 = register_module("wi_0", linear(c.d_model, c.d_ff));
            wi1 = register_module("wi_1", linear(c.d_model, c.d_ff));
        } else {
            wi = register_module("wi", linear(c.d_model, c.d_ff));
        }
        wo = register_module("wo", linear(c.d_ff, c.d_model));
    }
    torch::Tensor forward(const torch::Tensor& x) {
        auto h =
            wi ? activate(act, wi->forward(x)) : activate(act, wi0->forward(x)) * wi1->forward(x);
        if (h.scalar_type() != wo->weight.scalar_type() && wo->weight.scalar_type() != torch::kInt8)
            h = h.to(wo->weight.scalar_type());
        return wo->forward(h);
    }
    std::string act;
    torch::nn::Linear wi{nullptr}, wi0{nullptr}, wi1{nullptr}, wo{nullptr};
};
TORCH_MODULE(T5Dense);

struct T5LayerFFImpl : torch::nn::Module {
    explicit T5LayerFFImpl(const T5Config& c) {
        dense = register_module("DenseReluDense", T5Dense(c));
        norm = register_module("layer_norm", T5LayerNorm(c.d_model, c.layer_norm_epsilon));
    }
    torch::Tensor forward(const torch::Tensor& h) { return h + dense->forward(norm->forward(h)); }
    T5Dense dense{nullptr};
    T5LayerNorm norm{nullptr};
};
TORCH_MODULE(T5LayerFF);

// T5Block clamps float16 activations so that inf does not propagate.
torch::Tensor clampHalf(const torch::Tensor& h) {
    if (h.scalar_type() != torch::kHalf) return h;
    const double max = 65504.0;
    const double clampValue = torch::isinf(h).any().item<bool>() ? max - 1000 : max;
    return torch::clamp(h, -clampValue, clampValue);
}

struct T5BlockImpl : torch::nn::Module {
    T5BlockImpl(const T5Config& c, bool hasRelativeBias) {
        selfAttention = T5LayerSelfAttention(c, hasRelativeBias);
        feedForward = T5LayerFF(c);
        layer = register_module("layer", torch::nn::ModuleList(selfAttention, feedForward));
    }
    torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& positionBias) {
        auto x = clampHalf(selfAttention->forward(h, positionBias));
        return clampHalf(feedForward->forward(x));
    }
    torch::nn::ModuleList layer{nullptr};
    T5LayerSelfAttention selfAttention{nullptr}; // the same modules, typed
    T5LayerFF feedForward{nullptr};
};
TORCH_MODULE(T5Block);

} // namespace

// The "encoder" submodule (T5Stack without its tied embed_tokens).
struct T5StackImpl : torch::nn::Module {
    explicit T5StackImpl(const T5Config& c) {
        block = register_module("block", torch::nn::ModuleList());
        for (int64_t i = 0; i < c.num_layers; ++i) {
            blocks.push_back(T5Block(c, /*hasRelativeBias=*/i == 0));
            block->push_back(blocks.back());
        }
        finalLayerNorm =
            register_module("final_layer_norm", T5LayerNorm(c.d_model, c.layer_norm_epsilon));
    }
    torch::nn::ModuleList block{nullptr};
    std::vector<T5Block> blocks;
    T5LayerNorm finalLayerNorm{nullptr};
};

torch::Tensor t5RelativePositionBuckets(int64_t queryLength, int64_t keyLength, int64_t numBuckets,
                                        int64_t maxDistance, const torch::Device& device) {
    auto opts = torch::TensorOptions().dtype(torch::kLong).device(device);
    auto context = torch::arange(queryLength, opts).unsqueeze(1);
    auto memory = torch::arange(keyLength, opts).unsqueeze(0);
    auto relative = memory - context;
    // Same float32 op order as the reference, so bucket boundaries truncate identically.
    const int64_t half = numBuckets / 2;
    auto result = (relative > 0).to(torch::kLong) * half;
    auto distance = relative.abs();
    const int64_t maxExact = half / 2;
    auto isSmall = distance < maxExact;
    auto large = (torch::log(distance.to(torch::kFloat32) / maxExact) /
                  std::log(static_cast<double>(maxDistance) / static_cast<double>(maxExact)) *
                  (half - maxExact))
                     .to(torch::kLong) +
                 maxExact;
    large = torch::min(large, torch::full_like(large, half - 1));
    return result + torch::where(isSmall, distance, large);
}

bool T5Config::isGated() const {
    return feed_forward_proj.rfind("gated-", 0) == 0;
}

std::string T5Config::activation() const {
    if (feed_forward_proj == "gated-gelu")
        return "gelu_new"; // transformers' T5Config does this for backwards compatibility
    return isGated() ? feed_forward_proj.substr(6) : feed_forward_proj;
}

void T5Config::validate() const {
    auto positive = [](const char* name, int64_t v) {
        if (v <= 0)
            throw std::runtime_error(std::string("T5 config: '") + name +
                                     "' must be positive, got " + std::to_string(v));
    };
    positive("vocab_size", vocab_size);
    positive("d_model", d_model);
    positive("d_kv", d_kv);
    positive("d_ff", d_ff);
    positive("num_layers", num_layers);
    positive("num_heads", num_heads);
    positive("relative_attention_max_distance", relative_attention_max_distance);
    // Half the buckets per direction, half of those exact: fewer than 4 leaves no log range.
    if (relative_attention_num_buckets < 4)
        throw std::runtime_error(
            "T5 config: 'relative_attention_num_buckets' must be at least 4, got " +
            std::to_string(relative_attention_num_buckets));
    if (relative_attention_max_distance <= relative_attention_num_buckets / 4)
        throw std::runtime_error(
            "T5 config: 'relative_attention_max_distance' must exceed num_buckets / 4");
    if (!(layer_norm_epsilon > 0) || !std::isfinite(layer_norm_epsilon))
        throw std::runtime_error("T5 config: 'layer_norm_epsilon' must be positive");
    const std::string act = activation();
    const auto dashes = std::count(feed_forward_proj.begin(), feed_forward_proj.end(), '-');
    if (dashes > 1 || (dashes == 1 && !isGated()) ||
        (act != "relu" && act != "gelu" && act != "gelu_new" && act != "gelu_pytorch_tanh" &&
         act != "silu" && act != "swish"))
        throw std::runtime_error("T5 config: unsupported 'feed_forward_proj' \"" +
                                 feed_forward_proj +
                                 "\" (expected [gated-]{relu,gelu,gelu_new,silu})");
}

T5Config T5Config::fromJson(const nlohmann::json& j) {
    T5Config c;
    c.vocab_size = field<int64_t>(j, "vocab_size");
    c.d_model = field<int64_t>(j, "d_model");
    c.d_kv = field<int64_t>(j, "d_kv");
    c.d_ff = field<int64_t>(j, "d_ff");
    c.num_layers = field<int64_t>(j, "num_layers");
    c.num_heads = field<int64_t>(j, "num_heads");
    c.relative_attention_num_buckets = field<int64_t>(j, "relative_attention_num_buckets");
    c.relative_attention_max_distance = field<int64_t>(j, "relative_attention_max_distance");
    c.layer_norm_epsilon = field<double>(j, "layer_norm_epsilon");
    c.feed_forward_proj = field<std::string>(j, "feed_forward_proj");
    c.validate();
    return c;
}

T5EncoderModelImpl::T5EncoderModelImpl(const T5Config& config) : config_(config) {
    config_.validate();
    shared_ = register_module("shared", torch::nn::Embedding(config_.vocab_size, config_.d_model));
    encoder_ = register_module("encoder", std::make_shared<T5StackImpl>(config_));
}

torch::Tensor T5EncoderModelImpl::forward(const torch::Tensor& ids, const torch::Tensor& mask,
                                          std::vector<torch::Tensor>* hiddenStates) {
    if (!ids.defined() || ids.dim() != 2 || ids.is_floating_point() || ids.is_complex() ||
        ids.scalar_type() == torch::kBool)
        throw std::invalid_argument(
            "T5 encoder: input ids must be a [batch, length] integer tensor");
    const int64_t batch = ids.size(0), length = ids.size(1);
    if (mask.defined() && mask.sizes() != ids.sizes())
        throw std::invalid_argument("T5 encoder: attention mask shape " + c10::str(mask.sizes()) +
                                    " differs from input ids shape " + c10::str(ids.sizes()));
    const auto& table = shared_->weight;
    auto tokens = ids.to(table.device(), torch::kLong);
    if (tokens.numel() > 0) {
        const int64_t lo = tokens.min().item<int64_t>(), hi = tokens.max().item<int64_t>();
        if (lo < 0 || hi >= config_.vocab_size)
            throw std::invalid_argument("T5 encoder: token id " + std::to_string(lo < 0 ? lo : hi) +
                                        " is outside [0, " + std::to_string(config_.vocab_size) +
                                        ")");
    }
    if (hiddenStates) hiddenStates->clear();

    auto h = shared_->forward(tokens); // not scaled: T5 has no embedding scale
    const auto dtype = h.scalar_type();

    // get_extended_attention_mask: (1 - mask) * finfo(dtype).min, broadcast over heads and
    // queries; added to block 0's relative-position bias once, reused by every block.
    auto keep =
        mask.defined() ? mask.to(table.device(), dtype) : torch::ones({batch, length}, h.options());
    double minValue = 0;
    AT_DISPATCH_FLOATING_TYPES_AND2(torch::kHalf, torch::kBFloat16, dtype, "t5_mask_min", [&] {
        minValue = static_cast<double>(std::numeric_limits<scalar_t>::lowest());
    });
    auto additive = ((1.0 - keep) * minValue).view({batch, 1, 1, length});
    auto positionBias = encoder_->blocks.front()
                            ->selfAttention->attention->computeBias(length, table.device())
                            .to(dtype) +
                        additive;

    for (auto& block : encoder_->blocks) {
        if (hiddenStates) hiddenStates->push_back(h);
        h = block->forward(h, positionBias);
    }
    h = encoder_->finalLayerNorm->forward(h);
    if (hiddenStates) hiddenStates->push_back(h);
    return h;
}

} // namespace moodsteer::models
