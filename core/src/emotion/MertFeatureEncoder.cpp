#include "emotion/MertFeatureEncoder.h"

#include "core/audio/Resampler.h"
#include "core/emotion/EmotionFeatureCache.h"
#include "models/Mert.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace moodsteer {

struct MertFeatureEncoder::Impl {
    models::MertModel model{nullptr};
    std::string weights; ///< identifies the checkpoint, for the feature cache
};

MertFeatureEncoder::MertFeatureEncoder(const std::string& modelDir, int layer,
                                       std::vector<float> layerWeights)
    : impl_(std::make_unique<Impl>()), layer_(layer), weights_(std::move(layerWeights)) {
    if (modelDir.empty())
        throw std::invalid_argument("mert encoder: a model folder is needed (--model-dir)");
    impl_->model = models::loadMert(modelDir);
    // Config hash + weight file size: cheap, and a different checkpoint changes one of them.
    namespace fs = std::filesystem;
    std::error_code ec;
    const auto bytes = fs::file_size(fs::path(modelDir) / "model.safetensors", ec);
    impl_->weights =
        EmotionFeatureCache::contentHash((fs::path(modelDir) / "config.json").string()) + "|" +
        std::to_string(ec ? 0 : bytes);
    const int layers = static_cast<int>(impl_->model->config().num_hidden_layers);
    if (!weights_.empty()) {
        if (static_cast<int>(weights_.size()) != layers + 1)
            throw std::invalid_argument("mert encoder: " + std::to_string(weights_.size()) +
                                        " layer weights for a model with " +
                                        std::to_string(layers + 1) + " hidden states");
        double sum = 0;
        for (float w : weights_) {
            if (!std::isfinite(w) || w < 0)
                throw std::invalid_argument("mert encoder: layer weights must be finite and "
                                            "non-negative");
            sum += w;
        }
        if (std::abs(sum - 1) > 1e-3)
            throw std::invalid_argument("mert encoder: layer weights must sum to 1, got " +
                                        std::to_string(sum));
        layer_ = kMertWeightedLayers;
    } else if (layer == kMertWeightedLayers) {
        throw std::invalid_argument("mert encoder: a weighted mean of layers needs its weights");
    } else if ((layer < 0 && layer != kMertMeanLayers && layer != kMertAllLayers) ||
               layer > layers) {
        throw std::invalid_argument("mert encoder: layer " + std::to_string(layer) +
                                    " out of range (0.." + std::to_string(layers) +
                                    ", or -1 for the mean of layers 1.." + std::to_string(layers) +
                                    ")");
    }
}

MertFeatureEncoder::~MertFeatureEncoder() = default;

std::string MertFeatureEncoder::signature() const {
    std::string s = AudioFeatureEncoder::signature() + "|mert " + impl_->weights;
    for (float w : weights_) {
        char buf[32];
        std::snprintf(buf, sizeof buf, " %.9g", w);
        s += buf;
    }
    return s;
}

int MertFeatureEncoder::sampleRate() const {
    return impl_->model->config().sample_rate;
}

double MertFeatureEncoder::frameRate() const {
    return static_cast<double>(sampleRate()) / impl_->model->config().hop();
}

int MertFeatureEncoder::layerCount() const {
    return layer_ == kMertAllLayers ? static_cast<int>(impl_->model->config().num_hidden_layers + 1)
                                    : 1;
}

int MertFeatureEncoder::featureSize() const {
    const auto& c = impl_->model->config();
    const auto hidden = static_cast<int>(c.hidden_size);
    return layer_ == kMertAllLayers ? hidden * static_cast<int>(c.num_hidden_layers + 1) : hidden;
}

double MertFeatureEncoder::minimumSeconds() const {
    // Receptive field: the smallest n with framesFor(n) == 1 (400 samples for MERT).
    const auto& c = impl_->model->config();
    int64_t n = 1;
    for (std::size_t i = c.conv_kernel.size(); i-- > 0;)
        n = (n - 1) * c.conv_stride[i] + c.conv_kernel[i];
    return static_cast<double>(n) / sampleRate();
}

FrameFeatures MertFeatureEncoder::encode(const AudioBuffer& input) const {
    if (input.sampleRate <= 0)
        throw std::invalid_argument("mert encoder: invalid sample rate " +
                                    std::to_string(input.sampleRate));
    for (float s : input.samples)
        if (!std::isfinite(s))
            throw std::invalid_argument("mert encoder: audio contains NaN or Inf samples");
    const AudioBuffer audio = Resampler::resample(input, sampleRate());
    const auto& cfg = impl_->model->config();
    if (cfg.framesFor(static_cast<int64_t>(audio.samples.size())) < 1)
        throw std::invalid_argument("mert encoder: clip of " + std::to_string(input.seconds()) +
                                    " s is shorter than the receptive field (" +
                                    std::to_string(minimumSeconds()) + " s)");
    torch::InferenceMode guard;
    auto wave = torch::from_blob(const_cast<float*>(audio.samples.data()),
                                 {1, static_cast<int64_t>(audio.samples.size())}, torch::kFloat32);
    auto out = impl_->model->forward(models::MertModelImpl::normalize(wave), false);
    torch::Tensor h;
    if (layer_ >= 0) {
        h = out.hiddenStates[layer_];
    } else if (layer_ == kMertAllLayers) {
        h = torch::cat(out.hiddenStates, -1);
    } else if (layer_ == kMertWeightedLayers) {
        h = torch::zeros_like(out.hiddenStates[0]);
        for (std::size_t l = 0; l < weights_.size(); ++l)
            h.add_(out.hiddenStates[l], weights_[l]);
    } else {
        auto all = torch::stack(
            std::vector<torch::Tensor>(out.hiddenStates.begin() + 1, out.hiddenStates.end()));
        h = all.mean(0);
    }
    h = h.squeeze(0).contiguous().to(torch::kFloat32);
    FrameFeatures m;
    m.frames = static_cast<int>(h.size(0));
    m.dims = static_cast<int>(h.size(1));
    m.data.resize(static_cast<std::size_t>(h.numel()));
    std::memcpy(m.data.data(), h.data_ptr<float>(), m.data.size() * sizeof(float));
    return m;
}

} // namespace moodsteer
