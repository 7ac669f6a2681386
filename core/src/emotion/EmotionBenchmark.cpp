// bench-emotion's core: grid planning, generation, prediction, metrics and sanity measures.
#include "core/emotion/EmotionBenchmark.h"

#include "../corpus/Rng.h"
#include "core/alignment/AlignmentModel.h"
#include "core/corpus/Composer.h"
#include "core/emotion/EmotionLexicon.h"
#include "core/emotion/EmotionPredictor.h"
#include "core/emotion/GenreClassifier.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace moodsteer {

std::vector<double> emotionGridValues(int n) {
    if (n < 1) throw std::invalid_argument("emotion grid: " + std::to_string(n) + " points");
    if (n == 1) return {5.0};
    std::vector<double> v(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        v[static_cast<std::size_t>(i)] = 1.0 + 8.0 * i / (n - 1);
    return v;
}

std::pair<int, int> parseEmotionGrid(const std::string& text) {
    int a = 0, b = 0;
    char x = 0, extra = 0;
    if (std::sscanf(text.c_str(), "%d%c%d%c", &a, &x, &b, &extra) != 3 || (x != 'x' && x != 'X') ||
        a < 1 || b < 1 || a > 100 || b > 100)
        throw std::invalid_argument("emotion grid '" + text +
                                    "': expected VxA with 1..100 points each, e.g. 5x5");
    return {a, b};
}

namespace {
std::string fillPromptTemplate(std::string text, const std::string& genre, double v, double a) {
    const auto replace = [&](const std::string& key, const std::string& value) {
        for (auto at = text.find(key); at != std::string::npos;
             at = text.find(key, at + value.size()))
            text.replace(at, key.size(), value);
    };
    replace("{genre}", genre);
    if (text.find("{word}") != std::string::npos)
        replace("{word}", EmotionLexicon::builtin().nearestMood(v, a, 1).at(0).word);
    return text;
}
} // namespace

std::string textBaselinePrompt(const std::string& word, const std::string& genre) {
    const bool vowel =
        !word.empty() && std::string("aeiouAEIOU").find(word[0]) != std::string::npos;
    return std::string("Generate ") + (vowel ? "an " : "a ") + word + " " +
           (genre.empty() ? "" : genre + " ") + "music.";
}

double barRepetition(const std::vector<std::int64_t>& codes, int numCodebooks, int frames,
                     double frameRate) {
    if (numCodebooks < 1 || frames < 0 ||
        codes.size() != static_cast<std::size_t>(numCodebooks) * static_cast<std::size_t>(frames))
        throw std::invalid_argument("barRepetition: " + std::to_string(codes.size()) +
                                    " codes for " + std::to_string(numCodebooks) + " x " +
                                    std::to_string(frames));
    // A 4/4 bar at the tempi SynthCodec can express (frames per 16th = 2..6 at 25 Hz).
    static const double kBpm[] = {62.5, 75.0, 93.75, 125.0, 187.5};
    double best = -1;
    for (double bpm : kBpm) {
        const int lag = static_cast<int>(std::lround(frameRate * 240.0 / bpm));
        if (lag < 1 || lag >= frames) continue;
        int same = 0;
        for (int t = lag; t < frames; ++t) {
            bool eq = true;
            for (int k = 0; k < numCodebooks && eq; ++k)
                eq = codes[static_cast<std::size_t>(k) * frames + t] ==
                     codes[static_cast<std::size_t>(k) * frames + t - lag];
            same += eq;
        }
        best = std::max(best, static_cast<double>(same) / (frames - lag));
    }
    return best;
}

double corpusBarRepetition(const std::vector<std::string>& genres, double seconds, int pieces,
                           std::uint64_t seed) {
    const auto& g = genres.empty() ? Composer::genres() : genres;
    const Composer composer;
    corpus::Rng rng(seed);
    double sum = 0;
    int n = 0;
    for (int i = 0; i < pieces; ++i) {
        ComposerRequest r;
        r.genre = g[static_cast<std::size_t>(i) % g.size()];
        r.valence = rng.uniform(1.0, 9.0);
        r.arousal = rng.uniform(1.0, 9.0);
        r.seconds = seconds;
        r.seed = rng.next();
        const auto piece = composer.compose(r);
        const int frames = piece.codes.frames;
        const double rep = barRepetition(piece.codes.data, piece.codes.numCodebooks, frames, 25.0);
        if (rep >= 0) {
            sum += rep;
            ++n;
        }
    }
    return n ? sum / n : -1;
}

std::vector<EmotionBenchmarkJob> planEmotionBenchmark(const EmotionBenchmarkOptions& o,
                                                      const ModelInfo& info) {
    const auto vs = emotionGridValues(o.gridValence);
    const auto as = emotionGridValues(o.gridArousal);
    if (o.clipsPerPoint < 1)
        throw std::invalid_argument("clips per point must be at least 1 (got " +
                                    std::to_string(o.clipsPerPoint) + ")");
    if (!(o.seconds > 0) || (info.maxFrames > 0 && o.seconds * info.frameRate > info.maxFrames))
        throw std::invalid_argument("clip length " + std::to_string(o.seconds) +
                                    " s is outside what the model can generate");
    if (!o.textBaseline && !info.hasAvEncoder)
        throw std::invalid_argument("model '" + info.id +
                                    "' has no valence-arousal (AV) encoder; use the text "
                                    "baseline (--text-baseline) instead");
    if (!info.hasTokenizer)
        throw std::invalid_argument("model '" + info.id +
                                    "' has no tokenizer (spiece.model): the benchmark's text "
                                    "prompts cannot be encoded");
    std::vector<std::string> genres = o.genres.empty() ? info.genres : o.genres;
    if (genres.empty()) genres.push_back("");
    std::vector<EmotionBenchmarkJob> jobs;
    for (double v : vs)
        for (double a : as)
            for (const auto& genre : genres)
                for (int c = 0; c < o.clipsPerPoint; ++c) {
                    EmotionBenchmarkJob job;
                    auto& clip = job.clip;
                    clip.genre = genre;
                    clip.target = {v, a};
                    clip.seed = o.seed + jobs.size();
                    auto& r = job.recipe;
                    r.model = info.folder;
                    r.seed = clip.seed;
                    r.seconds = o.seconds;
                    r.guidance = o.guidance;
                    r.topK = o.topK;
                    r.temperature = o.temperature;
                    if (o.textBaseline) {
                        const auto words = EmotionLexicon::builtin().nearestMood(v, a, 1);
                        clip.word = words.at(0).word;
                        clip.prompt = textBaselinePrompt(clip.word, genre);
                    } else {
                        clip.prompt = genre.empty()
                                          ? "music"
                                          : fillPromptTemplate(o.promptTemplate, genre, v, a);
                        r.valence = v;
                        r.arousal = a;
                        r.emotionGuidance = o.emotionGuidance;
                    }
                    r.prompt = clip.prompt;
                    jobs.push_back(std::move(job));
                }
    return jobs;
}

std::vector<EmotionScatterPoint> EmotionBenchmarkReport::scatter() const {
    std::vector<EmotionScatterPoint> out;
    for (const auto& c : clips)
        if (c.predicted) {
            char name[160];
            std::snprintf(name, sizeof name, "v=%.1f a=%.1f %s #%llu", c.target.valence,
                          c.target.arousal, c.genre.c_str(),
                          static_cast<unsigned long long>(c.seed));
            out.push_back({name, c.target, c.prediction});
        }
    return out;
}

EmotionBenchmarkReport runEmotionBenchmark(const std::vector<EmotionBenchmarkJob>& jobs,
                                           const ModelInfo& info,
                                           const EmotionBenchmarkOptions& options,
                                           const EmotionBenchmarkHooks& hooks) {
    if (!hooks.generate || !hooks.predict)
        throw std::invalid_argument("runEmotionBenchmark: generate and predict are required");
    EmotionBenchmarkReport rep;
    rep.textBaseline = options.textBaseline;
    std::vector<VaPoint> targets, predictions;
    double rmsSum = 0, repSum = 0;
    int repCount = 0, silent = 0, generated = 0, genreTried = 0, genreHit = 0;
    std::map<std::string, std::pair<int, int>> byGenre; // hits, tries
    int alignTried = 0, alignHit = 0;
    double alignSum = 0;
    std::map<std::string, std::pair<int, int>> alignByGenre;    // hits, tries
    std::map<std::string, std::pair<double, int>> alignScoreBy; // sum, clips
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        if (hooks.cancel && hooks.cancel->load()) {
            rep.cancelled = true;
            break;
        }
        EmotionBenchmarkClip clip = jobs[i].clip;
        GenerationResult g;
        try {
            g = hooks.generate(jobs[i].recipe, hooks.cancel);
        } catch (const std::exception& e) {
            clip.error = std::string("generation failed: ") + e.what();
            rep.clips.push_back(clip);
            if (hooks.progress)
                hooks.progress(static_cast<int>(i + 1), static_cast<int>(jobs.size()), clip);
            continue;
        }
        if (g.cancelled) {
            rep.cancelled = true;
            break;
        }
        ++generated;
        clip.generationSeconds = g.generationSeconds;
        rep.generationSeconds += g.generationSeconds;
        rep.audioSeconds += g.audio.seconds();
        double sq = 0;
        for (float s : g.audio.samples)
            sq += static_cast<double>(s) * s;
        clip.rms = g.audio.samples.empty() ? 0.0 : std::sqrt(sq / g.audio.samples.size());
        clip.silent = !(clip.rms >= options.silenceRms);
        rmsSum += clip.rms;
        silent += clip.silent;
        if (g.numCodebooks > 0 && g.frames > 0)
            clip.barRepetition = barRepetition(g.codes, g.numCodebooks, g.frames, info.frameRate);
        if (clip.barRepetition >= 0) {
            repSum += clip.barRepetition;
            ++repCount;
        }
        try {
            const VaPoint p = hooks.predict(g.audio);
            if (!std::isfinite(p.valence) || !std::isfinite(p.arousal))
                throw std::runtime_error("non-finite prediction");
            clip.prediction = p;
            clip.predicted = true;
            targets.push_back(clip.target);
            predictions.push_back(p);
        } catch (const std::exception& e) {
            clip.error = std::string("prediction failed: ") + e.what();
        }
        if (hooks.classifyGenre && !clip.genre.empty() && !clip.silent) {
            try {
                clip.recognisedGenre = hooks.classifyGenre(g.audio);
                const bool hit = clip.recognisedGenre == clip.genre;
                ++genreTried;
                genreHit += hit;
                auto& bg = byGenre[clip.genre];
                bg.first += hit;
                ++bg.second;
            } catch (const std::exception& e) {
                if (clip.error.empty()) clip.error = std::string("genre check failed: ") + e.what();
            }
        } else if (hooks.classifyGenre && !clip.genre.empty()) {
            ++genreTried; // a silent clip does not show its genre: a miss
            ++byGenre[clip.genre].second;
        }
        if (hooks.align && !clip.silent) {
            try {
                const auto a = hooks.align(g.audio, clip);
                clip.alignment = a.promptScore;
                clip.alignedGenre = a.genre;
                alignSum += a.promptScore;
                ++rep.alignedClips;
                auto& sb = alignScoreBy[clip.genre];
                sb.first += a.promptScore;
                ++sb.second;
                if (!clip.genre.empty()) {
                    const bool hit = a.genre == clip.genre;
                    ++alignTried;
                    alignHit += hit;
                    alignByGenre[clip.genre].first += hit;
                    ++alignByGenre[clip.genre].second;
                }
            } catch (const std::exception& e) {
                if (clip.error.empty()) clip.error = std::string("alignment failed: ") + e.what();
            }
        } else if (hooks.align && !clip.genre.empty()) {
            ++alignTried; // as for the genre check: a silent clip misses its genre
            ++alignByGenre[clip.genre].second;
        }
        rep.clips.push_back(clip);
        if (hooks.progress)
            hooks.progress(static_cast<int>(i + 1), static_cast<int>(jobs.size()),
                           rep.clips.back());
    }
    rep.predictedClips = static_cast<int>(predictions.size());
    if (predictions.size() >= 2) {
        rep.metrics = computeEmotionMetrics(targets, predictions);
        rep.hasMetrics = true;
    }
    if (generated > 0) { // over the clips that were generated (failures have no audio)
        rep.silentFraction = static_cast<double>(silent) / generated;
        rep.meanRms = rmsSum / generated;
    }
    if (repCount) rep.meanBarRepetition = repSum / repCount;
    if (genreTried) {
        rep.hasGenreAccuracy = true;
        rep.genreAccuracy = static_cast<double>(genreHit) / genreTried;
        for (const auto& [genre, ht] : byGenre)
            rep.genreAccuracyBy[genre] = static_cast<double>(ht.first) / ht.second;
    }
    if (rep.alignedClips > 0) {
        rep.hasAlignment = true;
        rep.meanAlignment = alignSum / rep.alignedClips;
        for (const auto& [genre, sn] : alignScoreBy)
            rep.meanAlignmentBy[genre] = sn.first / sn.second;
    }
    if (alignTried) {
        rep.hasAlignmentGenreAccuracy = true;
        rep.alignmentGenreAccuracy = static_cast<double>(alignHit) / alignTried;
        for (const auto& [genre, ht] : alignByGenre)
            rep.alignmentGenreAccuracyBy[genre] = static_cast<double>(ht.first) / ht.second;
    }
    if (info.codecName == "synthcodec" && options.corpusReferencePieces > 0) {
        std::vector<std::string> genres;
        for (const auto& g : Composer::genres())
            genres.push_back(g);
        rep.corpusBarRepetition = corpusBarRepetition(genres, options.seconds,
                                                      options.corpusReferencePieces, options.seed);
    }
    return rep;
}

