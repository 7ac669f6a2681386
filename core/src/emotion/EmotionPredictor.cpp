#include "core/emotion/EmotionPredictor.h"

#include "emotion/EmotionPredictorImpl.h"

#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace moodsteer {
namespace {

constexpr const char* kFormat = "moodsteer-emotion-head";

std::string need(const std::map<std::string, std::string>& m, const std::string& key,
                 const std::string& path) {
    auto it = m.find(key);
    if (it == m.end())
        throw std::runtime_error("emotion head '" + path + "': metadata '" + key + "' is missing");
    return it->second;
}

double number(const std::map<std::string, std::string>& m, const std::string& key,
              const std::string& path) {
    const std::string v = need(m, key, path);
    try {
        std::size_t used = 0;
        const double d = std::stod(v, &used);
        if (used == v.size() && std::isfinite(d)) return d;
    } catch (const std::exception&) {
    }
    throw std::runtime_error("emotion head '" + path + "': metadata '" + key + "' = '" + v +
                             "' is not a number");
}

std::string describe(const std::string& encoder, int layer, int size) {
    return encoder + (encoder == "mert" ? " layer " + std::to_string(layer) : "") + " (" +
           std::to_string(size) + " features)";
}

} // namespace

std::map<std::string, std::string> headMetadata(const EmotionHeadInfo& info) {
    std::map<std::string, std::string> m = info.metadata;
    m["format"] = kFormat;
    m["format_version"] = "1";
    m["encoder"] = info.encoder;
    m["layer"] = std::to_string(info.layer);
    char w[32];
    std::snprintf(w, sizeof w, "%.17g", info.windowSeconds);
    m["window_seconds"] = w;
    m["feature_size"] = std::to_string(info.featureSize);
    m["hidden_size"] = std::to_string(info.hiddenSize);
    m["outputs"] = "valence,arousal (1..9)";
    return m;
}

WindowedFeatures poolWindows(const AudioFeatureEncoder& encoder, const AudioBuffer& audio,
                             double windowSeconds) {
    if (!(windowSeconds > 0) || !std::isfinite(windowSeconds))
        throw std::invalid_argument("window length must be positive, got " +
                                    std::to_string(windowSeconds) + " s");
    if (audio.sampleRate <= 0 || audio.samples.empty())
        throw std::invalid_argument("audio is empty");
    float peak = 0;
    for (float s : audio.samples) {
        if (!std::isfinite(s)) throw std::invalid_argument("audio contains NaN or Inf samples");
        peak = std::max(peak, std::abs(s));
    }
    if (peak < 1e-5f) throw std::invalid_argument("audio is silent (peak below -100 dBFS)");
    const double duration = audio.seconds();
    if (duration < encoder.minimumSeconds())
        throw std::invalid_argument(
            "audio of " + std::to_string(duration) + " s is too short for the " + encoder.name() +
            " encoder (needs " + std::to_string(encoder.minimumSeconds()) + " s)");
    const std::size_t win =
        static_cast<std::size_t>(std::llround(windowSeconds * audio.sampleRate));
    const std::size_t n = audio.samples.size();
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    for (std::size_t b = 0; b + win <= n; b += win)
        spans.emplace_back(b, b + win);
    const std::size_t covered = spans.empty() ? 0 : spans.back().second;
    if (spans.empty())
        spans.emplace_back(0, n);
    else if (n - covered >= win / 2 && (n - covered) >= encoder.minimumSeconds() * audio.sampleRate)
        spans.emplace_back(covered, n);
    WindowedFeatures out;
    for (const auto& [b, e] : spans) {
        AudioBuffer w;
        w.sampleRate = audio.sampleRate;
        w.samples.assign(audio.samples.begin() + b, audio.samples.begin() + e);
        out.features.push_back(encoder.encode(w).meanOverFrames());
        out.startSeconds.push_back(static_cast<double>(b) / audio.sampleRate);
        out.endSeconds.push_back(static_cast<double>(e) / audio.sampleRate);
    }
    return out;
}

EmotionPredictor::EmotionPredictor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EmotionPredictor::EmotionPredictor(EmotionPredictor&&) noexcept = default;
EmotionPredictor& EmotionPredictor::operator=(EmotionPredictor&&) noexcept = default;
EmotionPredictor::~EmotionPredictor() = default;

