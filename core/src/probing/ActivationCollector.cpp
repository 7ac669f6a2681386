#include "core/probing/ActivationCollector.h"

#include "core/audio/AudioFile.h"
#include "core/audio/Resampler.h"
#include "core/io/CodesFile.h"
#include "core/probing/ActivationPooler.h"
#include "core/probing/ActivationSetWriter.h"
#include "core/probing/LabelledClips.h"
#include "engine/DelayPattern.h"
#include "engine/MusicEngineImpl.h"
#include "io/CsvTable.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <sstream>

namespace moodsteer {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

void checkOptions(const CollectionOptions& o) {
    if (o.pooling != "mean" && o.pooling != "last")
        throw std::invalid_argument("pooling must be 'mean' or 'last', got '" + o.pooling + "'");
    if (o.site != "residual" && o.site != "attention")
        throw std::invalid_argument("site must be 'residual' or 'attention', got '" + o.site + "'");
    if (!(o.maxSeconds >= 0)) throw std::invalid_argument("maxSeconds must be >= 0");
}

ActivationSettings settingsFor(const ModelInfo& info, const CollectionOptions& o,
                               const std::string& source, std::vector<std::string> labels) {
    ActivationSettings s;
    s.modelId = info.id;
    s.pooling = o.pooling;
    s.site = o.site;
    s.branch = "conditional";
    s.source = source;
    s.numLayers = info.numLayers;
    s.hiddenSize = info.hiddenSize;
    s.labelNames = std::move(labels);
    return s;
}

/// Feeds rows [0, count) of batch item 0 of a decoder tensor [B, T, D] to the pooler.
void pool(ActivationPooler& pooler, int layer, int position, const torch::Tensor& t) {
    auto row = t.select(0, 0).to(torch::kFloat32).contiguous(); // [T, D]
    pooler.add(layer, position, row.data_ptr<float>(), static_cast<int>(row.size(0)));
}

models::DecoderHooks observerFor(const CollectionOptions& o, ActivationPooler& pooler,
                                 const int& position) {
    models::DecoderHooks h;
    auto fn = [&pooler, &position](int layer, const torch::Tensor& t) {
        if (layer >= 0) pool(pooler, layer, position, t);
    };
    if (o.site == "attention")
        h.onAttention = fn;
    else
        h.onResidual = fn;
    return h;
}

void report(const ActivationCollector::Progress& progress, int done, int total,
            Clock::time_point t0, const std::string& clip) {
    if (!progress) return;
    const double elapsed = since(t0);
    progress({done, total, elapsed, done > 0 ? elapsed / done * (total - done) : 0.0, clip});
}

/// The clip's tokens: a token file (the row's file when it is one, else `<stem>.safetensors`
/// next to it), or the audio encoded by the codec (whose error says when it cannot encode).
CodeGrid clipCodes(const MusicEngine::Impl& d, const std::string& file, double maxSeconds) {
    const fs::path p(file);
    fs::path tokens =
        p.extension() == ".safetensors" ? p : fs::path(p).replace_extension(".safetensors");
    CodeGrid codes;
    if (fs::is_regular_file(tokens)) {
        codes = readCodesFile(tokens.string());
    } else {
        if (!d.codec->canEncode()) {
            try {
                d.codec->encode(AudioBuffer{});
            } catch (const std::exception& e) {
                throw EngineError(file + ": no token file '" + tokens.filename().string() +
                                  "' and the model's codec cannot encode audio: " + e.what());
            }
        }
        if (!fs::is_regular_file(p)) throw EngineError(file + ": clip file does not exist");
        AudioBuffer audio = readAudioFile(file);
        if (maxSeconds > 0 && audio.seconds() > maxSeconds)
            audio.samples.resize(static_cast<std::size_t>(maxSeconds * audio.sampleRate));
        audio = Resampler::resample(audio, d.codec->sampleRate());
        codes = d.codec->encode(audio);
    }
    if (codes.numCodebooks != d.info.numCodebooks)
        throw EngineError(tokens.string() + ": " + std::to_string(codes.numCodebooks) +
                          " codebooks, the model has " + std::to_string(d.info.numCodebooks));
    for (auto c : codes.data)
        if (c < 0 || c >= d.info.cardinality)
            throw EngineError(file + ": code " + std::to_string(c) + " outside [0, " +
                              std::to_string(d.info.cardinality) + ")");
    int frames = codes.frames;
    if (maxSeconds > 0)
        frames = std::min(frames, std::max(1, static_cast<int>(maxSeconds * d.info.frameRate)));
    frames = std::min(frames, d.info.maxFrames);
    if (frames < codes.frames) {
        CodeGrid cut(codes.numCodebooks, frames);
        for (int k = 0; k < codes.numCodebooks; ++k)
            for (int f = 0; f < frames; ++f)
                cut.at(k, f) = codes.at(k, f);
        codes = std::move(cut);
    }
    return codes;
}

} // namespace

