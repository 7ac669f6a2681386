// Long sessions on the embedded model: windowed continuation through the model-family seam,
// an emotion path followed inside windows, the guard, cancellation and exact regeneration.
#include "core/engine/MusicEngine.h"
#include "core/session/MoodWords.h"
#include "core/session/VaPath.h"
#include "engine/MusicEngineImpl.h"
#include "session/SeamChoice.h"
#include "session/WindowGuard.h"
#include "session/WindowedGeneration.h"

#include "../common/EmbeddedEngine.h"
#include "../common/WrappedFamily.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>

using namespace moodsteer;

namespace {

MusicEngine& embedded() {
    return test::embeddedEngine();
}

Recipe sessionRecipe(double seconds) {
    Recipe r;
    r.model = "embedded";
    r.prompt = "calm ambient piece with piano";
    r.seconds = seconds;
    r.seed = 21;
    r.guidance = 2;
    r.emotionPath = VaPath::iso({5, 8}, {6, 2}, seconds * 0.8, seconds * 0.2);
    r.windowSeconds = embedded().info().maxFrames / embedded().info().frameRate;
    return r;
}

} // namespace

TEST(Session, ThreeMinutesFollowAPathInWindowsWithoutSilence) {
    auto& engine = embedded();
    const double fr = engine.info().frameRate;
    const Recipe r = sessionRecipe(180);
    std::vector<float> streamed;
    GenerationCallbacks cb;
    int lastWindow = -1, windows = 0;
    double lastAudio = -1;
    cb.onProgress = [&](const GenerationProgress& p) {
        EXPECT_GE(p.window, lastWindow);
        EXPECT_GE(p.audioSeconds, lastAudio);
        lastWindow = p.window;
        lastAudio = p.audioSeconds;
        windows = p.windows;
    };
    cb.onAudio = [&](const float* s, std::size_t n) { streamed.insert(streamed.end(), s, s + n); };
    const auto res = engine.generate(r, cb);
    EXPECT_FALSE(res.cancelled);
    EXPECT_FALSE(res.recipe.incomplete);
    EXPECT_EQ(std::lround(180 * fr), res.frames);
    // The codec's release tail (the last notes ringing out) follows the 180 s of frames.
    EXPECT_GE(res.audio.seconds(), 180.0 - 1e-6);
    EXPECT_LT(res.audio.seconds(), 180.5);
    EXPECT_EQ(res.audio.samples, streamed); // one continuous stream, no re-rendered overlap
    const WindowPlan plan = WindowPlan::of(*engine.impl().family, r);
    EXPECT_EQ(plan.window - plan.context(), plan.stride);
    EXPECT_GE(plan.context() * 3, plan.window - 1); // at least a third of a window is context
    const int expectedWindows = 1 + (res.frames - plan.window + plan.stride - 1) / plan.stride;
    EXPECT_EQ(expectedWindows, windows);
    EXPECT_EQ(static_cast<std::size_t>(expectedWindows), res.windowLevels.size());
    for (double level : res.windowLevels)
        EXPECT_GT(level, WindowGuard::kSilenceDbfs);
    std::cout << "  180 s session in " << res.generationSeconds << " s ("
              << 180 / res.generationSeconds << "x real time), " << windows << " windows, "
              << res.recipe.reseeds.size() << " reseeded\n";
    // The recipe (with its window plan and any reseeds) regenerates the session exactly.
    const auto again = engine.generate(Recipe::fromJson(res.recipe.toJson()));
    EXPECT_EQ(res.codes, again.codes);
}

TEST(Session, CancelKeepsTheFinishedWindowsAndMarksTheRecipe) {
    auto& engine = embedded();
    const Recipe r = sessionRecipe(300);
    std::atomic<bool> cancel{false};
    GenerationCallbacks cb;
    cb.cancel = &cancel;
    cb.onProgress = [&](const GenerationProgress& p) {
        if (p.window == 2) cancel = true; // in the middle of the third window
    };
    const auto res = engine.generate(r, cb);
    EXPECT_TRUE(res.cancelled);
    EXPECT_TRUE(res.recipe.incomplete);
    EXPECT_EQ(2u, res.windowLevels.size());
    const WindowPlan plan = WindowPlan::of(*engine.impl().family, r);
    EXPECT_EQ(plan.window + plan.stride, res.frames); // exactly two whole windows
    EXPECT_GE(res.audio.seconds(), res.frames / engine.info().frameRate - 1e-6);
    EXPECT_LT(res.audio.seconds(), res.frames / engine.info().frameRate + 0.5);
    // What was kept is the start of the full session.
    Recipe shorter = r;
    shorter.seconds = res.frames / engine.info().frameRate;
    const auto full = engine.generate(shorter);
    EXPECT_EQ(full.codes, res.codes);
    EXPECT_TRUE(Recipe::fromJson(res.recipe.toJson()).incomplete);
}

