#include "models/MusicgenModel.h"

#include "models/BoundedRead.h"
#include "models/StateDict.h"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>

namespace moodsteer::models {

MusicgenConfig MusicgenConfig::fromFile(const std::string& path) {
    const std::string text = readFileBounded(path, kJsonConfigFile);
    nlohmann::json j;
    try {
        j = parseJsonBounded(text);
    } catch (const std::exception& e) {
        throw std::runtime_error("'" + path + "' is not valid JSON: " + e.what());
    }
    try {
        return fromJson(j);
    } catch (const std::exception& e) {
        throw std::runtime_error("'" + path + "': " + e.what());
    }
}

MusicgenConfig MusicgenConfig::fromJson(const nlohmann::json& j) {
    if (!j.is_object()) throw std::runtime_error("config is not a JSON object");
    const std::string type = j.value("model_type", "");
    if (type != "musicgen")
        throw std::runtime_error("unsupported model_type '" + type + "' (expected 'musicgen')");
    for (const char* key : {"text_encoder", "decoder"})
        if (!j.contains(key) || !j[key].is_object())
            throw std::runtime_error(std::string("config has no '") + key + "' section");
    MusicgenConfig c;
    c.raw = j;
    c.textEncoder = T5Config::fromJson(j["text_encoder"]);
    c.decoder = MusicgenDecoderConfig::fromJson(j["decoder"]);
    c.nameOrPath = j.value("_name_or_path", "");
    if (j.contains("moodsteer")) {
        const auto& ms = j["moodsteer"];
        if (ms.contains("av_encoder")) c.avEncoder = AvEncoderConfig::fromJson(ms["av_encoder"]);
        if (ms.contains("codec")) {
            c.codecConfig = ms["codec"];
            c.codec = c.codecConfig.value("name", "");
        }
        if (ms.contains("genres")) c.genres = ms["genres"].get<std::vector<std::string>>();
    }
    if (c.codec == "encodec_32khz") {
        if (!j.contains("audio_encoder") || !j["audio_encoder"].is_object())
            throw std::runtime_error("config has no 'audio_encoder' section");
        c.audioEncoder = EncodecConfig::fromJson(j["audio_encoder"]);
        if (c.audioEncoder->codebook_size != c.decoder.vocab_size)
            throw std::runtime_error(
                "audio_encoder.codebook_size " + std::to_string(c.audioEncoder->codebook_size) +
                " differs from decoder.vocab_size " + std::to_string(c.decoder.vocab_size));
    }
    if (c.avEncoder && c.avEncoder->output_size != c.textEncoder.d_model)
        throw std::runtime_error("av_encoder.output_size must equal text_encoder.d_model");
    return c;
}

MusicgenModelImpl::MusicgenModelImpl(const MusicgenConfig& config)
    : MusicgenModelImpl(config, nullptr) {}

MusicgenModelImpl::MusicgenModelImpl(const MusicgenConfig& config,
                                     const MusicgenForCausalLMImpl::DirectLoad& direct)
    : MusicgenModelImpl(config, &direct) {}

MusicgenModelImpl::MusicgenModelImpl(const MusicgenConfig& config,
                                     const MusicgenForCausalLMImpl::DirectLoad* direct)
    : config_(config) {
    // The modules in the same order either way: the same random draws.
    text_encoder = register_module("text_encoder", T5EncoderModel(config.textEncoder));
    // transformers creates the projection only when the widths differ.
    if (config.textEncoder.d_model != config.decoder.hidden_size)
        enc_to_dec_proj =
            register_module("enc_to_dec_proj", torch::nn::Linear(config.textEncoder.d_model,
                                                                 config.decoder.hidden_size));
    decoder = register_module("decoder", direct ? MusicgenForCausalLM(config.decoder, *direct)
                                                : MusicgenForCausalLM(config.decoder));
    if (config.audioEncoder)
        audio_encoder = register_module("audio_encoder", EncodecModel(*config.audioEncoder));
    if (config.avEncoder) av_encoder = register_module("av_encoder", AvEncoder(*config.avEncoder));
}

std::shared_ptr<MusicgenModelImpl> MusicgenModelImpl::load(const std::string& folder) {
    return load(folder, "f32");
}

std::shared_ptr<MusicgenModelImpl> MusicgenModelImpl::load(const std::string& folder,
                                                           const std::string& precision) {
    namespace fs = std::filesystem;
    const bool direct = parseWeightPrecision(precision) != WeightPrecision::F32;
    if (!fs::is_directory(folder))
        throw std::runtime_error("model folder '" + folder + "' does not exist");
    const auto configPath = (fs::path(folder) / "config.json").string();
    // One file, or shards with an index (musicgen-large's safetensors are sharded).
    const auto weightsPath = SafetensorsReader::weightsPathIn(folder);
    if (!fs::exists(configPath))
        throw std::runtime_error("model folder '" + folder + "' has no config.json");
    if (weightsPath.empty())
        throw std::runtime_error("model folder '" + folder +
                                 "' has no model.safetensors (nor model.safetensors.index.json)");
    const auto config = MusicgenConfig::fromFile(configPath);
    auto file = std::make_shared<SafetensorsReader>(SafetensorsReader::openAny(weightsPath));
    StateDictLoader loader(file);
    torch::NoGradGuard noGrad;
    std::shared_ptr<MusicgenModelImpl> model;
    if (direct) {
        const std::string layers = "decoder.model.decoder.layers.";
        MusicgenForCausalLMImpl::DirectLoad d;
        d.precision = precision;
        d.fillLayer = [&](int64_t i, torch::nn::Module& layer) {
            const std::string prefix = layers + std::to_string(i) + ".";
            loader.load(layer, prefix);
            for (const auto& p : layer.named_parameters())
                if (const auto* info = file->find(prefix + p.key())) file->release(*info);
        };
        model = std::make_shared<MusicgenModelImpl>(config, d);
        loader.load(*model, "", {layers}); // the rest; the layers were loaded above
        model->decoder->finishDirectLoad();
    } else {
        model = std::make_shared<MusicgenModelImpl>(config);
        loader.load(*model, "");
    }
    // Tied to text_encoder.shared.weight (save_pretrained normally drops the duplicate).
    loader.allowUnused(R"(text_encoder\.encoder\.embed_tokens\.weight)");
    for (const auto& p : EncodecModelImpl::unusedKeyPatterns())
        loader.allowUnused("audio_encoder\\." + p);
    // The file stores the sinusoid table the decoder computes; verified, not ignored.
    model->decoder->checkPositionTable(loader, "decoder.");
    loader.finish();
    model->decoder->finalizeWeights();
    model->eval();
    return model;
}

std::pair<torch::Tensor, torch::Tensor> MusicgenModelImpl::textStates(const torch::Tensor& ids,
                                                                      const torch::Tensor& mask,
                                                                      const torch::Tensor& va,
                                                                      const torch::Tensor& avMask) {
    auto states = text_encoder->forward(ids, mask);
    auto m = mask.to(torch::kFloat32);
    if (va.defined()) {
        if (!hasAvEncoder())
            throw std::runtime_error("this model has no AV encoder (valence/arousal conditioning)");
        auto av = av_encoder->forward(va);
        auto avm = avMask.defined() ? avMask.to(torch::kFloat32).view({-1, 1})
                                    : torch::ones({va.size(0), 1});
        states = torch::cat({states, av}, 1);
        m = torch::cat({m, avm}, 1);
    }
    return {states, m};
}

torch::Tensor MusicgenModelImpl::project(const torch::Tensor& states, const torch::Tensor& mask) {
    auto h = enc_to_dec_proj.is_empty() ? states : enc_to_dec_proj->forward(states);
    return h * mask.to(h.dtype()).unsqueeze(-1);
}

std::pair<torch::Tensor, torch::Tensor>
MusicgenModelImpl::encodeConditions(const torch::Tensor& ids, const torch::Tensor& mask,
                                    const torch::Tensor& va, const torch::Tensor& avMask) {
    auto [states, m] = textStates(ids, mask, va, avMask);
    return {project(states, m), m};
}

} // namespace moodsteer::models
