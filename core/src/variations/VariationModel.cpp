#include "variations/VariationModel.h"
#include "variations/AttentionCurveMaker.h"

#include "models/AtomicFile.h"
#include "models/Safetensors.h"
#include "models/StateDict.h"

#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace moodsteer::variations {

namespace fs = std::filesystem;

FieldTensors toTensors(const std::vector<SegmentFields>& segments) {
    if (segments.empty()) throw std::invalid_argument("toTensors: no segments");
    const auto B = static_cast<std::int64_t>(segments.size());
    const std::int64_t T = segments.front().frames;
    FieldTensors out;
    out.categorical = torch::empty({B, T, kNumFields}, torch::kLong);
    out.drums = torch::empty({B, T, kDrumBits}, torch::kFloat);
    out.globals = torch::empty({B, kNumGlobals}, torch::kLong);
    for (std::int64_t b = 0; b < B; ++b) {
        const auto& s = segments[static_cast<std::size_t>(b)];
        if (s.frames != T) throw std::invalid_argument("toTensors: segments of different lengths");
        std::memcpy(out.categorical[b].data_ptr<std::int64_t>(), s.categorical.data(),
                    s.categorical.size() * sizeof(std::int64_t));
        std::memcpy(out.drums[b].data_ptr<float>(), s.drums.data(), s.drums.size() * sizeof(float));
        for (int g = 0; g < kNumGlobals; ++g)
            out.globals[b][g] = s.globals[static_cast<std::size_t>(g)];
    }
    return out;
}

int paddedFrames(int frames) {
    return (frames + 7) / 8 * 8;
}

namespace {

std::string readText(const fs::path& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read '" + path.string() + "'");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void loadWeights(torch::nn::Module& module, const fs::path& file) {
    if (!fs::is_regular_file(file)) throw std::runtime_error("missing '" + file.string() + "'");
    try {
        auto reader = std::make_shared<models::SafetensorsReader>(
            models::SafetensorsReader::open(file.string()));
        models::StateDictLoader loader(reader);
        loader.load(module, "");
        loader.finish();
    } catch (const std::exception& e) {
        throw std::runtime_error("'" + file.string() + "': " + e.what());
    }
}

void saveWeights(const torch::nn::Module& module, const fs::path& file) {
    models::SafetensorsWriter w;
    // Half precision on disk keeps the shipped weights small; loading converts to f32.
    for (const auto& p : module.named_parameters())
        models::addTensor(w, p.key(), p.value().detach().to(torch::kFloat16));
    for (const auto& b : module.named_buffers())
        models::addTensor(w, b.key(), b.value());
    w.setMetadata("format", "pt");
    w.write(file.string());
}

std::int64_t countParameters(const torch::nn::Module& m) {
    std::int64_t n = 0;
    for (const auto& p : m.parameters())
        n += p.numel();
    return n;
}

} // namespace

VariationModel VariationModel::load(const std::string& folder, bool needDiffusion) {
    const fs::path dir(folder);
    const auto configPath = dir / kConfigFile;
    nlohmann::json config;
    try {
        config = nlohmann::json::parse(readText(configPath));
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error("'" + configPath.string() + "' is not valid JSON: " + e.what());
    }
    VariationModel m;
    try {
        if (config.value("format", "") != "moodsteer-variations")
            throw std::runtime_error("not a variation generator config (format)");
        m.vae = models::VariationVae(models::VariationVaeConfig::fromJson(config.at("vae")));
        m.training = config.value("training", nlohmann::json::object());
        if (config.contains("diffusion")) {
            m.diffusion = models::LatentDiffusion(
                models::LatentDiffusionConfig::fromJson(config.at("diffusion")));
            m.latentMean = config.at("latent_mean").get<std::vector<float>>();
            if (config.contains("curve_coupling")) {
                const auto& k = config.at("curve_coupling");
                m.curveCoupling.onsetDensity = k.at("onset_density").get<double>();
                m.curveCoupling.loudness = k.at("loudness").get<double>();
                if (!std::isfinite(m.curveCoupling.onsetDensity) ||
                    !std::isfinite(m.curveCoupling.loudness))
                    throw std::runtime_error("curve_coupling must be finite");
            }
            m.latentStd = config.at("latent_std").get<std::vector<float>>();
            const auto C = static_cast<std::size_t>(m.vae->config().latentChannels());
            const int curve = m.diffusion->config().curveChannels;
            if (curve != kCurveChannels && curve != kArousalCurveChannels)
                throw std::runtime_error("the diffusion model's curve_channels must be 3 or 4, "
                                         "not " +
                                         std::to_string(curve));
            if (m.latentMean.size() != C || m.latentStd.size() != C ||
                m.diffusion->config().latentChannels != static_cast<int>(C))
                throw std::runtime_error("latent sizes of the VAE and the diffusion model differ");
        }
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error("'" + configPath.string() + "': " + e.what());
    } catch (const std::runtime_error& e) {
        throw std::runtime_error("'" + configPath.string() + "': " + e.what());
    }
    if (needDiffusion && !m.diffusion)
        throw std::runtime_error("'" + folder +
                                 "' has no trained diffusion model (run "
                                 "train-variations --stage diffusion)");
    loadWeights(*m.vae, dir / kVaeFile);
    if (m.diffusion) loadWeights(*m.diffusion, dir / kDiffusionFile);
    m.vae->eval();
    if (m.diffusion) m.diffusion->eval();
    return m;
}