TEST(Session, TheEmotionTokenFollowsThePathInsideAWindow) {
    auto& engine = embedded();
    const double fr = engine.info().frameRate;
    const int K = engine.info().numCodebooks;
    Recipe constant;
    constant.prompt = "jazz";
    constant.seconds = 10;
    constant.seed = 8;
    constant.guidance = 2;
    constant.valence = 5;
    constant.arousal = 5;
    const auto a = engine.generate(constant);
    // A one-keyframe path is the same clip as the constant value.
    Recipe flat = constant;
    flat.valence.reset();
    flat.arousal.reset();
    flat.emotionPath = VaPath({{0, 5, 5}});
    EXPECT_EQ(a.codes, engine.generate(flat).codes);
    // A path that leaves 5,5 at 5 s: every frame sampled before then is unchanged, the rest
    // follows the new target (so the token changed inside this single window).
    Recipe moving = flat;
    moving.emotionPath = VaPath({{0, 5, 5}, {5, 5, 5}, {10, 9, 9}});
    const auto b = engine.generate(moving);
    ASSERT_EQ(a.frames, b.frames);
    const int changeStep = static_cast<int>(std::floor(5 * fr)) + 1;
    const int safeFrames = changeStep - (K - 1); // all K codebooks sampled before the change
    for (int k = 0; k < K; ++k)
        for (int f = 0; f < safeFrames; ++f)
            ASSERT_EQ(a.codes[k * a.frames + f], b.codes[k * b.frames + f]) << k << "," << f;
    int differing = 0;
    for (int k = 0; k < K; ++k)
        for (int f = changeStep; f < a.frames; ++f)
            differing += a.codes[k * a.frames + f] != b.codes[k * b.frames + f];
    EXPECT_GT(differing, 0);
}

TEST(Session, TheGuardSeesSilenceAndLoops) {
    const double fr = 50;
    AudioBuffer quiet;
    quiet.sampleRate = 32000;
    quiet.samples.assign(32000, 0.001f); // -60 dBFS
    AudioBuffer loud = quiet;
    for (std::size_t i = 0; i < loud.samples.size(); ++i)
        loud.samples[i] = 0.3f * std::sin(0.05f * i);
    CodeGrid varied(4, 500), looped(4, 500);
    for (int k = 0; k < 4; ++k)
        for (int f = 0; f < 500; ++f) {
            varied.at(k, f) = (f * 7919 + k * 31 + f * f) % 2048;
            looped.at(k, f) = (f % 100) * 13 + k; // a 2 s bar, repeated
        }
    EXPECT_TRUE(WindowGuard::inspect(varied, quiet, fr).silent);
    const auto ok = WindowGuard::inspect(varied, loud, fr);
    EXPECT_TRUE(ok.ok()) << ok.reason(fr);
    const auto loop = WindowGuard::inspect(looped, loud, fr);
    EXPECT_TRUE(loop.looped);
    EXPECT_EQ(100, loop.loopPeriod);
    EXPECT_NE(loop.reason(fr).find("2.0 s bar"), std::string::npos) << loop.reason(fr);

    // When every try fails, the best is kept: playable over silent, louder silence over
    // quieter, a window that loops less over one that loops more.
    const auto silent = WindowGuard::inspect(varied, quiet, fr);
    AudioBuffer quieter = quiet;
    for (auto& x : quieter.samples)
        x *= 0.01f; // -100 dBFS
    const auto silenter = WindowGuard::inspect(varied, quieter, fr);
    EXPECT_TRUE(ok.betterThan(loop));
    EXPECT_TRUE(loop.betterThan(silent));
    EXPECT_FALSE(silent.betterThan(loop));
    EXPECT_TRUE(silent.betterThan(silenter));
    EXPECT_FALSE(silenter.betterThan(silent));
    WindowVerdict lessLooped = loop;
    lessLooped.loopFraction = 0.96;
    EXPECT_TRUE(lessLooped.betterThan(loop));
    EXPECT_FALSE(loop.betterThan(lessLooped));
}

