#include "models/Encodec.h"

#include "Seanet.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace moodsteer::models {

namespace {

using nlohmann::json;

[[noreturn]] void fieldError(const std::string& field, const std::string& why) {
    throw std::invalid_argument("EncodecConfig: field '" + field + "' " + why);
}

const json* member(const json& j, const char* name) {
    auto it = j.find(name);
    return it == j.end() || it->is_null() ? nullptr : &*it;
}

int64_t getInt(const json& j, const char* name, int64_t def) {
    const json* v = member(j, name);
    if (!v) return def;
    if (!v->is_number_integer()) fieldError(name, "must be an integer, got " + v->dump());
    return v->get<int64_t>();
}

double getDouble(const json& j, const char* name, double def) {
    const json* v = member(j, name);
    if (!v) return def;
    if (!v->is_number()) fieldError(name, "must be a number, got " + v->dump());
    return v->get<double>();
}

std::optional<double> getOptionalDouble(const json& j, const char* name) {
    if (!member(j, name)) return std::nullopt;
    return getDouble(j, name, 0.0);
}

bool getBool(const json& j, const char* name, bool def) {
    const json* v = member(j, name);
    if (!v) return def;
    if (!v->is_boolean()) fieldError(name, "must be true or false, got " + v->dump());
    return v->get<bool>();
}

std::string getString(const json& j, const char* name, const std::string& def) {
    const json* v = member(j, name);
    if (!v) return def;
    if (!v->is_string()) fieldError(name, "must be a string, got " + v->dump());
    return v->get<std::string>();
}

template <class T, class Check>
std::vector<T> getList(const json& j, const char* name, std::vector<T> def, Check isElement) {
    const json* v = member(j, name);
    if (!v) return def;
    if (!v->is_array()) fieldError(name, "must be a list, got " + v->dump());
    std::vector<T> out;
    for (const auto& e : *v) {
        if (!isElement(e)) fieldError(name, "has a bad element " + e.dump());
        out.push_back(e.get<T>());
    }
    return out;
}

/// Python's float floor division (a // b), which transformers uses for the layer count.
double pyFloorDiv(double a, double b) {
    double mod = std::fmod(a, b);
    double div = (a - mod) / b;
    if (mod != 0.0 && ((b < 0) != (mod < 0))) div -= 1.0;
    if (div == 0.0) return std::copysign(0.0, a / b);
    double floored = std::floor(div);
    if (div - floored > 0.5) floored += 1.0;
    return floored;
}

std::string shapeOf(const torch::Tensor& t) {
    std::ostringstream s;
    s << t.sizes();
    return s.str();
}

} // namespace

// ------------------------------------------------------------------------------ EncodecConfig

EncodecConfig EncodecConfig::fromJson(const json& j) {
    if (!j.is_object())
        throw std::invalid_argument("EncodecConfig: expected a JSON object (config.json "
                                    "\"audio_encoder\")");
    EncodecConfig c;
    c.sampling_rate = getInt(j, "sampling_rate", c.sampling_rate);
    c.audio_channels = getInt(j, "audio_channels", c.audio_channels);
    c.num_filters = getInt(j, "num_filters", c.num_filters);
    c.num_residual_layers = getInt(j, "num_residual_layers", c.num_residual_layers);
    c.kernel_size = getInt(j, "kernel_size", c.kernel_size);
    c.last_kernel_size = getInt(j, "last_kernel_size", c.last_kernel_size);
    c.residual_kernel_size = getInt(j, "residual_kernel_size", c.residual_kernel_size);
    c.dilation_growth_rate = getInt(j, "dilation_growth_rate", c.dilation_growth_rate);
    c.compress = getInt(j, "compress", c.compress);
    c.num_lstm_layers = getInt(j, "num_lstm_layers", c.num_lstm_layers);
    c.codebook_size = getInt(j, "codebook_size", c.codebook_size);
    c.hidden_size = getInt(j, "hidden_size", c.hidden_size);
    c.codebook_dim = getInt(j, "codebook_dim", c.hidden_size); // null -> hidden_size upstream
    c.upsampling_ratios = getList<int64_t>(j, "upsampling_ratios", c.upsampling_ratios,
                                           [](const json& e) { return e.is_number_integer(); });
    c.target_bandwidths = getList<double>(j, "target_bandwidths", c.target_bandwidths,
                                          [](const json& e) { return e.is_number(); });
    c.use_causal_conv = getBool(j, "use_causal_conv", c.use_causal_conv);
    c.use_conv_shortcut = getBool(j, "use_conv_shortcut", c.use_conv_shortcut);
    c.normalize = getBool(j, "normalize", c.normalize);
    c.pad_mode = getString(j, "pad_mode", c.pad_mode);
    c.norm_type = getString(j, "norm_type", c.norm_type);
    c.trim_right_ratio = getDouble(j, "trim_right_ratio", c.trim_right_ratio);
    c.chunk_length_s = getOptionalDouble(j, "chunk_length_s");
    c.overlap = getOptionalDouble(j, "overlap");
    c.validate();
    return c;
}

