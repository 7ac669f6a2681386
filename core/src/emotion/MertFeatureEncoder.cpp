#include "emotion/MertFeatureEncoder.h"

#include "core/audio/Resampler.h"
#include "core/emotion/EmotionFeatureCache.h"
#include "models/Mert.h"

#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace moodsteer {

struct MertFeatureEncoder::Impl {
    models::MertModel model{nullptr};
    std::string weights; ///< identifies the checkpoint, for the feature cache
};

MertFeatureEncoder::MertFeatureEncoder(const std::string& modelDir, int layer)
    : impl_(std::make_unique<Impl>()), layer_(layer) {
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
    if (layer < -1 || layer > layers)
        throw std::invalid_argument("mert encoder: layer " + std::to_string(layer) +
                                    " out of range (0.." + std::to_string(layers) +
                                    ", or -1 for the mean of layers 1.." + std::to_string(layers) +
                                    ")");
}

MertFeatureEncoder::~MertFeatureEncoder() = default;

std::string MertFeatureEncoder::signature() const {
    return AudioFeatureEncoder::signature() + "|mert " + impl_->weights;
}

int MertFeatureEncoder::sampleRate() const {
    return impl_->model->config().sample_rate;
}

double MertFeatureEncoder::frameRate() const {
    return static_cast<double>(sampleRate()) / impl_->model->config().hop();
}

int MertFeatureEncoder::featureSize() const {
    return static_cast<int>(impl_->model->config().hidden_size);
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