EmotionBenchmarkReport
runEmotionBenchmark(MusicEngine& engine, const EmotionPredictor& predictor,
                    const GenreClassifier* classifier, const EmotionBenchmarkOptions& options,
                    const std::function<void(int, int, const EmotionBenchmarkClip&)>& progress,
                    const std::atomic<bool>* cancel, const AlignmentModel* alignment) {
    const auto jobs = planEmotionBenchmark(options, engine.info());
    EmotionBenchmarkHooks hooks;
    hooks.generate = [&engine](const Recipe& r, const std::atomic<bool>* c) {
        GenerationCallbacks cb;
        cb.cancel = c;
        return engine.generate(r, cb);
    };
    hooks.predict = [&predictor](const AudioBuffer& audio) {
        const auto p = predictor.predict(audio);
        // A silent clip gets a flagged placeholder, not a judgement: keep it out of the metrics.
        if (std::find(p.flags.begin(), p.flags.end(), kFlagSilent) != p.flags.end())
            throw std::runtime_error("the clip is silent");
        return VaPoint{p.valence, p.arousal};
    };
    if (classifier)
        hooks.classifyGenre = [classifier](const AudioBuffer& audio) {
            return classifier->classify(audio);
        };
    if (alignment) hooks.align = alignmentJudge(*alignment, alignmentCandidates(jobs));
    hooks.progress = progress;
    hooks.cancel = cancel;
    return runEmotionBenchmark(jobs, engine.info(), options, hooks);
}

std::vector<std::string> alignmentCandidates(const std::vector<EmotionBenchmarkJob>& jobs) {
    std::vector<std::string> out = Composer::genres();
    for (const auto& j : jobs)
        if (!j.clip.genre.empty() && std::find(out.begin(), out.end(), j.clip.genre) == out.end())
            out.push_back(j.clip.genre);
    return out;
}

std::function<EmotionBenchmarkAlignment(const AudioBuffer&, const EmotionBenchmarkClip&)>
alignmentJudge(const AlignmentModel& model, std::vector<std::string> candidates) {
    return [&model, candidates = std::move(candidates)](const AudioBuffer& audio,
                                                        const EmotionBenchmarkClip& clip) {
        const auto e = model.embedAudio(audio);
        EmotionBenchmarkAlignment a;
        a.promptScore = AlignmentModel::cosine(e, model.embedText(clip.prompt));
        if (!clip.genre.empty())
            a.genre = candidates[static_cast<std::size_t>(model.zeroShotGenre(e, candidates))];
        return a;
    };
}

} // namespace moodsteer