TEST(Session, BadWindowPlansGiveOneLineReasons) {
    auto& engine = embedded();
    Recipe r = sessionRecipe(60);
    r.windowSeconds = 1000;
    EXPECT_THROW(engine.generate(r), EngineError);
    r = sessionRecipe(60);
    r.strideSeconds = r.windowSeconds;
    EXPECT_THROW(engine.generate(r), EngineError);
    r = sessionRecipe(60);
    r.continueFrom = "/nonexistent/clip.safetensors";
    EXPECT_THROW(engine.generate(r), EngineError);
    r.continueFrom = "/etc/hostname"; // no supported extension
    EXPECT_THROW(engine.generate(r), EngineError);
}

// `generate --continue` of a clip's recipe: the clip is regenerated and continued.
TEST(Session, ContinuingARecipeStartsWithThatClip) {
    auto& engine = embedded();
    Recipe first;
    first.prompt = "folk";
    first.seconds = 6;
    first.seed = 2;
    first.guidance = 2;
    const auto clip = engine.generate(first);
    const auto dir = std::filesystem::temp_directory_path() / "moodsteer-test-continue-recipe";
    std::filesystem::create_directories(dir);
    const auto path = (dir / "clip.recipe.json").string();
    std::ofstream(path) << clip.recipe.toJson();
    Recipe next = first;
    next.continueFrom = path;
    next.seconds = 50; // beyond one window after the 6 s prompt
    const auto more = engine.generate(next);
    EXPECT_EQ(clip.frames, more.promptFrames);
    ASSERT_GT(more.frames, clip.frames);
    for (int k = 0; k < clip.numCodebooks; ++k)
        for (int f = 0; f < clip.frames; ++f)
            ASSERT_EQ(clip.codes[k * clip.frames + f], more.codes[k * more.frames + f]);
    EXPECT_EQ(clip.frames + std::lround(50 * engine.info().frameRate), more.frames);
}

TEST(Session, PromptChangesTakeOverAtTheNextWindowAndRoundTrip) {
    auto& engine = embedded();
    const double fr = engine.info().frameRate;
    Recipe plain = sessionRecipe(45);
    plain.windowSeconds = 16; // windows start at 0, 16, 26.6, 37.3 s
    Recipe changed = plain;
    changed.promptChanges = {{20.0, "energetic rock with drums"}};
    const auto a = engine.generate(plain);
    const auto b = engine.generate(changed);
    ASSERT_EQ(a.frames, b.frames);
    const WindowPlan plan = WindowPlan::of(*engine.impl().family, changed);
    const int firstChanged = plan.window + plan.stride; // the first window starting >= 20 s
    ASSERT_GE(firstChanged / fr, 20.0);
    ASSERT_LT((plan.window) / fr, 20.0);
    // Before that window the two sessions are the same codes; from it on they differ.
    const auto column = [&](const GenerationResult& r, int f) {
        std::vector<std::int64_t> c;
        for (int k = 0; k < r.numCodebooks; ++k)
            c.push_back(r.codes[std::size_t(k) * r.frames + f]);
        return c;
    };
    int differing = 0;
    for (int f = 0; f < a.frames; ++f) {
        if (f < firstChanged)
            ASSERT_EQ(column(a, f), column(b, f)) << "frame " << f;
        else
            differing += column(a, f) != column(b, f);
    }
    EXPECT_GT(differing, (a.frames - firstChanged) / 2);
    // The recipe keeps the changes and regenerates the same session.
    const Recipe back = Recipe::fromJson(b.recipe.toJson());
    ASSERT_EQ(1u, back.promptChanges.size());
    EXPECT_EQ("energetic rock with drums", back.promptChanges[0].prompt);
    EXPECT_EQ("energetic rock with drums", back.promptAt(30));
    EXPECT_EQ(plain.prompt, back.promptAt(19.9));
    EXPECT_EQ(b.codes, engine.generate(back).codes);
    // Decreasing times are refused, naming the entry.
    Recipe bad = changed;
    bad.promptChanges.push_back({10.0, "x"});
    try {
        Recipe::fromJson(bad.toJson(), "r.json");
        FAIL() << "decreasing prompt change times were accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string::npos, std::string(e.what()).find("prompt_changes[1]"));
    }
}

