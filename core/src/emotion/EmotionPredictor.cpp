#include "core/emotion/EmotionPredictor.h"

#include "core/emotion/DefaultEmotionHead.h"
#include "core/hub/ModelLocator.h"

#include "core/emotion/LoudnessMeter.h"
#include "emotion/EmotionPredictorImpl.h"
#include "models/Safetensors.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
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

std::string describeLayer(int layer) {
    if (layer == kMertWeightedLayers) return " weighted layers";
    if (layer == kMertMeanLayers) return " mean of layers";
    return " layer " + std::to_string(layer);
}

std::string describeEncoder(const std::string& encoder, int layer, int size) {
    return encoder + (encoder == "mert" ? describeLayer(layer) : "") + " (" + std::to_string(size) +
           " features)";
}

std::string joinWeights(const std::vector<float>& w) {
    std::string s;
    for (float x : w) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.9g", x);
        if (!s.empty()) s += ",";
        s += buf;
    }
    return s;
}

std::vector<float> parseWeights(const std::string& text, const std::string& path) {
    std::vector<float> w;
    std::size_t at = 0;
    while (at <= text.size() && !text.empty()) {
        const auto end = std::min(text.find(',', at), text.size());
        const std::string item = text.substr(at, end - at);
        char* stop = nullptr;
        const float v = std::strtof(item.c_str(), &stop);
        if (item.empty() || *stop != '\0' || !std::isfinite(v))
            throw std::runtime_error("emotion head '" + path + "': metadata layer_weights '" +
                                     text + "' is not a list of numbers");
        w.push_back(v);
        at = end + 1;
    }
    return w;
}

bool sameWeights(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::abs(a[i] - b[i]) > 1e-6f) return false;
    return true;
}

} // namespace

std::map<std::string, std::string> headMetadata(const EmotionHeadInfo& info) {
    std::map<std::string, std::string> m = info.metadata;
    m["format"] = kFormat;
    m["format_version"] = "1";
    m["encoder"] = info.encoder;
    m["layer"] = std::to_string(info.layer);
    if (!info.layerWeights.empty()) m["layer_weights"] = joinWeights(info.layerWeights);
    char w[32];
    std::snprintf(w, sizeof w, "%.17g", info.windowSeconds);
    m["window_seconds"] = w;
    m["feature_size"] = std::to_string(info.featureSize);
    m["hidden_size"] = std::to_string(info.hiddenSize);
    m["head_kind"] = info.kind;
    std::snprintf(w, sizeof w, "%.17g", info.hopSeconds);
    m["hop_seconds"] = w;
    m["outputs"] = "valence,arousal (1..9)";
    return m;
}

bool isSilent(const AudioBuffer& audio) {
    float peak = 0;
    for (float s : audio.samples)
        peak = std::max(peak, std::abs(s));
    if (peak < 1e-5f) return true;
    return !(LoudnessMeter::integratedLoudness(audio) > LoudnessMeter::kSilenceLufs);
}