static std::unique_ptr<EmotionPredictor::Impl> loadHead(const std::string& path) {
    std::map<std::string, std::string> meta;
    models::EmotionHead head{nullptr};
    try {
        head = models::loadEmotionHead(path, &meta);
    } catch (const std::exception& e) {
        throw std::runtime_error("cannot load emotion head '" + path + "': " + e.what());
    }
    if (meta.count("format") == 0 || meta.at("format") != kFormat)
        throw std::runtime_error("'" + path + "' is not a MoodSteer emotion head (metadata " +
                                 "'format' is not '" + kFormat + "')");
    auto impl = std::make_unique<EmotionPredictor::Impl>();
    impl->head = head;
    auto& info = impl->info;
    info.encoder = need(meta, "encoder", path);
    info.layer = static_cast<int>(number(meta, "layer", path));
    info.windowSeconds = number(meta, "window_seconds", path);
    info.featureSize = static_cast<int>(number(meta, "feature_size", path));
    info.hiddenSize = static_cast<int>(head->hiddenSize());
    info.metadata = meta;
    if (info.featureSize != head->inputSize())
        throw std::runtime_error("emotion head '" + path + "': metadata feature_size " +
                                 std::to_string(info.featureSize) + " but fc1 takes " +
                                 std::to_string(head->inputSize()) + " features");
    if (!(info.windowSeconds > 0))
        throw std::runtime_error("emotion head '" + path + "': window_seconds must be positive");
    return impl;
}

EmotionPredictor EmotionPredictor::load(const std::string& headPath, const std::string& modelDir) {
    auto impl = loadHead(headPath);
    if (impl->info.encoder == "mert" && modelDir.empty())
        throw std::invalid_argument("emotion head '" + headPath +
                                    "' expects MERT features: give the MERT folder (--model-dir)");
    std::shared_ptr<const AudioFeatureEncoder> enc =
        makeFeatureEncoder(impl->info.encoder, modelDir, impl->info.layer);
    return load(headPath, enc);
}

EmotionPredictor EmotionPredictor::load(const std::string& headPath,
                                        std::shared_ptr<const AudioFeatureEncoder> encoder) {
    if (!encoder) throw std::invalid_argument("emotion head '" + headPath + "': no encoder given");
    auto impl = loadHead(headPath);
    const auto& info = impl->info;
    if (info.encoder != encoder->name() || info.featureSize != encoder->featureSize() ||
        (info.encoder == "mert" && info.layer != encoder->layer()))
        throw std::invalid_argument(
            "emotion head '" + headPath + "' was trained on " +
            describe(info.encoder, info.layer, info.featureSize) + " but the encoder is " +
            describe(encoder->name(), encoder->layer(), encoder->featureSize()));
    impl->encoder = std::move(encoder);
    return EmotionPredictor(std::move(impl));
}

ClipPrediction EmotionPredictor::predict(const AudioBuffer& audio) const {
    return predict(poolWindows(*impl_->encoder, audio, impl_->info.windowSeconds));
}

ClipPrediction EmotionPredictor::predict(const WindowedFeatures& wf) const {
    const int n = static_cast<int>(wf.features.size());
    if (n == 0) throw std::invalid_argument("no windows to predict from");
    const int f = impl_->info.featureSize;
    auto x = torch::empty({n, f});
    for (int i = 0; i < n; ++i) {
        if (static_cast<int>(wf.features[i].size()) != f)
            throw std::invalid_argument("window " + std::to_string(i) + " has " +
                                        std::to_string(wf.features[i].size()) +
                                        " features, the head expects " + std::to_string(f));
        std::memcpy(x[i].data_ptr<float>(), wf.features[i].data(), f * sizeof(float));
    }
    torch::InferenceMode guard;
    impl_->head->eval();
    auto y = impl_->head->forward(x).to(torch::kFloat64).contiguous();
    const double* p = y.data_ptr<double>();
    ClipPrediction out;
    out.valence = out.arousal = 0;
    for (int i = 0; i < n; ++i) {
        WindowPrediction w;
        w.startSeconds = i < static_cast<int>(wf.startSeconds.size()) ? wf.startSeconds[i] : 0;
        w.endSeconds = i < static_cast<int>(wf.endSeconds.size()) ? wf.endSeconds[i] : 0;
        w.valence = p[2 * i];
        w.arousal = p[2 * i + 1];
        out.valence += w.valence / n;
        out.arousal += w.arousal / n;
        out.windows.push_back(w);
    }
    return out;
}

EmotionHeadInfo EmotionPredictor::readInfo(const std::string& headPath) {
    return loadHead(headPath)->info;
}

const EmotionHeadInfo& EmotionPredictor::info() const {
    return impl_->info;
}
const AudioFeatureEncoder& EmotionPredictor::encoder() const {
    return *impl_->encoder;
}
std::shared_ptr<const AudioFeatureEncoder> EmotionPredictor::sharedEncoder() const {
    return impl_->encoder;
}

void EmotionPredictor::save(const std::string& path,
                            const std::map<std::string, std::string>& extraMetadata) const {
    auto meta = headMetadata(impl_->info);
    for (const auto& [k, v] : extraMetadata)
        meta[k] = v;
    models::saveEmotionHead(*impl_->head, path, meta);
}

} // namespace moodsteer