TEST(Session, SeamChoiceScoresAnOnsetAtTheSeamAgainstTheMusicBefore) {
    const int rate = 32000;
    SeamChoice choice(rate);
    std::vector<float> noise(rate * 8);
    std::uint32_t lcg = 7;
    for (auto& x : noise) {
        lcg = lcg * 1664525u + 1013904223u;
        x = 0.1f * (float(lcg >> 8) / float(1u << 24) - 0.5f);
    }
    EXPECT_EQ(0.0, choice.score(noise)); // no music before the seam: nothing to judge by
    for (std::size_t i = 0; i < noise.size(); i += 5000) // heard chunk by chunk
        choice.heard(noise.data() + i, std::min<std::size_t>(5000, noise.size() - i));
    EXPECT_EQ(noise.size(), choice.streamSamples());
    // The same noise going on is as smooth as before; a loud chord struck at the seam is not.
    const std::vector<float> more(noise.begin(), noise.begin() + 8000);
    EXPECT_LT(choice.score(more), 1.5);
    std::vector<float> strike = more;
    for (std::size_t i = 0; i < strike.size(); ++i)
        strike[i] +=
            0.6f *
            float(std::sin(2 * M_PI * 220.0 * i / rate) + std::sin(2 * M_PI * 277.2 * i / rate)) *
            float(std::exp(-double(i) / rate * 8));
    EXPECT_GT(choice.score(strike), 3.0);
}

TEST(Session, SeamChoiceCutsAWindowWhereItsMusicIsQuiet) {
    const int rate = 32000, spf = 1280;
    const double fr = 25;
    SeamChoice choice(rate);
    std::vector<float> before(rate * 6);
    std::uint32_t lcg = 11;
    const auto noise = [&] {
        lcg = lcg * 1664525u + 1013904223u;
        return 0.02f * (float(lcg >> 8) / float(1u << 24) - 0.5f);
    };
    for (auto& x : before)
        x = noise();
    choice.heard(before.data(), before.size());
    // A window of 4 s with a click every 1600 samples, except in a lull 0.55 s .. 0.15 s
    // before its end: the seam goes into the lull.
    std::vector<float> window(rate * 4);
    const std::size_t end = window.size(), lullFrom = end - 17600, lullTo = end - 4800;
    for (std::size_t i = 0; i < end; ++i) {
        window[i] = noise();
        if (i % 1600 < 8 && (i < lullFrom || i >= lullTo)) window[i] += 0.9f;
    }
    const int cut = choice.cutBack(window, spf, fr);
    EXPECT_GE(cut, 4);
    EXPECT_LE(cut, 13);
    // A window too short to cut is left alone.
    EXPECT_EQ(0,
              choice.cutBack(std::vector<float>(window.begin(), window.begin() + 20000), spf, fr));
}