void EncodecConfig::validate() const {
    auto positive = [](const char* name, int64_t v) {
        if (v <= 0) fieldError(name, "must be positive, got " + std::to_string(v));
    };
    positive("sampling_rate", sampling_rate);
    positive("num_filters", num_filters);
    positive("kernel_size", kernel_size);
    positive("last_kernel_size", last_kernel_size);
    positive("residual_kernel_size", residual_kernel_size);
    positive("dilation_growth_rate", dilation_growth_rate);
    positive("compress", compress);
    positive("num_lstm_layers", num_lstm_layers);
    positive("codebook_size", codebook_size);
    positive("hidden_size", hidden_size);
    if (audio_channels != 1 && audio_channels != 2)
        fieldError("audio_channels", "must be 1 or 2, got " + std::to_string(audio_channels));
    if (num_residual_layers < 0) fieldError("num_residual_layers", "must not be negative");
    if (num_filters / compress <= 0)
        fieldError("compress", "leaves residual blocks without channels (num_filters " +
                                   std::to_string(num_filters) + ")");
    if (codebook_dim != hidden_size)
        fieldError("codebook_dim", "must equal hidden_size (" + std::to_string(hidden_size) +
                                       "): the quantizer has no projection, got " +
                                       std::to_string(codebook_dim));
    if (upsampling_ratios.empty() || upsampling_ratios.size() > 16)
        fieldError("upsampling_ratios", "must list 1 to 16 ratios");
    for (int64_t r : upsampling_ratios)
        positive("upsampling_ratios", r);
    if (target_bandwidths.empty()) fieldError("target_bandwidths", "must not be empty");
    for (double b : target_bandwidths)
        if (!(b > 0.0) || !std::isfinite(b))
            fieldError("target_bandwidths", "must hold positive numbers");
    if (numQuantizerLayers() < 1)
        fieldError("target_bandwidths",
                   "gives no quantizer layer at frame rate " + std::to_string(frameRate()));
    if (pad_mode != "reflect" && pad_mode != "constant" && pad_mode != "replicate" &&
        pad_mode != "circular")
        fieldError("pad_mode",
                   "must be reflect, constant, replicate or circular, got '" + pad_mode + "'");
    if (norm_type != "weight_norm" && norm_type != "none")
        fieldError("norm_type", "'" + norm_type + "' is not supported (weight_norm or none)");
    if (!(trim_right_ratio >= 0.0 && trim_right_ratio <= 1.0))
        fieldError("trim_right_ratio", "must be within [0, 1]");
    if (!use_causal_conv && trim_right_ratio != 1.0)
        fieldError("trim_right_ratio", "must be 1.0 for non-causal convolutions");
    if (normalize)
        fieldError("normalize", "true is not supported (no audio scales; MusicGen uses false)");
    if (chunk_length_s)
        fieldError("chunk_length_s", "is not supported (chunked codec; MusicGen uses null)");
}

int64_t EncodecConfig::hopLength() const {
    int64_t hop = 1;
    for (int64_t r : upsampling_ratios)
        hop *= r;
    return hop;
}

double EncodecConfig::frameRate() const {
    return std::ceil(static_cast<double>(sampling_rate) / static_cast<double>(hopLength()));
}

int64_t EncodecConfig::numQuantizerLayers() const {
    return static_cast<int64_t>(pyFloorDiv(1000.0 * target_bandwidths.back(), frameRate() * 10));
}

int64_t EncodecConfig::numQuantizers(double bandwidth) const {
    int64_t n = numQuantizerLayers();
    if (bandwidth > 0.0) {
        const double perQuantizer = std::log2(static_cast<double>(codebook_size)) * frameRate();
        n = std::min<int64_t>(n, std::max<int64_t>(1, static_cast<int64_t>(std::floor(
                                                          bandwidth * 1000 / perQuantizer))));
    }
    return n;
}

// ---------------------------------------------------------------------------- EncodecModel

EncodecModelImpl::EncodecModelImpl(const EncodecConfig& config) : config_(config) {
    config_.validate();
    encoder_ = register_module("encoder", std::make_shared<seanet::SeanetEncoderImpl>(config_));
    decoder_ = register_module("decoder", std::make_shared<seanet::SeanetDecoderImpl>(config_));
    quantizer_ = register_module("quantizer",
                                 std::make_shared<seanet::ResidualVectorQuantizerImpl>(config_));
}

