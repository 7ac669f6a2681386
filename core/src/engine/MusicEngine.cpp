#include "core/engine/MusicEngine.h"

#include "core/io/Resources.h"
#include "core/steering/SteeringPlan.h"
#include "core/io/Version.h"
#include "engine/ComputeThreads.h"
#include "engine/EncodecCodec.h"
#include "engine/Generator.h"
#include "engine/MusicEngineImpl.h"
#include "engine/OneLineErrors.h"
#include "steering/SteeringHook.h"
#include "engine/SynthCodecFactory.h"
#include "models/BoundedRead.h"
#include "models/SentencePieceTokenizer.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

namespace moodsteer {
namespace fs = std::filesystem;

namespace {

// generation_config.json is optional (the Hugging Face layout has it; a bare checkpoint may
// not): its `guidance_scale` is the model's default guidance. A file that is there but
// unreadable is an error, not silently 3.
double defaultGuidanceOf(const fs::path& folder) {
    const auto path = folder / "generation_config.json";
    if (!fs::exists(path)) return 3.0;
    std::string text;
    try {
        text = models::readFileBounded(path.string(), models::kJsonConfigFile);
    } catch (const models::FileReadError& e) {
        throw EngineError(e.what());
    }
    nlohmann::json j;
    try {
        j = models::parseJsonBounded(text);
    } catch (const std::exception& e) {
        throw EngineError(path.string() + " is not valid JSON: " + e.what());
    }
    if (!j.is_object() || !j.contains("guidance_scale")) return 3.0;
    const auto& g = j["guidance_scale"];
    if (!g.is_number() || !std::isfinite(g.get<double>()) || g.get<double>() < 0)
        throw EngineError(path.string() + ": guidance_scale must be a finite number >= 0");
    return g.get<double>();
}

// The prompt's tokens, refusing a text beyond kMaxPromptBytes before tokenizing it.
std::vector<std::int64_t> tokenizeBounded(const models::SentencePieceTokenizer& tokenizer,
                                          const std::string& text) {
    if (text.size() > MusicEngine::kMaxPromptBytes)
        throw EngineError("the prompt is " + std::to_string(text.size()) + " bytes long; at most " +
                          std::to_string(MusicEngine::kMaxPromptBytes) +
                          " (the text encoder uses at most " +
                          std::to_string(MusicEngine::kMaxPromptTokens) + " tokens)");
    return tokenizer.encodeT5(text);
}

} // namespace

MusicEngine::MusicEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MusicEngine::~MusicEngine() = default;

std::string MusicEngine::embeddedModelFolder() {
    const auto dir = resourcePath("model");
    return fs::exists(fs::path(dir) / "config.json") ? dir : "";
}

std::unique_ptr<MusicEngine> MusicEngine::load(const std::string& folder,
                                               const LoadOptions& options) {
    setComputeThreads(options.threads);
    if (options.precision != "f32" && options.precision != "bf16" && options.precision != "int8")
        throw EngineError("unknown precision '" + options.precision + "' (use f32, bf16 or int8)");
    auto impl = std::make_unique<Impl>();
    try {
        impl->model = models::MusicgenModel(models::MusicgenModelImpl::load(folder));
    } catch (const std::exception& e) {
        throw EngineError(e.what());
    }
    try {
        impl->model->decoder->setPrecision(options.precision);
    } catch (const std::exception& e) {
        throw EngineError(e.what());
    }
    const auto& cfg = impl->model->config();
    const auto spiece = fs::path(folder) / "spiece.model";
    if (fs::exists(spiece)) {
        try {
            impl->tokenizer = models::SentencePieceTokenizer::load(spiece.string());
        } catch (const std::exception& e) {
            throw EngineError(e.what());
        }
    }
    const int K = static_cast<int>(cfg.decoder.num_codebooks);
    if (cfg.codec == "encodec_32khz") {
        impl->codec = std::make_unique<EncodecCodec>(impl->model->audio_encoder, K);
    } else {
        impl->codec = makeSymbolicCodec(cfg.codec, cfg.codecConfig);
    }
    if (impl->codec->numCodebooks() != K || impl->codec->cardinality() != cfg.decoder.vocab_size)
        throw EngineError("codec '" + impl->codec->name() + "' has " +
                          std::to_string(impl->codec->numCodebooks()) + " streams of " +
                          std::to_string(impl->codec->cardinality()) + " codes; the LM expects " +
                          std::to_string(K) + " of " + std::to_string(cfg.decoder.vocab_size));
    ModelInfo& info = impl->info;
    info.folder = fs::absolute(folder).string();
    info.id = cfg.nameOrPath.empty() ? fs::path(info.folder).filename().string() : cfg.nameOrPath;
    info.codecName = impl->codec->name();
    info.sampleRate = impl->codec->sampleRate();
    info.frameRate = impl->codec->frameRate();
    info.numCodebooks = K;
    info.cardinality = impl->codec->cardinality();
    info.numLayers = static_cast<int>(cfg.decoder.num_hidden_layers);
    info.hiddenSize = static_cast<int>(cfg.decoder.hidden_size);
    info.maxFrames = static_cast<int>(cfg.decoder.max_position_embeddings) - K;
    info.hasTokenizer = impl->tokenizer != nullptr;
    info.hasAvEncoder = impl->model->hasAvEncoder();
    info.canEncodeAudio = impl->codec->canEncode();
    info.genres = cfg.genres;
    info.defaultGuidance = defaultGuidanceOf(folder);
    for (const auto& p : impl->model->parameters())
        info.parameterCount += p.numel();
    return std::unique_ptr<MusicEngine>(new MusicEngine(std::move(impl)));
}

const ModelInfo& MusicEngine::info() const { return impl_->info; }

int MusicEngine::Impl::framesFor(const Recipe& r) const {
    long frames = 0;
    if (r.steps > 0) {
        frames = r.steps;
    } else {
        if (!(r.seconds > 0) || !std::isfinite(r.seconds))
            throw EngineError("duration must be > 0 seconds");
        frames = std::lround(r.seconds * info.frameRate);
    }
    if (frames < 1)
        throw EngineError("the clip must be at least one frame long");
    if (frames > info.maxFrames)
        throw EngineError("at most " + std::to_string(info.maxFrames) + " frames (" +
                          std::to_string(info.maxFrames / info.frameRate) +
                          " s) fit this model's positions; asked for " + std::to_string(frames));
    return static_cast<int>(frames);
}

Conditioning MusicEngine::Impl::condition(const Recipe& r) {
    torch::NoGradGuard g;
    std::vector<std::int64_t> ids = r.promptIds;
    if (ids.empty() && !r.prompt.empty()) {
        if (!tokenizer)
            throw EngineError("this model folder has no spiece.model: give the prompt as token ids");
        ids = tokenizeBounded(*tokenizer, r.prompt);
    }
    if (ids.size() > MusicEngine::kMaxPromptTokens)
        throw EngineError("the prompt is " + std::to_string(ids.size()) +
                          " tokens long; the text encoder takes at most " +
                          std::to_string(MusicEngine::kMaxPromptTokens) + ": shorten it");
    const auto vocab = model->config().textEncoder.vocab_size;
    for (auto id : ids)
        if (id < 0 || id >= vocab)
            throw EngineError("prompt token id " + std::to_string(id) + " outside [0, " +
                              std::to_string(vocab) + ")");
    const bool unconditionalText = ids.empty();
    if (unconditionalText)
        ids = {1}; // one masked-out token: the text contributes nothing
    auto idT = torch::tensor(ids, torch::kInt64).unsqueeze(0);
    auto mask = unconditionalText ? torch::zeros({1, 1}, torch::kInt64) : torch::ones_like(idT);
    torch::Tensor va, avMask;
    if (r.valence.has_value() != r.arousal.has_value())
        throw EngineError("give both valence and arousal, or neither");
    if (r.valence) {
        if (!info.hasAvEncoder)
            throw EngineError("this model has no valence/arousal encoder: use the text baseline "
                              "(an emotion word in the prompt)");
        for (double x : {*r.valence, *r.arousal})
            if (!(x >= 1.0 && x <= 9.0))
                throw EngineError("valence and arousal must lie in [1, 9]");
        va = torch::tensor({*r.valence, *r.arousal}, torch::kFloat32).view({1, 2});
        avMask = torch::ones({1});
    }
    auto [memory, m] = model->encodeConditions(idT, mask, va, avMask);
    return {memory, m};
}

GenerationResult MusicEngine::generate(const Recipe& recipe, const GenerationCallbacks& cb) {
    return withOneLineErrors([&] { return impl_->generate(recipe, cb); });
}

GenerationResult MusicEngine::Impl::generate(const Recipe& recipe, const GenerationCallbacks& cb,
                                             const models::DecoderHooks* observer,
                                             const std::function<void(int)>& beforeStep) {
    torch::NoGradGuard g;
    Impl& d = *this;
    const auto start = std::chrono::steady_clock::now();
    const int frames = d.framesFor(recipe);
    if (!recipe.greedy && !(recipe.temperature > 0))
        throw EngineError("temperature must be > 0");
    if (!(recipe.guidance >= 0) || !std::isfinite(recipe.guidance))
        throw EngineError("guidance must be a finite number >= 0");
    Conditioning c = d.condition(recipe);
    // Steering: vectors checked against this model (id, width, layers) before any decoding.
    std::shared_ptr<const SteeringPlan> plan;
    if (!recipe.steering.empty()) {
        try {
            plan = std::make_shared<const SteeringPlan>(SteeringPlan::fromRecipe(
                recipe.steering, d.info.id, d.info.hiddenSize, d.info.numLayers));
        } catch (const std::exception& e) {
            throw EngineError(e.what());
        }
    }
    SteeringHook steer(plan, 1, frames + d.info.numCodebooks - 1, observer);

    GeneratorOptions o;
    o.frames = frames;
    o.guidance = recipe.guidance;
    o.sampling = {recipe.greedy, recipe.temperature, recipe.topK, recipe.topP};
    o.seed = recipe.seed;
    o.cancel = cb.cancel;
    o.hooks = steer.hooks();
    if (o.hooks || beforeStep)
        o.beforeStep = [&](int step) {
            steer.setStep(step);
            if (beforeStep)
                beforeStep(step);
        };
    o.onStep = [&](int step, int total) {
        if (!cb.onProgress)
            return;
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        cb.onProgress({step, total, elapsed, elapsed / step * (total - step)});
    };
    std::unique_ptr<StreamDecoder> stream;
    if (cb.onAudio) {
        stream = d.codec->streamDecoder();
        o.onFrames = [&](const CodeGrid& fresh) {
            auto chunk = stream->push(fresh);
            if (!chunk.empty())
                cb.onAudio(chunk.data(), chunk.size());
        };
    }
    Generator gen(d.model->decoder);
    GeneratorOutput out;
    try {
        out = gen.run(c.memory, c.mask, o);
    } catch (const CodecError& e) {
        throw EngineError(e.what());
    }
    if (stream) {
        auto tail = stream->finish();
        if (!tail.empty())
            cb.onAudio(tail.data(), tail.size());
    }
    GenerationResult result;
    result.cancelled = out.cancelled;
    const CodeGrid& codes = out.codes.at(0);
    result.numCodebooks = codes.numCodebooks;
    result.frames = codes.frames;
    result.codes = codes.data;
    result.audio = d.codec->decode(codes);
    result.recipe = recipe;
    result.recipe.model = recipe.model.empty() ? d.info.folder : recipe.model;
    result.recipe.steps = recipe.steps > 0 ? recipe.steps : 0;
    result.recipe.engineVersion = engineVersion();
    result.generationSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

std::vector<std::int64_t> MusicEngine::tokenize(const std::string& text) const {
    if (!impl_->tokenizer)
        throw EngineError("this model folder has no spiece.model");
    return withOneLineErrors([&] { return tokenizeBounded(*impl_->tokenizer, text); });
}

AudioBuffer MusicEngine::decode(const std::vector<std::int64_t>& codes, int frames) const {
    CodeGrid grid;
    grid.numCodebooks = impl_->info.numCodebooks;
    grid.frames = frames;
    grid.data = codes;
    if (codes.size() != static_cast<std::size_t>(grid.numCodebooks) * frames)
        throw EngineError("expected " + std::to_string(grid.numCodebooks) + " x " +
                          std::to_string(frames) + " codes, got " + std::to_string(codes.size()));
    try {
        return impl_->codec->decode(grid);
    } catch (const CodecError& e) {
        throw EngineError(e.what());
    }
}

} // namespace moodsteer