TEST(Session, SeamAwareSessionsCutAndChooseWithinBoundsAndRegenerateExactly) {
    auto& engine = embedded();
    Recipe plain = sessionRecipe(60);
    plain.windowSeconds = 16; // seams near 16, 26.6, 37.3, 48 s
    Recipe chosen = plain;
    chosen.seamCandidates = 4;
    const auto a = engine.generate(plain);
    const auto b = engine.generate(chosen);
    ASSERT_EQ(a.frames, b.frames);
    const WindowPlan plan = WindowPlan::of(*engine.impl().family, chosen);
    // The first window is the same up to its cut (at most kMaxCutSeconds before its end);
    // the next window's opening starts there.
    const int maxCut = static_cast<int>(std::lround(SeamChoice::kMaxCutSeconds * 25));
    int firstDifferent = 0;
    const auto same = [&](int f) {
        for (int k = 0; k < a.numCodebooks; ++k)
            if (a.codes[std::size_t(k) * a.frames + f] != b.codes[std::size_t(k) * b.frames + f])
                return false;
        return true;
    };
    while (firstDifferent < a.frames && same(firstDifferent))
        ++firstDifferent;
    EXPECT_GE(firstDifferent, plan.window - maxCut);
    EXPECT_LE(firstDifferent, plan.window + 2); // a chance match of a frame or two at most
    EXPECT_EQ(a.audio.samples.size(), b.audio.samples.size()); // one continuous stream
    std::cout << "  first seam at frame " << firstDifferent << " (window " << plan.window << "); "
              << b.recipe.reseeds.size() << " window(s) kept another seed\n";
    // What each seam cost (bench-stream prints it): every window was prefilled (a part of that
    // time; all of it for the first window, which chooses no seam), and each after the first
    // tried 1 to 4 openings (the first has no music before it to meet).
    ASSERT_EQ(b.windowTries.size(), b.windowPrepareSeconds.size());
    ASSERT_EQ(b.windowTries.size(), b.windowPrefillSeconds.size());
    ASSERT_EQ(b.windowTries.size(), b.windowSeamCandidates.size());
    EXPECT_EQ(0, b.windowSeamCandidates[0]);
    EXPECT_EQ(b.windowPrepareSeconds[0], b.windowPrefillSeconds[0]);
    for (std::size_t w = 0; w < b.windowTries.size(); ++w) {
        EXPECT_GT(b.windowPrefillSeconds[w], 0.0) << w;
        if (w > 0) EXPECT_LT(b.windowPrefillSeconds[w], b.windowPrepareSeconds[w]) << w;
        if (w > 0) EXPECT_GE(b.windowSeamCandidates[w], b.windowTries[w]) << w;
        EXPECT_LE(b.windowSeamCandidates[w], 4 * b.windowTries[w]) << w;
    }
    EXPECT_EQ(std::vector<int>(a.windowTries.size(), 0), a.windowSeamCandidates);
    // The recipe says how many were tried and which seeds were kept; it regenerates exactly.
    const std::string json = b.recipe.toJson();
    EXPECT_NE(std::string::npos, json.find("\"seam_candidates\": 4"));
    EXPECT_EQ(std::string::npos, a.recipe.toJson().find("seam_candidates"));
    const Recipe back = Recipe::fromJson(json);
    EXPECT_EQ(4, back.seamCandidates);
    EXPECT_EQ(b.codes, engine.generate(back).codes);
    Recipe bad = back;
    bad.seamCandidates = 17;
    EXPECT_THROW(Recipe::fromJson(bad.toJson(), "r.json"), std::runtime_error);
}

namespace {

Recipe withCache(Recipe r, const std::string& cache) {
    r.kvCache = cache;
    return r;
}

/// A window of 40 new frames after the first 6 s of a session made with `r` (which the request
/// points to) as its context.
WindowRequest windowAfterSixSeconds(const Recipe& r) {
    auto& engine = embedded();
    const auto first = engine.generate(r);
    WindowRequest req;
    req.recipe = &r;
    CodeGrid all(first.numCodebooks, first.frames);
    all.data = first.codes;
    req.context = all.slice(0, static_cast<int>(std::lround(6 * engine.info().frameRate)));
    req.newFrames = 40;
    req.startFrame = req.context.frames;
    return req;
}

} // namespace

TEST(Session, ARestartedWindowIsTheWindowBegunWithThatSeed) {
    // Seam candidates share one prefill (WindowDecoder::restart): a window stepped with one
    // seed and restarted with another must make exactly what begin() with that seed makes,
    // for every cache precision (the dropped positions are overwritten, never read).
    ModelFamily& family = *embedded().impl().family;
    for (const std::string cache : {"f32", "bf16", "int8"}) {
        const Recipe r = withCache(sessionRecipe(20), cache);
        WindowRequest req = windowAfterSixSeconds(r);
        const auto whole = [&](WindowDecoder& w) {
            while (!w.done())
                w.step();
            return w.newCodes().data;
        };
        req.seed = 5;
        auto fresh = family.begin(req);
        fresh->prefill();
        const auto want = whole(*fresh);
        req.seed = 4;
        auto reused = family.begin(req);
        reused->prefill();
        for (int i = 0; i < 17; ++i) // part of another candidate's opening
            reused->step();
        ASSERT_TRUE(reused->restart(5));
        EXPECT_EQ(0, reused->stepsDone());
        EXPECT_EQ(want, whole(*reused)) << cache << " cache";
        ASSERT_TRUE(reused->restart(4)); // and back: the first seed's window again
        req.seed = 4;
        auto four = family.begin(req);
        four->prefill();
        EXPECT_EQ(whole(*four), whole(*reused)) << cache << " cache";
    }
}

