#include "models/LaraProxy.h"

#include <torch/torch.h>

namespace moodsteer::models {

LaraProxyImpl::LaraProxyImpl(const LaraProxyConfig& c) : config_(c) {
    queries_ = register_parameter("queries", torch::randn({c.num_queries, c.hidden_size}) * 0.02);
    inProj_ = register_module("in_proj", torch::nn::Linear(c.lm_hidden_size, c.hidden_size));
    layers_ = register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.num_layers; ++i)
        layers_->push_back(torch::nn::TransformerDecoderLayer(
            torch::nn::TransformerDecoderLayerOptions(c.hidden_size, c.num_heads)
                .dim_feedforward(4 * c.hidden_size)
                .dropout(0.0)));
    outProj_ = register_module("out_proj", torch::nn::Linear(c.hidden_size, c.feature_size));
}

torch::Tensor LaraProxyImpl::forward(const torch::Tensor& hidden) {
    const auto B = hidden.size(0);
    // torch::nn transformer layers are sequence-first: [T, B, E].
    auto memory = inProj_->forward(hidden).transpose(0, 1);
    auto x = queries_.unsqueeze(1).expand({config_.num_queries, B, config_.hidden_size});
    for (const auto& layer : *layers_)
        x = layer->as<torch::nn::TransformerDecoderLayer>()->forward(x, memory);
    return outProj_->forward(x.transpose(0, 1));
}

} // namespace moodsteer::models