ActivationCollector::ActivationCollector(MusicEngine& engine) : engine_(engine) {}

CollectionSummary ActivationCollector::collectFolder(const std::string& folder,
                                                     const std::string& outPath,
                                                     const CollectionOptions& options,
                                                     const Progress& progress,
                                                     const std::atomic<bool>* cancel) {
    checkOptions(options);
    torch::NoGradGuard noGrad;
    const auto t0 = Clock::now();
    MusicEngine::Impl& d = engine_.impl();
    const std::string csvPath = (fs::path(folder) / "labels.csv").string();
    if (!fs::is_regular_file(csvPath))
        throw std::runtime_error(csvPath + ": no labels.csv (columns file,label[,valence,arousal]"
                                           "[,prompt])");
    // LabelledClips checks existence of the listed files; token files may stand in for
    // audio here, so parse without that check and resolve each clip below.
    const std::string text = readCsvFile(csvPath);
    const LabelledClips set = LabelledClips::parse(text, folder, csvPath, options.labelColumn);
    // Optional conditioning columns: `prompt` (text) or `prompt_ids` (space-separated token
    // ids, for models without a tokenizer); keyed by the resolved file like LabelledClips.
    std::map<std::string, Recipe> conditioning;
    const CsvTable table = CsvTable::parse(text, csvPath);
    for (std::size_t r = 0; r < table.rows(); ++r) {
        const fs::path p(table.at(r, "file"));
        Recipe& rec = conditioning[p.is_absolute() ? p.string() : (fs::path(folder) / p).string()];
        if (table.hasColumn("prompt")) rec.prompt = table.at(r, "prompt");
        if (table.hasColumn("prompt_ids")) {
            std::istringstream ids(table.at(r, "prompt_ids"));
            std::string tok;
            while (ids >> tok) {
                try {
                    std::size_t used = 0;
                    rec.promptIds.push_back(std::stoll(tok, &used));
                    if (used != tok.size()) throw std::invalid_argument(tok);
                } catch (const std::exception&) {
                    throw std::runtime_error(csvPath + ": row " + std::to_string(r + 2) +
                                             ": prompt_ids must be integers, got '" + tok + "'");
                }
            }
        }
    }
    if (set.clips.empty()) throw std::runtime_error(csvPath + ": no clips listed");

    ActivationSetWriter writer(outPath,
                               settingsFor(d.info, options, "data:" + folder, set.labelNames));
    auto lm = d.model->decoder;
    const int K = d.info.numCodebooks;
    const auto pad = lm->config().pad_token_id;
    const int total = static_cast<int>(set.clips.size());
    for (int i = 0; i < total; ++i) {
        if (cancel && cancel->load()) throw EngineError("cancelled");
        const LabelledClip& clip = set.clips[static_cast<std::size_t>(i)];
        const CodeGrid codes = clipCodes(d, clip.file, options.maxSeconds);
        if (codes.frames < K)
            throw EngineError(clip.file + ": " + std::to_string(codes.frames) +
                              " frames; at least " + std::to_string(K) +
                              " are needed for the pooling window");
        Recipe r;
        if (auto it = conditioning.find(clip.file); it != conditioning.end()) r = it->second;
        Conditioning c = d.condition(r);
        auto cross = lm->precomputeCross(c.memory, c.mask);
        const DelayPattern pattern(K, codes.frames, pad);
        const auto delayed = pattern.build(codes); // K x (T + K)
        const int inputs = pattern.steps();        // positions 0 .. T+K-2 are fed
        auto ids = torch::from_blob(const_cast<std::int64_t*>(delayed.data()),
                                    {K, pattern.length()}, torch::kInt64)
                       .narrow(1, 0, inputs)
                       .contiguous();
        ActivationPooler pooler(d.info.numLayers, d.info.hiddenSize, options.pooling, codes.frames,
                                K);
        const int position = 0;
        const auto hooks = observerFor(options, pooler, position);
        lm->forward(ids, cross, nullptr, &hooks);
        const auto pooled = pooler.pooled();
        writer.append(pooled, clip.label, clip.valence, clip.arousal,
                      fs::path(clip.file).filename().string());
        report(progress, i + 1, total, t0, clip.file);
    }
    writer.finish();
    return {writer.size(), settingsFor(d.info, options, "data:" + folder, set.labelNames),
            since(t0), set.labelColumn};
}