TEST(Session, ForkedCandidatesAreTheWindowsBegunWithTheirSeeds) {
    // Seam candidates stepped together (WindowDecoder::fork): candidate i's frames must be
    // exactly those of a window begun with seed i, for every cache precision, with the emotion
    // path moving the AV token between steps, and with emotion guidance (a remade window's
    // three branches); a kept candidate (keep) and a window restarted from the fork (restart)
    // must go on exactly as a window begun with their seed.
    ModelFamily& family = *embedded().impl().family;
    for (const std::string cache : {"f32", "bf16", "int8", "int8+emotion guidance"}) {
        Recipe r = withCache(sessionRecipe(20), cache.substr(0, cache.find('+')));
        if (cache != r.kvCache) r.emotionGuidance = 4.0;
        WindowRequest req = windowAfterSixSeconds(r);
        const auto alone = [&](std::uint64_t seed, int steps) {
            req.seed = seed;
            auto w = family.begin(req);
            w->prefill();
            for (int i = 0; i < steps && !w->done(); ++i)
                w->step();
            return w->newCodes();
        };
        req.seed = 4;
        auto forked = family.begin(req);
        forked->prefill();
        const std::vector<std::uint64_t> seeds = {4, 5, 6, 7};
        ASSERT_TRUE(forked->fork(seeds, 20));
        for (int i = 0; i < 17; ++i)
            forked->step();
        const std::vector<CodeGrid> openings = forked->takeCodes();
        ASSERT_EQ(seeds.size(), openings.size());
        for (std::size_t c = 0; c < seeds.size(); ++c) {
            const CodeGrid want = alone(seeds[c], 17);
            ASSERT_GT(want.frames, 0);
            EXPECT_EQ(want.frames, openings[c].frames) << cache << " candidate " << c;
            EXPECT_EQ(want.data, openings[c].data) << cache << " candidate " << c;
        }
        EXPECT_NE(openings[0].data, openings[1].data); // the seeds differ
        const auto rest = [](WindowDecoder& w) {
            while (!w.done())
                w.step();
            return w.newCodes().data;
        };
        // The third candidate goes on alone from its opening (keep), as seed 6 does alone.
        ASSERT_TRUE(forked->keep(2));
        EXPECT_EQ(17, forked->stepsDone());
        EXPECT_EQ(openings[2].data, forked->newCodes().data);
        EXPECT_EQ(1u, forked->takeCodes().size());
        EXPECT_EQ(alone(6, 1000).data, rest(*forked)) << cache << " cache";
        // Or back to one window at the prefill (restart). No fork of fewer than two, nor of a
        // forked window.
        auto other = family.begin(req);
        other->prefill();
        EXPECT_FALSE(other->fork({4}, 20));
        EXPECT_FALSE(other->keep(0));
        ASSERT_TRUE(other->fork({4, 5}, 4));
        EXPECT_FALSE(other->fork({4, 5}, 4));
        other->step();
        ASSERT_TRUE(other->restart(5));
        EXPECT_EQ(0, other->stepsDone());
        EXPECT_EQ(alone(5, 1000).data, rest(*other)) << cache << " cache";
    }
}