std::vector<std::string> EncodecModelImpl::unusedKeyPatterns() {
    return {R"((.*\.)?quantizer\.layers\.[0-9]+\.codebook\.(embed_avg|cluster_size|inited))"};
}

torch::Tensor EncodecModelImpl::encodeEmbeddings(const torch::Tensor& wave) {
    if (wave.dim() != 3 || wave.size(1) != config_.audio_channels || wave.size(2) < 1 ||
        !wave.is_floating_point())
        throw std::invalid_argument("EncodecModel: waveform must be float [batch, " +
                                    std::to_string(config_.audio_channels) +
                                    " channels, samples >= 1], got " + shapeOf(wave));
    torch::NoGradGuard noGrad;
    return encoder_->forward(wave.to(torch::kFloat32));
}

torch::Tensor EncodecModelImpl::quantize(const torch::Tensor& emb, int64_t numQuantizers) {
    if (emb.dim() != 3 || emb.size(1) != config_.hidden_size)
        throw std::invalid_argument("EncodecModel: embeddings must be [batch, " +
                                    std::to_string(config_.hidden_size) + ", frames], got " +
                                    shapeOf(emb));
    if (numQuantizers < 1 || numQuantizers > quantizer_->numLayers())
        throw std::invalid_argument("EncodecModel: numQuantizers " + std::to_string(numQuantizers) +
                                    " outside [1, " + std::to_string(quantizer_->numLayers()) +
                                    "]");
    torch::NoGradGuard noGrad;
    return quantizer_->encode(emb.to(torch::kFloat32), numQuantizers);
}

torch::Tensor EncodecModelImpl::dequantize(const torch::Tensor& codes) {
    if (codes.dim() != 3 || codes.size(1) < 1 || codes.size(1) > quantizer_->numLayers())
        throw std::invalid_argument("EncodecModel: codes must be [batch, 1.." +
                                    std::to_string(quantizer_->numLayers()) +
                                    " codebooks, frames], got " + shapeOf(codes));
    if (codes.is_floating_point() || codes.is_complex() || codes.scalar_type() == torch::kBool)
        throw std::invalid_argument("EncodecModel: codes must be an integer tensor");
    if (codes.numel() > 0) {
        const int64_t lo = codes.min().item<int64_t>(), hi = codes.max().item<int64_t>();
        if (lo < 0 || hi >= config_.codebook_size)
            throw std::invalid_argument("EncodecModel: codes must lie in [0, codebook_size = " +
                                        std::to_string(config_.codebook_size) +
                                        "), got values in [" + std::to_string(lo) + ", " +
                                        std::to_string(hi) + "]");
    }
    torch::NoGradGuard noGrad;
    return quantizer_->decode(codes.to(torch::kInt64));
}

torch::Tensor EncodecModelImpl::encode(const torch::Tensor& wave) {
    auto emb = encodeEmbeddings(wave);
    return quantize(emb, config_.numQuantizers(config_.target_bandwidths.front()));
}

torch::Tensor EncodecModelImpl::decodeLatent(const torch::Tensor& latent) {
    if (latent.dim() != 3 || latent.size(1) != config_.hidden_size || latent.size(2) < 1)
        throw std::invalid_argument("EncodecModel: latent must be [batch, " +
                                    std::to_string(config_.hidden_size) + ", frames >= 1], got " +
                                    shapeOf(latent));
    torch::NoGradGuard noGrad;
    return decoder_->decode(latent.to(torch::kFloat32));
}

torch::Tensor EncodecModelImpl::decode(const torch::Tensor& codes) {
    return decodeLatent(dequantize(codes));
}

torch::Tensor EncodecModelImpl::decoderInputConv(const torch::Tensor& latent) {
    torch::NoGradGuard noGrad;
    return decoder_->inputConv(latent);
}

std::pair<torch::Tensor, EncodecModelImpl::LstmState>
EncodecModelImpl::decoderLstm(const torch::Tensor& x, const std::optional<LstmState>& state) {
    torch::NoGradGuard noGrad;
    return decoder_->lstm().forwardWithState(x, state);
}

torch::Tensor EncodecModelImpl::decoderUpsample(const torch::Tensor& x) {
    torch::NoGradGuard noGrad;
    return decoder_->upsample(x);
}

std::unique_ptr<SampleStream> EncodecModelImpl::decoderUpsampleStream() {
    return decoder_->upsampleStream();
}

FrameReach EncodecModelImpl::decoderInputConvReach() const {
    return decoder_->inputConvReach();
}

FrameReach EncodecModelImpl::decoderUpsampleReach() const {
    return decoder_->upsampleReach();
}

} // namespace moodsteer::models
