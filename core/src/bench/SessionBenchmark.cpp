#include "core/bench/SessionBenchmark.h"

#include "core/audio/TempoEstimate.h"

#include "core/bench/Benchmark.h"
#include "core/emotion/DefaultEmotionHead.h"
#include "core/emotion/EmotionPredictor.h"
#include "core/emotion/GenreClassifier.h"
#include "core/engine/MusicEngine.h"
#include "core/io/Resources.h"
#include "core/session/MoodWords.h"
#include "core/session/VaPath.h"
#include "session/WindowGuard.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace moodsteer {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

std::vector<double> ranks(std::span<const double> x) {
    std::vector<std::size_t> order(x.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
    std::vector<double> r(x.size());
    for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i;
        while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]])
            ++j;
        for (std::size_t k = i; k <= j; ++k)
            r[order[k]] = (double(i) + double(j)) / 2.0 + 1.0;
        i = j + 1;
    }
    return r;
}

nlohmann::ordered_json speedJson(const SessionSpeed& s) {
    return {{"model", s.model},
            {"precision", s.precision},
            {"audio_seconds", s.audioSeconds},
            {"generation_seconds", s.generationSeconds},
            {"real_time_factor", s.realTimeFactor},
            {"first_audio_seconds", s.firstAudioSeconds},
            {"rss_at_2_min_mb", s.rssAt2MinMB},
            {"rss_end_mb", s.rssEndMB},
            {"peak_rss_mb", s.peakRssMB},
            {"windows", s.windows},
            {"reseeded_windows", s.reseededWindows},
            {"remade_windows", s.remadeWindows},
            {"silent_windows", s.silentWindows},
            {"window_levels_dbfs", s.windowLevels},
            {"window_tries", s.windowTries},
            {"window_emotion_errors", s.windowEmotionErrors}};
}

/// One windowed session, measured. `onAudio` sees the stream (its time is not counted).
SessionSpeed runSession(MusicEngine& engine, const Recipe& recipe, const std::string& precision,
                        const std::function<void(const float*, std::size_t)>& onAudio,
                        std::vector<std::size_t>* seamSamples,
                        const std::function<void(const std::string&)>& say,
                        const std::atomic<bool>* cancel, GenerationResult* keep,
                        const EmotionPredictor* judge) {
    SessionSpeed s;
    s.model = engine.info().id;
    s.precision = precision;
    double measuring = 0; // seconds spent in the benchmark's own callbacks
    std::size_t samples = 0;
    const int rate = engine.info().sampleRate;
    int window = 0;
    double lastSaid = 0;
    GenerationCallbacks cb;
    cb.keepAudio = false; // a long session holds no audio; the measures run on the stream
    cb.cancel = cancel;
    cb.emotionJudge = judge;
    const auto began = Clock::now();
    cb.onAudio = [&](const float* x, std::size_t n) {
        const auto t0 = Clock::now();
        if (s.firstAudioSeconds < 0 && n > 0) s.firstAudioSeconds = secondsSince(began) - measuring;
        samples += n;
        if (s.rssAt2MinMB < 0 && samples >= std::size_t(120) * rate) s.rssAt2MinMB = currentRssMB();
        if (onAudio) onAudio(x, n);
        measuring += secondsSince(t0);
    };
    cb.onProgress = [&](const GenerationProgress& p) {
        if (p.window != window && seamSamples) seamSamples->push_back(samples);
        window = p.window;
        if (p.elapsedSeconds - lastSaid >= 10) {
            lastSaid = p.elapsedSeconds;
            say("window " + std::to_string(p.window + 1) + "/" + std::to_string(p.windows) + ", " +
                std::to_string(static_cast<int>(p.audioSeconds)) + " s of audio");
        }
    };
    GenerationResult r = engine.generate(recipe, cb);
    if (r.cancelled) throw std::runtime_error("stopped; no figures were printed");
    s.audioSeconds = double(samples) / rate;
    s.generationSeconds = std::max(1e-9, r.generationSeconds - measuring);
    s.realTimeFactor = s.audioSeconds / s.generationSeconds;
    s.rssEndMB = currentRssMB();
    s.peakRssMB = peakRssMB();
    s.windows = static_cast<int>(r.windowLevels.size());
    s.reseededWindows = static_cast<int>(r.recipe.reseeds.size());
    s.windowLevels = r.windowLevels;
    s.windowTries = r.windowTries;
    s.windowEmotionErrors = r.windowEmotionErrors;
    for (double level : r.windowLevels)
        s.silentWindows += level < -50.0;
    s.remadeWindows = r.remadeWindows();
    if (keep) *keep = std::move(r);
    return s;
}

} // namespace

