#include "models/AlignmentNet.h"

#include "models/StateDict.h"

#include <torch/torch.h>

#include <cmath>

namespace moodsteer::models {

AlignmentNetImpl::AlignmentNetImpl(const AlignmentNetConfig& c) : config_(c) {
    if (c.vocabSize < 2 || c.audioFeatures <= 0 || c.wordDim <= 0 || c.hidden <= 0 ||
        c.embedDim <= 0)
        throw std::invalid_argument("alignment model: sizes must be positive (vocabulary " +
                                    std::to_string(c.vocabSize) + ", audio features " +
                                    std::to_string(c.audioFeatures) + ")");
    words = register_module(
        "words", torch::nn::Embedding(torch::nn::EmbeddingOptions(c.vocabSize, c.wordDim)));
    text_fc1 = register_module("text_fc1", torch::nn::Linear(c.wordDim, c.hidden));
    text_fc2 = register_module("text_fc2", torch::nn::Linear(c.hidden, c.embedDim));
    audio_fc1 = register_module("audio_fc1", torch::nn::Linear(c.audioFeatures, c.hidden));
    audio_fc2 = register_module("audio_fc2", torch::nn::Linear(c.hidden, c.embedDim));
    dropout = register_module("dropout", torch::nn::Dropout(c.dropout));
    // CLIP's initial temperature 0.07.
    logit_scale = register_parameter("logit_scale", torch::full({1}, std::log(1.0 / 0.07)));
    feature_mean = register_buffer("feature_mean", torch::zeros({c.audioFeatures}));
    feature_std = register_buffer("feature_std", torch::ones({c.audioFeatures}));
}

torch::Tensor AlignmentNetImpl::encodeText(const torch::Tensor& ids) {
    const auto mask = (ids != kPad).to(torch::kFloat32).unsqueeze(-1);
    const auto count = mask.sum(1).clamp_min(1.0);
    auto x = (words(ids) * mask).sum(1) / count;
    x = text_fc2(dropout(torch::gelu(text_fc1(x))));
    return torch::nn::functional::normalize(x,
                                            torch::nn::functional::NormalizeFuncOptions().dim(1));
}

torch::Tensor AlignmentNetImpl::encodeAudio(const torch::Tensor& features) {
    auto x = (features - feature_mean) / feature_std;
    x = audio_fc2(dropout(torch::gelu(audio_fc1(dropout(x)))));
    return torch::nn::functional::normalize(x,
                                            torch::nn::functional::NormalizeFuncOptions().dim(1));
}

torch::Tensor AlignmentNetImpl::scale() const {
    return logit_scale.exp().clamp_max(100.0).squeeze();
}

void AlignmentNetImpl::setStandardisation(const torch::Tensor& mean, const torch::Tensor& std) {
    torch::NoGradGuard g;
    feature_mean.copy_(mean);
    feature_std.copy_(torch::where(std < 1e-6, torch::ones_like(std), std));
}

torch::Tensor symmetricInfoNce(const torch::Tensor& audio, const torch::Tensor& text,
                               const torch::Tensor& scale) {
    if (audio.dim() != 2 || text.dim() != 2 || audio.sizes() != text.sizes() || audio.size(0) < 1)
        throw std::invalid_argument("InfoNCE: audio and text embeddings must be (B, D) of one "
                                    "shape, got " +
                                    std::to_string(audio.dim()) + "-D and " +
                                    std::to_string(text.dim()) + "-D");
    const auto logits = scale * torch::matmul(audio, text.t());
    const auto target = torch::arange(audio.size(0), torch::kLong);
    namespace F = torch::nn::functional;
    return 0.5 * (F::cross_entropy(logits, target) + F::cross_entropy(logits.t(), target));
}

void saveAlignmentNet(AlignmentNetImpl& net, const std::string& path,
                      const std::map<std::string, std::string>& metadata, bool half) {
    SafetensorsWriter w;
    const auto dtype = half ? torch::kFloat16 : torch::kFloat32;
    for (const auto& p : net.named_parameters())
        addTensor(w, p.key(), p.value().detach().to(dtype));
    // The standardisation stays fp32: feature scales span orders of magnitude.
    for (const auto& b : net.named_buffers())
        addTensor(w, b.key(), b.value().to(torch::kFloat32));
    for (const auto& [k, v] : metadata)
        w.setMetadata(k, v);
    w.write(path);
}

AlignmentNet loadAlignmentNet(const std::string& path,
                              std::map<std::string, std::string>* metadata) {
    auto file = std::make_shared<const SafetensorsReader>(SafetensorsReader::open(path));
    const TensorInfo& emb = file->at("words.weight");
    const TensorInfo& a1 = file->at("audio_fc1.weight");
    const TensorInfo& t1 = file->at("text_fc1.weight");
    const TensorInfo& a2 = file->at("audio_fc2.weight");
    for (const auto* t : {&emb, &a1, &t1, &a2})
        if (t->shape.size() != 2)
            throw SafetensorsError("'" + path + "': tensor '" + t->name + "' must be 2-D");
    AlignmentNetConfig c;
    c.vocabSize = emb.shape[0];
    c.wordDim = emb.shape[1];
    c.audioFeatures = a1.shape[1];
    c.hidden = a1.shape[0];
    c.embedDim = a2.shape[0];
    if (t1.shape[0] != c.hidden)
        throw SafetensorsError("'" + path + "': text and audio hidden sizes differ");
    AlignmentNet net(c);
    StateDictLoader loader(file);
    loader.load(*net, "");
    loader.finish();
    if (!(net->feature_std > 0).all().item<bool>() ||
        !torch::isfinite(net->logit_scale).all().item<bool>())
        throw SafetensorsError("'" + path +
                               "': non-positive feature_std or non-finite logit_scale");
    net->eval();
    if (metadata) *metadata = file->metadata();
    return net;
}

} // namespace moodsteer::models
