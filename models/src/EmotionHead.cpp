#include "models/EmotionHead.h"

#include "models/StateDict.h"

#include <torch/torch.h>

namespace moodsteer::models {

EmotionHeadImpl::EmotionHeadImpl(int64_t inputSize, int64_t hiddenSize, double p)
    : inputSize_(inputSize), hiddenSize_(hiddenSize) {
    if (inputSize <= 0 || hiddenSize <= 0)
        throw std::invalid_argument("emotion head: sizes must be positive (input " +
                                    std::to_string(inputSize) + ", hidden " +
                                    std::to_string(hiddenSize) + ")");
    fc1 = register_module("fc1", torch::nn::Linear(inputSize, hiddenSize));
    fc2 = register_module("fc2", torch::nn::Linear(hiddenSize, hiddenSize));
    fc3 = register_module("fc3", torch::nn::Linear(hiddenSize, 2));
    dropout = register_module("dropout", torch::nn::Dropout(p));
    feature_mean = register_buffer("feature_mean", torch::zeros({inputSize}));
    feature_std = register_buffer("feature_std", torch::ones({inputSize}));
}

torch::Tensor EmotionHeadImpl::forward(const torch::Tensor& features) {
    auto x = (features - feature_mean) / feature_std;
    x = dropout(torch::gelu(fc1(x)));
    x = dropout(torch::gelu(fc2(x)));
    // tanh keeps predictions on the label scale: (x - 5) / 4 in (-1, 1).
    return 5.0 + 4.0 * torch::tanh(fc3(x));
}

void EmotionHeadImpl::setStandardisation(const torch::Tensor& mean, const torch::Tensor& std) {
    torch::NoGradGuard g;
    feature_mean.copy_(mean);
    feature_std.copy_(torch::where(std < 1e-6, torch::ones_like(std), std));
}

void saveEmotionHead(EmotionHeadImpl& head, const std::string& path,
                     const std::map<std::string, std::string>& metadata) {
    SafetensorsWriter w;
    for (const auto& p : head.named_parameters())
        addTensor(w, p.key(), p.value().to(torch::kFloat32));
    for (const auto& b : head.named_buffers())
        addTensor(w, b.key(), b.value().to(torch::kFloat32));
    for (const auto& [k, v] : metadata)
        w.setMetadata(k, v);
    w.write(path);
}

EmotionHead loadEmotionHead(const std::string& path, std::map<std::string, std::string>* metadata) {
    auto file = std::make_shared<const SafetensorsReader>(SafetensorsReader::open(path));
    const TensorInfo& w1 = file->at("fc1.weight");
    if (w1.shape.size() != 2)
        throw SafetensorsError("'" + path + "': tensor 'fc1.weight' must be 2-D");
    EmotionHead head(w1.shape[1], w1.shape[0]);
    StateDictLoader loader(file);
    loader.load(*head, "");
    loader.finish();
    if (!(head->feature_std > 0).all().item<bool>())
        throw SafetensorsError("'" + path + "': tensor 'feature_std' has non-positive entries");
    head->eval();
    if (metadata) *metadata = file->metadata();
    return head;
}

} // namespace moodsteer::models