double spearmanCorrelation(std::span<const double> a, std::span<const double> b) {
    if (a.size() != b.size() || a.size() < 2)
        throw std::invalid_argument("Spearman correlation needs two series of equal length >= 2");
    const auto ra = ranks(a), rb = ranks(b);
    return pearsonCorrelation(ra, rb);
}

std::pair<double, double> barRepetition(const std::vector<std::int64_t>& codes, int K, int frames,
                                        const std::vector<int>& windowStarts, int barFrames) {
    if (barFrames < 1 || frames < 2 * barFrames) return {0, 0};
    const int bars = frames / barFrames;
    const auto windowOf = [&](int frame) {
        int w = 0;
        for (std::size_t i = 0; i < windowStarts.size(); ++i)
            if (windowStarts[i] <= frame) w = static_cast<int>(i);
        return w;
    };
    const auto same = [&](int a, int b) {
        int equal = 0;
        for (int f = 0; f < barFrames; ++f) {
            bool eq = true;
            for (int k = 0; k < K && eq; ++k)
                eq = codes[std::size_t(k) * frames + a * barFrames + f] ==
                     codes[std::size_t(k) * frames + b * barFrames + f];
            equal += eq;
        }
        return equal >= 0.9 * barFrames;
    };
    int within = 0, across = 0;
    for (int b = 1; b < bars; ++b) {
        const int wb = windowOf(b * barFrames);
        bool inWindow = false, inEarlier = false;
        for (int c = 0; c < b && !(inWindow && inEarlier); ++c) {
            const int wc = windowOf(c * barFrames);
            if ((wc == wb && inWindow) || (wc < wb && inEarlier)) continue;
            if (same(b, c)) (wc == wb ? inWindow : inEarlier) = true;
        }
        within += inWindow;
        across += inEarlier;
    }
    return {double(within) / bars, double(across) / bars};
}

std::string promptGenre(const std::string& prompt, const std::vector<std::string>& genres) {
    std::string text;
    for (char c : prompt)
        text += std::isalpha(static_cast<unsigned char>(c))
                    ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
                    : ' ';
    std::istringstream words(text);
    for (std::string w; words >> w;)
        if (std::find(genres.begin(), genres.end(), w) != genres.end()) return w;
    return {};
}

