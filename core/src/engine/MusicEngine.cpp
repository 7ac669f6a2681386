#include "core/engine/MusicEngine.h"

#include "core/audio/AudioFile.h"
#include "core/audio/Resampler.h"
#include "core/emotion/DefaultEmotionHead.h"
#include "core/engine/ValueLimits.h"
#include "core/engine/WeightPrecisions.h"
#include "core/io/CodesFile.h"
#include "core/io/Resources.h"
#include "core/io/Version.h"
#include "core/session/MoodWords.h"
#include "core/steering/SteeringPlan.h"
#include "engine/AllocatorTuning.h"
#include "engine/ComputeThreads.h"
#include "engine/EncodecCodec.h"
#include "engine/MusicEngineImpl.h"
#include "engine/MusicgenFamily.h"
#include "engine/MusicgenWindow.h"
#include "engine/OneLineErrors.h"
#include "engine/ParallelDecode.h"
#include "engine/PipelinedStreamDecoder.h"
#include "engine/SynthCodecFactory.h"
#include "models/BoundedRead.h"
#include "models/SentencePieceTokenizer.h"
#include "session/WindowedGeneration.h"
#include "steering/SteeringHook.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace moodsteer {
namespace fs = std::filesystem;

namespace {

// generation_config.json is optional (the Hugging Face layout has it; a bare checkpoint may
// not): its `guidance_scale` is the model's default guidance (else 3), and our own key
// `emotion_guidance_scale` the default guidance of the AV token (else none: plain CFG). A file
// that is there but unreadable, or a value out of range, is an error, not silently a default.
void readGenerationConfig(const fs::path& folder, ModelInfo& info) {
    info.defaultGuidance = 3.0;
    info.defaultEmotionGuidance.reset();
    const auto path = folder / "generation_config.json";
    if (!fs::exists(path)) return;
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
    if (!j.is_object()) return;
    const auto scale = [&](const char* key) -> std::optional<double> {
        if (!j.contains(key)) return std::nullopt;
        const auto& g = j[key];
        if (!g.is_number() || !std::isfinite(g.get<double>()) || g.get<double>() < 0 ||
            g.get<double>() > limits::kMaxGuidance)
            throw EngineError(path.string() + ": " + key + " must be a number in [0, " +
                              std::to_string(static_cast<int>(limits::kMaxGuidance)) + "]");
        return g.get<double>();
    };
    info.defaultGuidance = scale("guidance_scale").value_or(3.0);
    info.defaultEmotionGuidance = scale("emotion_guidance_scale");
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

// What every way of building an engine does first: threads, and a precision it knows.
void prepareLoad(const LoadOptions& options) {
    tuneAllocatorForTensors();
    setComputeThreads(options.threads);
    if (!isWeightPrecision(options.precision))
        throw EngineError("unknown precision '" + options.precision + "' (use " +
                          weightPrecisionChoices() + ")");
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
    prepareLoad(options);
    auto impl = std::make_unique<Impl>();
    try {
        // bf16/int8/int4 load directly (layer by layer, never the whole float32 decoder), so that
        // musicgen-large fits where its float32 weights would not.
        impl->model =
            models::MusicgenModel(models::MusicgenModelImpl::load(folder, options.precision));
    } catch (const std::exception& e) {
        throw EngineError(e.what());
    }
    return assemble(std::move(impl), folder, options);
}

std::unique_ptr<MusicEngine> MusicEngine::withRandomWeights(const std::string& configPath,
                                                            const LoadOptions& options) {
    prepareLoad(options);
    auto impl = std::make_unique<Impl>();
    try {
        torch::NoGradGuard noGrad;
        torch::manual_seed(0); // the same random model every run, as `bench` builds it
        impl->model = models::MusicgenModel(std::make_shared<models::MusicgenModelImpl>(
            models::MusicgenConfig::fromFile(configPath)));
        impl->model->eval();
        impl->model->decoder->finalizeWeights();
    } catch (const std::exception& e) {
        throw EngineError(configPath + ": " + e.what());
    }
    // No folder: no tokenizer, MusicGen's default guidance.
    auto engine = assemble(std::move(impl), "", options);
    engine->impl_->info.folder = fs::absolute(configPath).string();
    std::string& id = engine->impl_->info.id;
    id = (id.empty() ? fs::path(configPath).stem().string() : id) + " (random weights)";
    return engine;
}

std::unique_ptr<MusicEngine> MusicEngine::assemble(std::unique_ptr<Impl> impl,
                                                   const std::string& folder,
                                                   const LoadOptions& options) {
    try {
        impl->model->decoder->setPrecision(options.precision);
    } catch (const std::exception& e) {
        throw EngineError(e.what());
    }
    const auto& cfg = impl->model->config();
    const auto spiece = fs::path(folder) / "spiece.model";
    if (!folder.empty() && fs::exists(spiece)) {
        try {
            impl->tokenizer = models::SentencePieceTokenizer::load(spiece.string());
        } catch (const std::exception& e) {
            throw EngineError(e.what());
        }
    }
    const int K = static_cast<int>(cfg.decoder.num_codebooks);
    if (cfg.codec == "encodec_32khz") {
        impl->codec = std::make_unique<EncodecCodec>(impl->model->audio_encoder, K);
        impl->pipelineCodec = true;
    } else {
        impl->codec = makeSymbolicCodec(cfg.codec, cfg.codecConfig);
    }
    if (impl->codec->numCodebooks() != K || impl->codec->cardinality() != cfg.decoder.vocab_size)
        throw EngineError("codec '" + impl->codec->name() + "' has " +
                          std::to_string(impl->codec->numCodebooks()) + " streams of " +
                          std::to_string(impl->codec->cardinality()) + " codes; the LM expects " +
                          std::to_string(K) + " of " + std::to_string(cfg.decoder.vocab_size));
    ModelInfo& info = impl->info;
    info.folder = folder.empty() ? std::string() : fs::absolute(folder).string();
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
    if (!folder.empty()) readGenerationConfig(folder, info);
    for (const auto& p : impl->model->parameters())
        info.parameterCount += p.numel();
    info.parameterCount += impl->model->decoder->releasedParameterCount(); // kept reduced only
    impl->family = std::make_unique<MusicgenFamily>(*impl);
    return std::unique_ptr<MusicEngine>(new MusicEngine(std::move(impl)));
}

const ModelInfo& MusicEngine::info() const {
    return impl_->info;
}

int MusicEngine::Impl::framesFor(const Recipe& r) const {
    long frames = 0;
    if (r.steps > 0) {
        frames = r.steps;
    } else {
        if (!(r.seconds > 0) || !std::isfinite(r.seconds))
            throw EngineError("duration must be > 0 seconds");
        frames = std::lround(r.seconds * info.frameRate);
    }
    if (frames < 1) throw EngineError("the clip must be at least one frame long");
    if (frames > info.maxFrames)
        throw EngineError("at most " + std::to_string(info.maxFrames) + " frames (" +
                          std::to_string(info.maxFrames / info.frameRate) +
                          " s) fit this model's positions; asked for " + std::to_string(frames));
    return static_cast<int>(frames);
}

Conditioning MusicEngine::Impl::condition(const Recipe& r) {
    if (r.valence.has_value() != r.arousal.has_value())
        throw EngineError("give both valence and arousal, or neither");
    return condition(r, r.emotionAt(0.0));
}

Conditioning MusicEngine::Impl::condition(const Recipe& r,
                                          std::optional<std::pair<double, double>> emotion) {
    torch::NoGradGuard g;
    std::vector<std::int64_t> ids = r.promptIds;
    if (ids.empty() && !r.prompt.empty()) {
        if (!tokenizer)
            throw EngineError(
                "this model folder has no spiece.model: give the prompt as token ids");
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
    if (unconditionalText) ids = {1}; // one masked-out token: the text contributes nothing
    auto idT = torch::tensor(ids, torch::kInt64).unsqueeze(0);
    auto mask = unconditionalText ? torch::zeros({1, 1}, torch::kInt64) : torch::ones_like(idT);
    torch::Tensor va, avMask;
    if (r.valence.has_value() != r.arousal.has_value())
        throw EngineError("give both valence and arousal, or neither");
    if (emotion) {
        if (!info.hasAvEncoder)
            throw EngineError("this model has no valence/arousal encoder: use the text baseline "
                              "(an emotion word in the prompt)");
        for (double x : {emotion->first, emotion->second})
            if (!(x >= 1.0 && x <= 9.0))
                throw EngineError("valence and arousal must lie in [1, 9]");
        va = torch::tensor({emotion->first, emotion->second}, torch::kFloat32).view({1, 2});
        avMask = torch::ones({1});
    }
    auto [memory, m] = model->encodeConditions(idT, mask, va, avMask);
    return {memory, m};
}

GenerationResult MusicEngine::generate(const Recipe& recipe, const GenerationCallbacks& cb) {
    return withOneLineErrors([&] { return impl_->generate(recipe, cb); });
}

const EmotionPredictor& MusicEngine::Impl::emotionJudge() {
    if (!judge) {
        try {
            judge = std::make_unique<EmotionPredictor>(
                EmotionPredictor::load(requireDefaultEmotionHead()));
        } catch (const std::exception& e) {
            throw EngineError(std::string("the emotion check: ") + e.what());
        }
    }
    return *judge;
}

std::string MusicEngine::Impl::kvCacheFor(const Recipe& recipe) const {
    return recipe.kvCache.empty() ? models::kvCachePrecisionName(model->decoder->defaultKvCache())
                                  : recipe.kvCache;
}

std::string MusicEngine::defaultKvCache() const {
    return impl_->kvCacheFor(Recipe{});
}

GenerationResult MusicEngine::Impl::generate(const Recipe& recipe, const GenerationCallbacks& cb,
                                             const models::DecoderHooks* observer,
                                             const std::function<void(int)>& beforeStep) {
    if (recipe.windowSeconds > 0 || !recipe.continueFrom.empty() || !recipe.promptChanges.empty()) {
        if (observer || beforeStep)
            throw EngineError("activation collection works on single clips, not windowed ones");
        const CodeGrid prompt =
            recipe.continueFrom.empty() ? CodeGrid() : promptCodes(recipe.continueFrom);
        GenerationCallbacks withJudge = cb;
        if (recipe.emotionCheck > 0 && recipe.hasEmotion() && !cb.emotionJudge)
            withJudge.emotionJudge = &emotionJudge();
        auto result = generateWindowed(*family, recipe, prompt, withJudge,
                                       pipelineCodec && cb.onAudio &&
                                           torch::get_num_threads() < availableCores());
        result.recipe.kvCache = kvCacheFor(recipe);
        return result;
    }
    return std::move(generateClips(recipe, 1, cb, observer, beforeStep).front());
}

std::vector<GenerationResult> MusicEngine::generateTakes(const Recipe& recipe, int takes,
                                                         const GenerationCallbacks& cb) {
    return withOneLineErrors([&] {
        if (takes < 1 || takes > limits::kMaxTakes)
            throw EngineError("takes must lie in 1.." + std::to_string(limits::kMaxTakes) +
                              ", got " + std::to_string(takes));
        if (recipe.windowSeconds > 0 || !recipe.continueFrom.empty() ||
            !recipe.promptChanges.empty())
            throw EngineError("takes are made of single clips, not of sessions or continuations");
        return impl_->generateClips(recipe, takes, cb, nullptr, {});
    });
}

std::vector<GenerationResult>
MusicEngine::Impl::generateClips(const Recipe& recipe, int takes, const GenerationCallbacks& cb,
                                 const models::DecoderHooks* observer,
                                 const std::function<void(int)>& beforeStep) {
    torch::NoGradGuard g;
    const auto start = std::chrono::steady_clock::now();
    WindowRequest request;
    request.recipe = &recipe;
    request.newFrames = framesFor(recipe);
    // "{word}" in the prompt: the mood word of the target at the clip's middle.
    Recipe withMood;
    if (hasMoodWord(recipe.prompt)) {
        withMood = recipe;
        withMood.prompt = promptWithMood(recipe, 0, request.newFrames / 2.0 / info.frameRate);
        request.recipe = &withMood;
    }
    request.totalFrames = request.newFrames;
    request.seed = recipe.seed;
    request.takes = takes;
    auto window = static_cast<MusicgenFamily&>(*family).beginWindow(request, observer, beforeStep);
    std::unique_ptr<StreamDecoder> stream;
    PipelinedStreamDecoder* pipelined = nullptr;
    if (cb.onAudio) {
        stream = codec->streamDecoder();
        if (pipelineCodec && torch::get_num_threads() < availableCores()) {
            auto p = std::make_unique<PipelinedStreamDecoder>(std::move(stream));
            pipelined = p.get();
            stream = std::move(p);
        }
    }
    bool cancelled = false;
    try {
        while (!window->done()) {
            if (cb.cancel && cb.cancel->load(std::memory_order_relaxed)) {
                cancelled = true;
                break;
            }
            const CodeGrid fresh = window->step();
            if (cb.onProgress) {
                const double elapsed =
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                const int step = window->stepsDone(), total = window->totalSteps();
                cb.onProgress({step, total, elapsed, elapsed / step * (total - step)});
            }
            // A pipelined stream hands over finished audio on any push, even of no frames.
            if (stream && (fresh.frames > 0 || pipelined)) {
                auto chunk = stream->push(fresh);
                if (!chunk.empty()) cb.onAudio(chunk.data(), chunk.size());
            }
        }
        if (stream) {
            auto tail = stream->finish();
            if (!tail.empty()) cb.onAudio(tail.data(), tail.size());
        }
    } catch (const CodecError& e) {
        throw EngineError(e.what());
    }
    const double decodeCpu = pipelined ? pipelined->cpuSeconds() : 0.0;
    stream.reset(); // joins the codec's thread before the whole-clip decodes below
    const std::vector<CodeGrid> all =
        takes > 1 ? window->takeCodes() : std::vector<CodeGrid>{window->newCodes()};
    // Take 1 was streamed: decoded again only when the caller keeps the audio. The others are
    // rendered together, in parallel where the codec allows (8 embedded takes: mostly this).
    const std::size_t firstDecoded = cb.onAudio && !cb.keepAudio ? 1 : 0;
    std::vector<const CodeGrid*> toDecode;
    for (std::size_t i = firstDecoded; i < all.size(); ++i)
        toDecode.push_back(&all[i]);
    std::vector<AudioBuffer> audio;
    try {
        audio = decodeAll(*codec, toDecode, decodeThreadsFor(*codec));
    } catch (const CodecError& e) {
        throw EngineError(e.what());
    }
    std::vector<GenerationResult> results;
    for (int i = 0; i < static_cast<int>(all.size()); ++i) {
        const CodeGrid& codes = all[i];
        GenerationResult result;
        result.cancelled = cancelled;
        result.numCodebooks = codes.numCodebooks;
        result.frames = codes.frames;
        result.codes = codes.data;
        if (i == 0 && cb.onAudio) result.decodeThreadCpuSeconds = decodeCpu;
        if (static_cast<std::size_t>(i) < firstDecoded)
            result.audio.sampleRate = codec->sampleRate();
        else
            result.audio = std::move(audio[static_cast<std::size_t>(i) - firstDecoded]);
        result.recipe = recipe;
        result.recipe.model = recipe.model.empty() ? info.folder : recipe.model;
        result.recipe.steps = recipe.steps > 0 ? recipe.steps : 0;
        result.recipe.engineVersion = engineVersion();
        result.recipe.kvCache = kvCacheFor(recipe);
        if (takes > 1) {
            result.recipe.seed = recipe.seed + static_cast<std::uint64_t>(i);
            result.recipe.take = i + 1;
            result.recipe.takes = takes;
        }
        results.push_back(std::move(result));
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (auto& r : results)
        r.generationSeconds = seconds;
    return results;
}

CodeGrid MusicEngine::promptCodes(const std::string& path) {
    return impl_->promptCodes(path);
}

CodeGrid MusicEngine::Impl::promptCodes(const std::string& path) {
    const auto ext = fs::path(path).extension().string();
    if (!fs::exists(path)) throw EngineError("cannot continue '" + path + "': no such file");
    try {
        if (ext == ".safetensors") return readCodesFile(path);
        if (ext == ".json") {
            // A recipe regenerates its clip exactly, so its codes are the clip's codes.
            std::ifstream in(path);
            std::stringstream text;
            text << in.rdbuf();
            Recipe r = Recipe::fromJson(text.str());
            r.incomplete = false;
            // A chain of continuations is fine; a recipe that (indirectly) continues itself
            // would never end.
            static thread_local int depth = 0;
            if (depth >= 16)
                throw EngineError("cannot continue '" + path +
                                  "': its recipes continue each other in a loop");
            ++depth;
            GenerationResult clip;
            try {
                clip = generate(r, {}, nullptr, {});
            } catch (...) {
                --depth;
                throw;
            }
            --depth;
            CodeGrid g(clip.numCodebooks, clip.frames);
            g.data = clip.codes;
            return g;
        }
        if (!isSupportedAudioExtension(path))
            throw EngineError("cannot continue '" + path +
                              "': expected a codes file (.safetensors), a recipe (.json) or "
                              "audio (.wav, .flac, .ogg)");
        if (!codec->canEncode())
            throw EngineError("cannot continue the recording '" + path + "': the " + codec->name() +
                              " codec of this model cannot encode audio (continue its codes or "
                              "recipe instead)");
        // Mono (readAudioFile mixes down), at the codec's rate, then encoded.
        return codec->encode(Resampler::resample(readAudioFile(path), codec->sampleRate()));
    } catch (const EngineError&) {
        throw;
    } catch (const std::exception& e) {
        throw EngineError("cannot continue '" + path + "': " + e.what());
    }
}

std::vector<std::int64_t> MusicEngine::tokenize(const std::string& text) const {
    if (!impl_->tokenizer) throw EngineError("this model folder has no spiece.model");
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