CollectionSummary ActivationCollector::collectGenerated(const GenerationSpec& spec,
                                                        const std::string& outPath,
                                                        const CollectionOptions& options,
                                                        const Progress& progress,
                                                        const std::atomic<bool>* cancel) {
    checkOptions(options);
    const auto t0 = Clock::now();
    MusicEngine::Impl& d = engine_.impl();
    std::vector<std::string> labels = spec.labels.empty() ? d.info.genres : spec.labels;
    if (labels.empty())
        throw std::invalid_argument("no labels given and the model lists no genres: pass labels");
    if (spec.perLabel < 1) throw std::invalid_argument("clips per label must be >= 1");
    if (!spec.promptIds.empty() && spec.promptIds.size() != labels.size())
        throw std::invalid_argument("prompt ids given for " +
                                    std::to_string(spec.promptIds.size()) +
                                    " labels, but there are " + std::to_string(labels.size()));
    // Label names are stored sorted (as for folders) so indices do not depend on the order.
    std::vector<std::string> names = labels;
    std::sort(names.begin(), names.end());
    if (std::adjacent_find(names.begin(), names.end()) != names.end())
        throw std::invalid_argument("duplicate label in the label list");

    const std::string source =
        "generate:" + std::to_string(spec.perLabel) + " per label, '" + spec.promptTemplate + "'";
    ActivationSetWriter writer(outPath, settingsFor(d.info, options, source, names));
    const int K = d.info.numCodebooks;
    const int total = static_cast<int>(labels.size()) * spec.perLabel;
    int done = 0;
    for (std::size_t l = 0; l < labels.size(); ++l) {
        const auto labelIndex =
            std::lower_bound(names.begin(), names.end(), labels[l]) - names.begin();
        for (int j = 0; j < spec.perLabel; ++j) {
            Recipe r;
            if (!spec.promptIds.empty()) {
                r.promptIds = spec.promptIds[l];
            } else {
                r.prompt = spec.promptTemplate;
                for (auto pos = r.prompt.find("{label}"); pos != std::string::npos;
                     pos = r.prompt.find("{label}", pos + labels[l].size()))
                    r.prompt.replace(pos, 7, labels[l]);
            }
            r.seconds = spec.seconds;
            r.steps = spec.steps;
            r.seed = spec.seed + static_cast<std::uint64_t>(done);
            r.guidance = spec.guidance;
            r.topK = spec.topK;
            r.temperature = spec.temperature;
            const int frames = d.framesFor(r);
            ActivationPooler pooler(d.info.numLayers, d.info.hiddenSize, options.pooling, frames,
                                    K);
            int position = 0;
            const auto observer = observerFor(options, pooler, position);
            GenerationCallbacks cb;
            cb.cancel = cancel;
            auto result = d.generate(r, cb, &observer, [&position](int step) { position = step; });
            if (result.cancelled) throw EngineError("cancelled");
            writer.append(pooler.pooled(), labelIndex, std::nullopt, std::nullopt,
                          labels[l] + "#" + std::to_string(j) + " seed " + std::to_string(r.seed));
            ++done;
            report(progress, done, total, t0, labels[l] + " #" + std::to_string(j));
        }
    }
    writer.finish();
    return {writer.size(), settingsFor(d.info, options, source, names), since(t0)};
}

} // namespace moodsteer