SessionBenchReport runSessionBenchmark(const SessionBenchOptions& o,
                                       const std::function<void(const std::string&)>& say,
                                       const std::atomic<bool>* cancel) {
    SessionBenchReport rep;
    const std::string folder = MusicEngine::embeddedModelFolder();
    if (folder.empty()) throw std::runtime_error("the embedded model is not installed");
    const double seconds = o.minutes * 60;
    const double hold = o.holdMinutes >= 0 ? o.holdMinutes * 60 : seconds / 5;
    if (!(seconds > 0) || !(hold < seconds))
        throw std::invalid_argument("the hold must be shorter than the session");
    const std::string headPath = o.headPath.empty() ? defaultEmotionHeadPath() : o.headPath;
    say("loading the emotion head " + headPath);
    const EmotionPredictor predictor = EmotionPredictor::load(headPath);

    say("embedded model: a " + std::to_string(o.minutes) + " min session");
    auto engine = MusicEngine::load(folder, LoadOptions{o.threads, "f32"});
    const ModelInfo& info = engine->info();
    Recipe r;
    r.model = "embedded";
    r.prompt = o.prompt;
    r.seed = o.seed;
    r.seconds = seconds;
    r.guidance = o.guidance.value_or(info.defaultGuidance);
    r.emotionGuidance = o.emotionGuidance ? o.emotionGuidance : info.defaultEmotionGuidance;
    r.windowSeconds = o.windowSeconds > 0 ? o.windowSeconds : info.maxFrames / info.frameRate;
    r.emotionPath = VaPath::iso(o.from, o.to, seconds - hold, hold, PathInterpolation::Linear);
    r.seamCandidates = o.seamCandidates;
    r.readAhead = true; // as new sessions
    r.useSessionChecks(o.acceptSeconds.value_or(Recipe::sessionAcceptSeconds(o.emotionCheck)));
    r.emotionCheck = o.emotionCheck;
    if (const auto conflict = moodConflict(o.prompt, r.emotionPath))
        say("note: " + conflict->describe());

    // A genre named in the prompt is checked block by block (the bench-emotion classifier).
    std::optional<GenreClassifier> genres;
    rep.promptGenre = promptGenre(o.prompt, info.genres);
    if (!rep.promptGenre.empty()) {
        say("genre classifier (prompt genre: " + rep.promptGenre + ")");
        genres = GenreClassifier::loadOrTrain(resourcePath("emotion/genre_classifier_dsp.json"), {},
                                              {}, cancel);
    }

    // Blocks of the stream go to the emotion head as they complete; flux runs on every chunk.
    SpectralFlux flux;
    AudioBuffer block;
    block.sampleRate = info.sampleRate;
    const std::size_t blockSamples = static_cast<std::size_t>(o.blockSeconds * info.sampleRate);
    double blockStart = 0;
    const auto judge = [&] {
        if (block.samples.size() < blockSamples / 2) return; // a short tail is not judged
        SessionBlock b;
        b.startSeconds = blockStart;
        b.endSeconds = blockStart + block.seconds();
        const auto [tv, ta] = r.emotionPath.at((b.startSeconds + b.endSeconds) / 2);
        b.target = {tv, ta};
        b.monotone = b.endSeconds <= seconds - hold + 1e-6;
        b.levelDbfs = WindowGuard::levelDbfs(block.samples.data(), block.samples.size());
        if (!isSilent(block)) {
            const ClipPrediction p = predictor.predict(block);
            b.predicted = {p.valence, p.arousal};
            if (genres) b.genre = genres->classify(block);
        }
        rep.blocks.push_back(b);
    };
    const auto onAudio = [&](const float* x, std::size_t n) {
        flux.push(x, n);
        while (n > 0) {
            const std::size_t take = std::min(n, blockSamples - block.samples.size());
            block.samples.insert(block.samples.end(), x, x + take);
            x += take;
            n -= take;
            if (block.samples.size() == blockSamples) {
                judge();
                blockStart += block.seconds();
                block.samples.clear();
            }
        }
    };
    std::vector<std::size_t> seams;
    GenerationResult result;
    rep.embedded = runSession(*engine, r, "f32", onAudio, &seams, say, cancel, &result, &predictor);
    judge();

    std::vector<double> tv, pv, ta, pa, mta, mpa, mlevel;
    for (const auto& b : rep.blocks) {
        tv.push_back(b.target.valence);
        pv.push_back(b.predicted.valence);
        ta.push_back(b.target.arousal);
        pa.push_back(b.predicted.arousal);
        if (b.monotone) {
            mta.push_back(b.target.arousal);
            mpa.push_back(b.predicted.arousal);
            mlevel.push_back(b.levelDbfs);
        }
    }
    if (tv.size() >= 2) {
        rep.valence = computeDimensionMetrics(tv, pv, "valence");
        rep.arousal = computeDimensionMetrics(ta, pa, "arousal");
        for (std::size_t i = 0; i < tv.size(); ++i) {
            rep.valenceMae += std::abs(pv[i] - tv[i]) / tv.size();
            rep.arousalMae += std::abs(pa[i] - ta[i]) / ta.size();
        }
    }
    if (genres) {
        int heard = 0, onGenre = 0;
        for (const auto& b : rep.blocks)
            if (!b.genre.empty()) {
                ++heard;
                onGenre += b.genre == rep.promptGenre;
            }
        if (heard > 0) rep.genreShare = double(onGenre) / heard;
    }
    rep.monotoneBlocks = static_cast<int>(mta.size());
    if (mta.size() >= 2) {
        rep.arousalSpearman = spearmanCorrelation(mta, mpa);
        rep.levelSpearman = spearmanCorrelation(mta, mlevel);
    }
    std::tie(rep.seamScore, rep.seamScoreMax) = flux.seamScore(seams);
    rep.seams = static_cast<int>(seams.size());
    rep.seamScores = flux.seamScores(seams);
    for (std::size_t s : seams)
        rep.seamSeconds.push_back(double(s) / info.sampleRate);
    {
        std::vector<std::size_t> bounds{0};
        bounds.insert(bounds.end(), seams.begin(), seams.end());
        bounds.push_back(static_cast<std::size_t>(rep.embedded.audioSeconds * info.sampleRate));
        std::vector<std::size_t> middles;
        for (std::size_t i = 1; i < bounds.size(); ++i)
            middles.push_back((bounds[i - 1] + bounds[i]) / 2);
        const auto inside = flux.scoresAt(middles, seams);
        for (double x : inside)
            rep.insideScore += x / inside.size();
        rep.seamTempoChanges = tempoChangesAt(flux, seams, info.sampleRate);
        for (double c : rep.seamTempoChanges)
            if (c >= 0) {
                ++rep.tempoSeams;
                rep.seamTempoChange += c;
                rep.seamTempoChangeMax = std::max(rep.seamTempoChangeMax, c);
            }
        if (rep.tempoSeams > 0) rep.seamTempoChange /= rep.tempoSeams;
        int measured = 0;
        for (double c : tempoChangesAt(flux, middles, info.sampleRate))
            if (c >= 0) {
                ++measured;
                rep.insideTempoChange += c;
            }
        if (measured > 0) rep.insideTempoChange /= measured;
        const double hopsPerSecond = double(info.sampleRate) / SpectralFlux::kHop;
        const auto& f = flux.flux();
        for (std::size_t i = 1; i < bounds.size(); ++i) {
            const std::size_t a = std::min(f.size(), bounds[i - 1] / SpectralFlux::kHop),
                              b = std::min(f.size(), bounds[i] / SpectralFlux::kHop);
            const auto t = estimateTempo(std::span(f).subspan(a, b - a), hopsPerSecond);
            rep.windowTempos.push_back(t.hasPulse() ? t.bpm : 0.0);
        }
    }
    std::vector<int> starts{0};
    for (std::size_t s : seams)
        starts.push_back(static_cast<int>(s / (info.sampleRate / info.frameRate)));
    const int barFrames = static_cast<int>(std::lround(2.0 * info.frameRate));
    rep.bars = result.frames / std::max(1, barFrames);
    std::tie(rep.barRepeatWithin, rep.barRepeatAcross) =
        barRepetition(result.codes, result.numCodebooks, result.frames, starts, barFrames);
    result = {};
    engine.reset();

    if (o.musicgenSeconds > 0) {
        say("random-weight " + o.musicgenConfig + " (" + o.musicgenPrecision + "): a " +
            std::to_string(static_cast<int>(o.musicgenSeconds)) + " s session");
        auto mg = MusicEngine::withRandomWeights(o.musicgenConfig,
                                                 LoadOptions{o.threads, o.musicgenPrecision});
        Recipe m;
        m.promptIds = {71, 1}; // no tokenizer with random weights
        m.seed = o.seed;
        m.seconds = o.musicgenSeconds;
        m.guidance = 3.0;
        m.windowSeconds =
            std::min(o.musicgenWindowSeconds, mg->info().maxFrames / mg->info().frameRate);
        m.seamCandidates = o.seamCandidates; // as the embedded session (and the studio's)
        m.readAhead = true;
        m.useSessionChecks(o.acceptSeconds.value_or(
            Recipe::sessionAcceptSeconds(mg->info().sessionEmotionCheck())));
        rep.musicgen = runSession(*mg, m, o.musicgenPrecision, nullptr, nullptr, say, cancel,
                                  nullptr, nullptr);
    }
    return rep;
}

