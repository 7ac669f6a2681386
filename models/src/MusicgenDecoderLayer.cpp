#include "MusicgenDecoderLayer.h"

#include <ATen/ATen.h>

namespace moodsteer::models {
namespace {

torch::nn::LayerNorm layerNorm(const MusicgenDecoderConfig& c) {
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size})
                                    .eps(c.layer_norm_eps)
                                    .elementwise_affine(true));
}

torch::Tensor project(const ReducedLinear& fast, const torch::Tensor& x, const torch::Tensor& w) {
    if (fast.usable()) return fast(x);
    return at::linear(x, w);
}

} // namespace

MusicgenDecoderLayerImpl::MusicgenDecoderLayerImpl(const MusicgenDecoderConfig& c)
    : gelu_(c.activation_function == "gelu") {
    self_attn =
        register_module("self_attn", MusicgenAttention(c.hidden_size, c.num_attention_heads));
    self_attn_layer_norm = register_module("self_attn_layer_norm", layerNorm(c));
    encoder_attn =
        register_module("encoder_attn", MusicgenAttention(c.hidden_size, c.num_attention_heads));
    encoder_attn_layer_norm = register_module("encoder_attn_layer_norm", layerNorm(c));
    fc1 = register_module(
        "fc1", torch::nn::Linear(torch::nn::LinearOptions(c.hidden_size, c.ffn_dim).bias(false)));
    fc2 = register_module(
        "fc2", torch::nn::Linear(torch::nn::LinearOptions(c.ffn_dim, c.hidden_size).bias(false)));
    final_layer_norm = register_module("final_layer_norm", layerNorm(c));
}

torch::Tensor MusicgenDecoderLayerImpl::forward(const torch::Tensor& h, int layer,
                                                const CrossAttentionCache& cross, LayerKv* kv,
                                                int64_t past, const DecoderHooks* hooks) {
    auto attn = self_attn->selfAttention(self_attn_layer_norm(h), kv, past);
    if (hooks && hooks->onAttention) hooks->onAttention(layer, attn);
    auto x = h + attn;
    x = x + encoder_attn->crossAttention(encoder_attn_layer_norm(x), cross.k[layer], cross.v[layer],
                                         cross);
    auto inner = project(fastFc1_, final_layer_norm(x), fc1->weight);
    inner = gelu_ ? at::gelu(inner) : at::relu(inner); // gelu: the exact erf form
    return x + project(fastFc2_, inner, fc2->weight);
}

void MusicgenDecoderLayerImpl::setPrecision(WeightPrecision precision) {
    self_attn->setPrecision(precision, true);
    encoder_attn->setPrecision(precision, false);
    fastFc1_ = ReducedLinear(fc1->weight, precision);
    fastFc2_ = ReducedLinear(fc2->weight, precision);
}

int64_t MusicgenDecoderLayerImpl::releaseFloatWeights() {
    at::NoGradGuard noGrad;
    int64_t freed = self_attn->releaseFloatWeights(true) + encoder_attn->releaseFloatWeights(false);
    fastFc1_.releaseSources();
    fastFc2_.releaseSources();
    for (auto* w : {&fc1->weight, &fc2->weight}) {
        freed += w->numel();
        w->set_data(at::empty({0}, w->options()));
    }
    return freed;
}

void MusicgenDecoderLayerImpl::clearPrecision() {
    self_attn->clearPrecision();
    encoder_attn->clearPrecision();
    fastFc1_ = fastFc2_ = ReducedLinear();
}

bool MusicgenDecoderLayerImpl::decodeReady() const {
    for (const auto* norm : {&self_attn_layer_norm, &encoder_attn_layer_norm, &final_layer_norm})
        if ((*norm)->weight.scalar_type() != at::kFloat || !(*norm)->weight.is_contiguous() ||
            (*norm)->bias.scalar_type() != at::kFloat || !(*norm)->bias.is_contiguous())
            return false;
    return self_attn->decodeReady(true) && encoder_attn->decodeReady(false) && fastFc1_.current() &&
           fastFc2_.current();
}

double MusicgenDecoderLayerImpl::decodeBytes() const {
    return self_attn->decodeBytes() + encoder_attn->decodeBytes() + fastFc1_.bytes() +
           fastFc2_.bytes();
}

} // namespace moodsteer::models