void VariationModel::save(const std::string& folder) const {
    const fs::path dir(folder);
    fs::create_directories(dir);
    nlohmann::json config{{"format", "moodsteer-variations"},
                          {"version", 1},
                          {"frame_rate", 25},
                          {"time_downsample", models::VariationVaeConfig::kDownsample},
                          {"vae", vae->config().toJson()},
                          {"training", training}};
    saveWeights(*vae, dir / kVaeFile);
    if (diffusion) {
        config["diffusion"] = diffusion->config().toJson();
        config["latent_mean"] = latentMean;
        config["latent_std"] = latentStd;
        config["curve_coupling"] = {{"onset_density", curveCoupling.onsetDensity},
                                    {"loudness", curveCoupling.loudness}};
        saveWeights(*diffusion, dir / kDiffusionFile);
    }
    models::writeTextAtomically((dir / kConfigFile).string(), config.dump(2) + "\n");
}

torch::Tensor VariationModel::encodeMean(const FieldTensors& batch, bool normalise) {
    auto mu = vae->encode(batch.categorical, batch.drums, batch.globals).mu;
    if (!normalise) return mu;
    if (latentMean.empty()) throw std::runtime_error("no latent statistics (stage 2 not run)");
    auto mean = torch::tensor(latentMean).view({1, -1, 1});
    auto sd = torch::tensor(latentStd).view({1, -1, 1});
    return (mu - mean) / sd;
}

std::pair<torch::Tensor, torch::Tensor> VariationModel::decodeFields(const torch::Tensor& latents,
                                                                     const torch::Tensor& globals,
                                                                     bool normalised) {
    auto z = latents;
    if (normalised) {
        auto mean = torch::tensor(latentMean).view({1, -1, 1});
        auto sd = torch::tensor(latentStd).view({1, -1, 1});
        z = z * sd + mean;
    }
    const auto logits = vae->decode(z, globals);
    auto fields = vae->argmax(logits);
    // The melody field's event: hold, release or an onset (of any pitch), decided by the summed
    // probability of each kind; then the most likely pitch of an onset. The per-class argmax
    // would drop an onset whose probability is spread over a few pitches.
    int offset = 0;
    for (int f = 0; f < kMelody; ++f)
        offset += kFieldSizes[static_cast<std::size_t>(f)];
    const auto p = torch::softmax(logits.narrow(2, offset, kFieldSizes[kMelody]), 2);
    const auto onset = p.narrow(2, 2, kFieldSizes[kMelody] - 2).sum(2);
    const auto holdOrRelease = p.narrow(2, 0, 2);
    const auto isOnset = onset > std::get<0>(holdOrRelease.max(2));
    const auto melody = torch::where(
        isOnset, p.narrow(2, 2, kFieldSizes[kMelody] - 2).argmax(2) + 2, holdOrRelease.argmax(2));
    fields.first.select(2, kMelody).copy_(melody);
    return fields;
}

CodeGrid VariationModel::toCodes(const std::pair<torch::Tensor, torch::Tensor>& fields, int row,
                                 int frames, const CodeGrid& source, int sourceBegin) {
    auto cat = fields.first[row].contiguous();
    auto drums = fields.second[row].contiguous();
    return fromFields(cat.data_ptr<std::int64_t>(), drums.data_ptr<std::int64_t>(), frames, source,
                      sourceBegin);
}

std::int64_t VariationModel::vaeParameters() const {
    return vae ? countParameters(*vae) : 0;
}

namespace {
bool positiveDiffusionSetting(const nlohmann::json& training, const char* key) {
    const auto d = training.find("diffusion");
    if (d == training.end() || !d->is_object()) return false;
    const auto p = d->find(key);
    return p != d->end() && p->is_number() && p->get<double>() > 0;
}
} // namespace

bool VariationModel::trainedWithoutSummary() const {
    return positiveDiffusionSetting(training, "summary_dropout");
}

bool VariationModel::trainedWithoutSubspace() const {
    return positiveDiffusionSetting(training, "subspace_dropout");
}

std::int64_t VariationModel::diffusionParameters() const {
    return diffusion ? countParameters(*diffusion) : 0;
}

} // namespace moodsteer::variations