std::vector<double> tempoChangesAt(const SpectralFlux& flux, const std::vector<std::size_t>& points,
                                   int sampleRate, double spanSeconds) {
    const double hopsPerSecond = double(sampleRate) / SpectralFlux::kHop;
    const auto n = static_cast<std::size_t>(std::lround(spanSeconds * hopsPerSecond));
    const auto& f = flux.flux();
    std::vector<double> out;
    for (std::size_t p : points) {
        const std::size_t c = p / SpectralFlux::kHop;
        if (n < 2 || c < n || c + n > f.size()) {
            out.push_back(-1);
            continue;
        }
        const auto before = estimateTempo(std::span(f).subspan(c - n, n), hopsPerSecond);
        const auto after = estimateTempo(std::span(f).subspan(c, n), hopsPerSecond);
        out.push_back(before.hasPulse() && after.hasPulse()
                          ? tempoChangePercent(before.bpm, after.bpm)
                          : -1.0);
    }
    return out;
}

std::string SessionBenchReport::toJson() const {
    nlohmann::ordered_json j;
    j["embedded"] = speedJson(embedded);
    j["emotion"] = {{"blocks", blocks.size()},
                    {"valence_ccc", valence.ccc},
                    {"arousal_ccc", arousal.ccc},
                    {"valence_mae", valenceMae},
                    {"arousal_mae", arousalMae},
                    {"arousal_spearman_monotone", arousalSpearman},
                    {"level_spearman_monotone", levelSpearman},
                    {"monotone_blocks", monotoneBlocks}};
    auto b = nlohmann::ordered_json::array();
    for (const auto& x : blocks)
        b.push_back({x.startSeconds, x.endSeconds, x.target.valence, x.target.arousal,
                     x.predicted.valence, x.predicted.arousal});
    j["emotion"]["block_start_end_target_va_predicted_va"] = b;
    auto levels = nlohmann::ordered_json::array();
    for (const auto& x : blocks)
        levels.push_back(x.levelDbfs);
    j["emotion"]["block_level_dbfs"] = levels;
    if (!promptGenre.empty()) {
        auto heard = nlohmann::ordered_json::array();
        for (const auto& x : blocks)
            heard.push_back(x.genre);
        j["genre"] = {
            {"prompt_genre", promptGenre}, {"share_of_blocks", genreShare}, {"blocks", heard}};
    }
    j["seams"] = {{"count", seams},
                  {"score_mean", seamScore},
                  {"score_max", seamScoreMax},
                  {"scores", seamScores},
                  {"seconds", seamSeconds},
                  {"window_middle_score_mean", insideScore}};
    j["tempo"] = {{"seams_measured", tempoSeams},
                  {"seam_change_percent_mean", seamTempoChange},
                  {"seam_change_percent_max", seamTempoChangeMax},
                  {"seam_change_percent", seamTempoChanges},
                  {"window_middle_change_percent_mean", insideTempoChange},
                  {"window_bpm", windowTempos}};
    j["bar_repetition"] = {
        {"bars", bars}, {"within_window", barRepeatWithin}, {"across_windows", barRepeatAcross}};
    if (musicgen) j["musicgen"] = speedJson(*musicgen);
    return j.dump(2);
}

