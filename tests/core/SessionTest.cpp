// Long sessions on the embedded model: windowed continuation through the model-family seam,
// an emotion path followed inside windows, the guard, cancellation and exact regeneration.
#include "core/engine/MusicEngine.h"
#include "engine/MusicEngineImpl.h"
#include "session/WindowGuard.h"
#include "session/WindowedGeneration.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>

using namespace moodsteer;

namespace {

MusicEngine& embedded() {
    static std::unique_ptr<MusicEngine> e = [] {
        const auto folder = MusicEngine::embeddedModelFolder();
        if (folder.empty()) throw std::runtime_error("resources/model is missing");
        return MusicEngine::load(folder);
    }();
    return *e;
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