WindowedFeatures poolWindows(const AudioFeatureEncoder& encoder, const AudioBuffer& audio,
                             double windowSeconds, double hopSeconds) {
    if (!(windowSeconds > 0) || !std::isfinite(windowSeconds))
        throw std::invalid_argument("window length must be positive, got " +
                                    std::to_string(windowSeconds) + " s");
    if (hopSeconds == 0) hopSeconds = windowSeconds;
    if (!(hopSeconds > 0) || !(hopSeconds <= windowSeconds))
        throw std::invalid_argument("window hop must be in (0, window], got " +
                                    std::to_string(hopSeconds) + " s");
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
    // Level invariance by design: every clip is heard at the same integrated loudness.
    double lufs = 0;
    const AudioBuffer level =
        LoudnessMeter::normalised(audio, LoudnessMeter::kReferenceLufs, &lufs);
    if (!(lufs > LoudnessMeter::kSilenceLufs))
        throw std::invalid_argument("audio is silent (integrated loudness below -70 LUFS)");
    const std::size_t win =
        static_cast<std::size_t>(std::llround(windowSeconds * audio.sampleRate));
    const std::size_t hop = std::max<std::size_t>(
        1, static_cast<std::size_t>(std::llround(hopSeconds * audio.sampleRate)));
    const std::size_t n = audio.samples.size();
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    for (std::size_t b = 0; b + win <= n; b += hop)
        spans.emplace_back(b, b + win);
    const std::size_t covered = spans.empty() ? 0 : spans.back().second;
    if (spans.empty())
        spans.emplace_back(0, n);
    else if (n - covered >= hop / 2 && (n - covered) >= encoder.minimumSeconds() * audio.sampleRate)
        spans.emplace_back(hop < win ? n - win : covered, n); // overlapping: a full last window
    WindowedFeatures out;
    out.integratedLufs = lufs;
    for (const auto& [b, e] : spans) {
        AudioBuffer w;
        w.sampleRate = audio.sampleRate;
        w.samples.assign(level.samples.begin() + b, level.samples.begin() + e);
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
    auto impl = std::make_unique<EmotionPredictor::Impl>();
    std::string kind = "mlp";
    try {
        // The kind is in the metadata; an MLP file (format version 1) has none.
        const auto header = models::SafetensorsReader::open(path);
        if (header.find("member.0.weight")) kind = "ridge";
        if (kind == "ridge")
            impl->ridge = RidgeEmotionHead::load(path, &meta);
        else
            impl->head = models::loadEmotionHead(path, &meta);
    } catch (const std::exception& e) {
        throw std::runtime_error("cannot load emotion head '" + path + "': " + e.what());
    }
    if (meta.count("format") == 0 || meta.at("format") != kFormat)
        throw std::runtime_error("'" + path + "' is not a MoodSteer emotion head (metadata " +
                                 "'format' is not '" + kFormat + "')");
    auto& info = impl->info;
    info.kind = kind;
    info.encoder = need(meta, "encoder", path);
    info.layer = static_cast<int>(number(meta, "layer", path));
    if (meta.count("layer_weights"))
        info.layerWeights = parseWeights(meta.at("layer_weights"), path);
    if ((info.layer == kMertWeightedLayers) != !info.layerWeights.empty())
        throw std::runtime_error("emotion head '" + path +
                                 "': layer_weights must be given exactly for weighted layers");
    info.windowSeconds = number(meta, "window_seconds", path);
    info.hopSeconds =
        meta.count("hop_seconds") ? number(meta, "hop_seconds", path) : info.windowSeconds;
    info.featureSize = static_cast<int>(number(meta, "feature_size", path));
    info.metadata = meta;
    const int inputSize =
        kind == "ridge" ? impl->ridge->featureSize : static_cast<int>(impl->head->inputSize());
    if (kind == "ridge") {
        info.hiddenSize = 0;
        info.members = static_cast<int>(impl->ridge->members.size());
        info.valencePredictable =
            meta.count("valence_predictable") == 0 || meta.at("valence_predictable") != "false";
        info.arousalPredictable =
            meta.count("arousal_predictable") == 0 || meta.at("arousal_predictable") != "false";
    } else {
        info.hiddenSize = static_cast<int>(impl->head->hiddenSize());
    }
    if (info.featureSize != inputSize)
        throw std::runtime_error("emotion head '" + path + "': metadata feature_size " +
                                 std::to_string(info.featureSize) + " but the head takes " +
                                 std::to_string(inputSize) + " features");
    if (!(info.windowSeconds > 0) || !(info.hopSeconds > 0) || info.hopSeconds > info.windowSeconds)
        throw std::runtime_error(
            "emotion head '" + path +
            "': window_seconds and hop_seconds must be positive, hop <= window");
    return impl;
}

EmotionPredictor EmotionPredictor::load(const std::string& headPath, const std::string& modelDir) {
    auto impl = loadHead(headPath);
    // A MERT head names its model (metadata mert_model): used when no folder is given.
    std::string folder;
    if (impl->info.encoder == "mert")
        folder = modelDir.empty() ? emotionHeadModelFolder(impl->info, headPath)
                                  : ModelLocator().resolve(modelDir).folder;
    std::shared_ptr<const AudioFeatureEncoder> enc =
        makeFeatureEncoder(impl->info.encoder, folder, impl->info.layer, impl->info.layerWeights);
    return load(headPath, enc);
}

EmotionPredictor EmotionPredictor::load(const std::string& headPath,
                                        std::shared_ptr<const AudioFeatureEncoder> encoder) {
    if (!encoder) throw std::invalid_argument("emotion head '" + headPath + "': no encoder given");
    auto impl = loadHead(headPath);
    const auto& info = impl->info;
    if (info.encoder != encoder->name() || info.featureSize != encoder->featureSize() ||
        (info.encoder == "mert" && (info.layer != encoder->layer() ||
                                    !sameWeights(info.layerWeights, encoder->layerWeights()))))
        throw std::invalid_argument(
            "emotion head '" + headPath + "' was trained on " +
            describeEncoder(info.encoder, info.layer, info.featureSize) + " but the encoder is " +
            describeEncoder(encoder->name(), encoder->layer(), encoder->featureSize()));
    impl->encoder = std::move(encoder);
    return EmotionPredictor(std::move(impl));
}

ClipPrediction EmotionPredictor::predict(const AudioBuffer& audio) const {
    if (audio.sampleRate > 0 && !audio.samples.empty() && isSilent(audio)) {
        // Nothing to judge: the training mean with an uncertainty spanning the scale, flagged.
        ClipPrediction p;
        if (impl_->ridge) {
            p.valence = impl_->ridge->targetMean[0];
            p.arousal = impl_->ridge->targetMean[1];
        }
        p.valenceSd = p.arousalSd = 4.0;
        p.outOfDistribution = true;
        p.oodScore = std::numeric_limits<double>::infinity();
        p.flags = {kFlagSilent, kFlagOutOfDistribution};
        p.valencePredictable = impl_->info.valencePredictable;
        p.arousalPredictable = impl_->info.arousalPredictable;
        p.head = describe(impl_->info);
        return p;
    }
    auto p = predict(
        poolWindows(*impl_->encoder, audio, impl_->info.windowSeconds, impl_->info.hopSeconds));
    if (audio.seconds() < impl_->info.windowSeconds) p.flags.push_back(kFlagShort);
    return p;
}

ClipPrediction EmotionPredictor::predict(const WindowedFeatures& wf) const {
    const int n = static_cast<int>(wf.features.size());
    if (n == 0) throw std::invalid_argument("no windows to predict from");
    const int f = impl_->info.featureSize;
    for (int i = 0; i < n; ++i)
        if (static_cast<int>(wf.features[i].size()) != f)
            throw std::invalid_argument("window " + std::to_string(i) + " has " +
                                        std::to_string(wf.features[i].size()) +
                                        " features, the head expects " + std::to_string(f));
    std::vector<WindowPrediction> raw(n);
    for (int i = 0; i < n; ++i) {
        raw[i].startSeconds = i < static_cast<int>(wf.startSeconds.size()) ? wf.startSeconds[i] : 0;
        raw[i].endSeconds = i < static_cast<int>(wf.endSeconds.size()) ? wf.endSeconds[i] : 0;
    }
    if (impl_->ridge) {
        const auto& h = *impl_->ridge;
        for (int i = 0; i < n; ++i) {
            const auto o = h.predictWindow(wf.features[i]);
            // Expected error: the ensemble's disagreement plus the cross-validated error,
            // widened in proportion to how far outside the training data the window lies.
            const double widen = std::max(1.0, o.oodScore);
            raw[i].valence = o.valence;
            raw[i].arousal = o.arousal;
            // Capped at 4, half the scale: beyond that it only says "anything".
            raw[i].valenceSd = std::min(4.0, widen * std::hypot(o.valenceSpread, h.residualSd[0]));
            raw[i].arousalSd = std::min(4.0, widen * std::hypot(o.arousalSpread, h.residualSd[1]));
            raw[i].oodScore = o.oodScore;
        }
    } else {
        auto x = torch::empty({n, f});
        for (int i = 0; i < n; ++i)
            std::memcpy(x[i].data_ptr<float>(), wf.features[i].data(), f * sizeof(float));
        torch::InferenceMode guard;
        impl_->head->eval();
        auto y = impl_->head->forward(x).to(torch::kFloat64).contiguous();
        const double* p = y.data_ptr<double>();
        const auto& m = impl_->info.metadata;
        const double sv =
            m.count("cv_rmse_valence") ? std::atof(m.at("cv_rmse_valence").c_str()) : 0;
        const double sa =
            m.count("cv_rmse_arousal") ? std::atof(m.at("cv_rmse_arousal").c_str()) : 0;
        for (int i = 0; i < n; ++i) {
            raw[i].valence = p[2 * i];
            raw[i].arousal = p[2 * i + 1];
            raw[i].valenceSd = sv;
            raw[i].arousalSd = sa;
        }
    }
    ClipPrediction out;
    out.valence = out.arousal = out.valenceSd = out.arousalSd = 0;
    std::vector<double> scores;
    for (int i = 0; i < n; ++i) {
        // 1-2-1 smoothing over neighbouring (overlapping) windows, renormalised at the ends.
        WindowPrediction w = raw[i];
        double sv = 2 * raw[i].valence, sa = 2 * raw[i].arousal, sw = 2;
        for (int j : {i - 1, i + 1})
            if (j >= 0 && j < n) sv += raw[j].valence, sa += raw[j].arousal, sw += 1;
        w.valence = std::clamp(sv / sw, 1.0, 9.0);
        w.arousal = std::clamp(sa / sw, 1.0, 9.0);
        out.valence += w.valence / n;
        out.arousal += w.arousal / n;
        out.valenceSd += w.valenceSd / n;
        out.arousalSd += w.arousalSd / n;
        scores.push_back(w.oodScore);
        out.windows.push_back(w);
    }
    std::nth_element(scores.begin(), scores.begin() + n / 2, scores.end());
    out.oodScore = scores[n / 2];
    out.outOfDistribution = impl_->ridge && out.oodScore > 1.0;
    if (out.outOfDistribution) out.flags.push_back(kFlagOutOfDistribution);
    out.valencePredictable = impl_->info.valencePredictable;
    out.arousalPredictable = impl_->info.arousalPredictable;
    out.head = describe(impl_->info);
    return out;
}

std::string EmotionPredictor::describe(const EmotionHeadInfo& info) {
    const auto& m = info.metadata;
    auto get = [&](const char* k) { return m.count(k) ? m.at(k) : std::string("?"); };
    std::string s = info.kind + " head on " + info.encoder +
                    (info.encoder == "mert" ? describeLayer(info.layer) : "") + " features, " +
                    std::to_string(info.featureSize) + " inputs";
    if (info.members > 1) s += ", " + std::to_string(info.members) + " members";
    if (m.count("train_datasets")) s += "; trained on " + get("train_datasets");
    if (m.count("cv_protocol"))
        s += "; " + get("cv_protocol") + " on " + get("cv_dataset") + ": CCC valence " +
             get("cv_ccc_valence") + ", arousal " + get("cv_ccc_arousal");
    else if (m.count("cv_ccc_valence"))
        s += "; CV CCC valence " + get("cv_ccc_valence") + ", arousal " + get("cv_ccc_arousal");
    return s;
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
    if (impl_->ridge)
        impl_->ridge->save(path, meta);
    else
        models::saveEmotionHead(*impl_->head, path, meta);
}

} // namespace moodsteer