std::string SessionBenchReport::toTable() const {
    std::ostringstream out;
    char line[256];
    const auto speed = [&](const SessionSpeed& s) {
        std::snprintf(
            line, sizeof line,
            "%s (%s): %.0f s of audio in %.1f s = %.2fx real time, the first after "
            "%.1f s; %d windows (%d remade, %d under -50 dBFS)\n  RSS at 2 min %s, at "
            "the end %.0f MB, peak %.0f MB\n",
            s.model.c_str(), s.precision.c_str(), s.audioSeconds, s.generationSeconds,
            s.realTimeFactor, s.firstAudioSeconds, s.windows, s.remadeWindows, s.silentWindows,
            s.rssAt2MinMB < 0 ? "-" : (std::to_string(int(s.rssAt2MinMB)) + " MB").c_str(),
            s.rssEndMB, s.peakRssMB);
        out << line;
    };
    speed(embedded);
    std::snprintf(line, sizeof line,
                  "emotion over %zu blocks: CCC valence %.3f arousal %.3f, MAE valence %.2f "
                  "arousal %.2f; Spearman arousal (monotone part, %d blocks) %.3f, of the "
                  "blocks' level %.3f\n",
                  blocks.size(), valence.ccc, arousal.ccc, valenceMae, arousalMae, monotoneBlocks,
                  arousalSpearman, levelSpearman);
    out << line;
    if (!promptGenre.empty()) {
        std::snprintf(line, sizeof line, "genre: %.0f %% of the blocks sound %s (the prompt's)\n",
                      genreShare * 100, promptGenre.c_str());
        out << line;
    }
    std::snprintf(line, sizeof line,
                  "seams: %d, flux score mean %.2f max %.2f (the middle of a window: %.2f); "
                  "bars repeating within a window "
                  "%.1f %%, across windows %.1f %% (%d bars of 2 s)\n",
                  seams, seamScore, seamScoreMax, insideScore, barRepeatWithin * 100,
                  barRepeatAcross * 100, bars);
    out << line;
    std::snprintf(line, sizeof line,
                  "tempo across seams: %.1f %% mean, %.1f %% max change over %d seams with a "
                  "clear pulse on both sides (the middle of a window: %.1f %%)\n",
                  seamTempoChange, seamTempoChangeMax, tempoSeams, insideTempoChange);
    out << line;
    if (musicgen) speed(*musicgen);
    return out.str();
}

} // namespace moodsteer
