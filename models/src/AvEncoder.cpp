#include "models/AvEncoder.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace moodsteer::models {

AvEncoderConfig AvEncoderConfig::fromJson(const nlohmann::json& j) {
    AvEncoderConfig c;
    if (!j.contains("output_size"))
        throw std::runtime_error("av_encoder config: missing field 'output_size'");
    c.output_size = j.at("output_size").get<int64_t>();
    c.hidden_size = j.value("hidden_size", c.hidden_size);
    if (c.output_size <= 0 || c.hidden_size <= 0)
        throw std::runtime_error("av_encoder config: sizes must be positive");
    return c;
}

AvEncoderImpl::AvEncoderImpl(const AvEncoderConfig& c) {
    fc1 = register_module("fc1", torch::nn::Linear(2, c.hidden_size));
    fc2 = register_module("fc2", torch::nn::Linear(c.hidden_size, c.hidden_size));
    fc3 = register_module("fc3", torch::nn::Linear(c.hidden_size, c.output_size));
}

torch::Tensor AvEncoderImpl::forward(const torch::Tensor& va) {
    auto x = (va.to(torch::kFloat32) - 5.0) / 4.0;
    x = torch::silu(fc1(x));
    x = torch::silu(fc2(x));
    return fc3(x).unsqueeze(1);
}

} // namespace moodsteer::models