TEST(Session, SeamCandidatesSteppedTogetherChooseWhatOneAtATimeChooses) {
    auto& engine = embedded();
    ModelFamily& family = *engine.impl().family;
    test::WrappedFamily sequential(family, /*fork=*/false); // candidates one at a time
    Recipe r = sessionRecipe(40);
    r.windowSeconds = 16;
    r.seamCandidates = 4;
    GenerationCallbacks cb;
    cb.keepAudio = true;
    const CodeGrid none(engine.info().numCodebooks, 0);
    // The codec on this thread, and on its own (the forked openings then decode side by side
    // in pipelined copies of the stream, heard in order).
    for (const bool pipelined : {false, true}) {
        const GenerationResult together = generateWindowed(family, r, none, cb, pipelined);
        const GenerationResult alone = generateWindowed(sequential, r, none, cb, pipelined);
        EXPECT_EQ(alone.codes, together.codes) << pipelined;
        // The same seeds kept.
        EXPECT_EQ(alone.recipe.toJson(), together.recipe.toJson()) << pipelined;
        EXPECT_EQ(alone.audio.samples, together.audio.samples) << pipelined;
        // Forked, every candidate's opening is made; one at a time, only up to the one kept.
        ASSERT_EQ(alone.windowSeamCandidates.size(), together.windowSeamCandidates.size());
        for (std::size_t w = 1; w < together.windowSeamCandidates.size(); ++w) {
            EXPECT_EQ(4 * together.windowTries[w], together.windowSeamCandidates[w]) << w;
            EXPECT_LE(alone.windowSeamCandidates[w], together.windowSeamCandidates[w]) << w;
        }
    }
}

TEST(Session, AMoodWordInThePromptThatContradictsThePathIsFound) {
    // Calming: (5, 8) -> (6, 2) over 8 minutes, held 2. "calm" is rated (7.3, 3.7).
    const VaPath calming = VaPath::iso({5, 8}, {6, 2}, 480, 120, PathInterpolation::Linear);
    const auto c = moodConflict("A CALM ambient piece, with piano", calming);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ("calm", c->word);
    EXPECT_EQ(0.0, c->seconds); // farthest at the agitated start
    EXPECT_EQ(8.0, c->arousal);
    EXPECT_NEAR(3.74, c->wordArousal, 0.01);
    EXPECT_NE(std::string::npos, c->describe().find("'calm'")) << c->describe();
    EXPECT_NE(std::string::npos, c->describe().find("0:00")) << c->describe();
    // No mood word, the placeholder, a word that is not a mood ("piano"), a looser threshold.
    EXPECT_FALSE(moodConflict("ambient piece with piano", calming));
    EXPECT_FALSE(moodConflict("{word} ambient piece", calming));
    EXPECT_FALSE(moodConflict("calm piece", calming, 4.5));
    EXPECT_FALSE(moodConflict("calm piece", VaPath()));
    // The same word on a path that stays near it.
    const VaPath gentle = VaPath::iso({7, 4}, {7, 3}, 60, 10, PathInterpolation::Linear);
    EXPECT_FALSE(moodConflict("calm piece", gentle));
}

TEST(Session, MoodWordsFollowThePathWindowByWindow) {
    auto& engine = embedded();
    Recipe r = sessionRecipe(45);
    r.windowSeconds = 16;
    r.prompt = "{word} piano piece";
    const std::string early = promptWithMood(r, 0, 8), late = promptWithMood(r, 40, 40);
    EXPECT_EQ(std::string::npos, early.find("{word}"));
    EXPECT_NE(early, late); // aroused at the start, calm at the end of the calming path
    EXPECT_EQ(withMoodWord("{word} and {word}", 5, 8),
              withMoodWord("{word}", 5, 8) + " and " + withMoodWord("{word}", 5, 8));
    EXPECT_EQ("no placeholder", withMoodWord("no placeholder", 5, 8));
    // The same session written as explicit prompt changes, one per window at the window's
    // middle target, gives the same codes.
    const WindowPlan plan = WindowPlan::of(*engine.impl().family, r);
    const double fr = engine.info().frameRate;
    Recipe spelled = r;
    spelled.prompt = promptWithMood(r, 0, plan.window / 2.0 / fr);
    for (int start = plan.window; start < plan.totalNewFrames; start += plan.stride) {
        const int n = std::min(plan.stride, plan.totalNewFrames - start);
        spelled.promptChanges.push_back(
            {start / fr,
             withMoodWord("{word} piano piece", r.emotionPath.at((start + n / 2.0) / fr).first,
                          r.emotionPath.at((start + n / 2.0) / fr).second)});
    }
    EXPECT_EQ(engine.generate(spelled).codes, engine.generate(r).codes);
    // Without a valence/arousal target the placeholder has nothing to name.
    Recipe none;
    none.prompt = "{word} piano piece";
    none.seconds = 1;
    try {
        engine.generate(none);
        FAIL() << "a mood word without a target was accepted";
    } catch (const EngineError& e) {
        EXPECT_NE(std::string::npos, std::string(e.what()).find("{word}"));
    }
}
