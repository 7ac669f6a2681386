// Early acceptance of windowed generation (Recipe::acceptSeconds): the guard judges a window
// every few seconds as it is made and what it accepted plays at once. A scripted family makes
// the guard's decisions certain: its codes are a function of the seed and the session frame,
// some seeds looping one bar (which the guard rejects) from the start or only later.
#include "core/bench/StreamBenchmark.h"
#include "core/synth/SynthCodec.h"
#include "session/WindowGuard.h"
#include "session/WindowedGeneration.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <utility>

using namespace moodsteer;

namespace {

constexpr double kFrameRate = 25;
constexpr int kBar = 13; // frames of the looped bar (0.52 s: the guard's shortest is 0.5 s)

std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/// What a seed plays from a session frame on: music that never repeats, one bar repeated from
/// the window's first frame, or one bar repeated but for three frames of its first two seconds
/// (the guard passes the start, then hears the loop dominate).
enum class Kind { Music, Loop, LateLoop };

class ScriptedWindow : public WindowDecoder {
  public:
    ScriptedWindow(const WindowRequest& r, Kind kind) : r_(r), kind_(kind), codes_(4, 0) {}
    void prefill() override {}
    CodeGrid step() override {
        CodeGrid f(4, 1);
        const int j = codes_.frames; // the window's new frame
        for (int k = 0; k < 4; ++k) {
            const std::uint64_t at =
                kind_ == Kind::Music ? std::uint64_t(r_.startFrame + j) : std::uint64_t(j % kBar);
            std::uint64_t h = mix(r_.seed * 1000003ull + at * 8ull + std::uint64_t(k));
            if (kind_ == Kind::LateLoop && (j == 20 || j == 30 || j == 40)) h = mix(h);
            f.at(k, 0) = static_cast<std::int64_t>(h % 2048);
        }
        CodeGrid both(4, codes_.frames + 1);
        for (int k = 0; k < 4; ++k) {
            for (int t = 0; t < codes_.frames; ++t)
                both.at(k, t) = codes_.at(k, t);
            both.at(k, codes_.frames) = f.at(k, 0);
        }
        codes_ = both;
        return f;
    }
    bool done() const override { return codes_.frames >= r_.newFrames; }
    int stepsDone() const override { return codes_.frames; }
    int totalSteps() const override { return r_.newFrames; }
    CodeGrid newCodes() const override { return codes_; }

  private:
    WindowRequest r_;
    Kind kind_;
    CodeGrid codes_;
};

class ScriptedFamily : public ModelFamily {
  public:
    std::map<std::uint64_t, Kind> kinds; ///< by seed; others make music
    std::vector<std::uint64_t> begun;
    ScriptedFamily() {
        info_.folder = "scripted";
        info_.frameRate = kFrameRate;
        info_.numCodebooks = 4;
        info_.maxFrames = 250;
    }
    const ModelInfo& info() const override { return info_; }
    const AudioCodec& codec() const override { return codec_; }
    int windowFrames() const override { return 250; }
    std::unique_ptr<WindowDecoder> begin(const WindowRequest& r) override {
        begun.push_back(r.seed);
        const auto it = kinds.find(r.seed);
        return std::make_unique<ScriptedWindow>(r, it == kinds.end() ? Kind::Music : it->second);
    }

  private:
    ModelInfo info_;
    SynthCodec codec_;
};

Recipe scriptedRecipe(double acceptSeconds) {
    Recipe r;
    r.model = "scripted";
    r.seconds = 20; // 500 frames in windows of 250 (10 s) adding 166
    r.seed = 21;
    r.windowSeconds = 10;
    r.acceptSeconds = acceptSeconds; // 50 frames
    return r;
}

struct Heard {
    GenerationResult result;
    std::vector<float> streamed;
    int stepsAtFirstAudio = -1;  ///< session frames made when the first audio was played
    std::vector<int> audioSteps; ///< session frames made at each chunk of audio, once each
    /// Every chunk of audio: the session frames made when it came, and its samples.
    std::vector<std::pair<int, std::size_t>> arrivals;
};

/// The pre-buffer (bench-stream's prebufferNeeded) a listener who starts playback at the first
/// audio needs for no gap, when the session is made at `speed` times real time (its frames made
/// in proportion to time; the guard's and the codec's own time left out). 0: never waits.
double prebufferAtSpeed(const Heard& h, double speed, int sampleRate) {
    std::vector<double> arrivals, audioBefore;
    double delivered = 0;
    for (const auto& [step, samples] : h.arrivals) {
        arrivals.push_back(step / (speed * kFrameRate));
        audioBefore.push_back(delivered);
        delivered += double(samples) / sampleRate;
    }
    return prebufferNeeded(arrivals, audioBefore);
}

Heard run(ScriptedFamily& family, const Recipe& r, bool codecOnOwnThread = false) {
    Heard out;
    int step = 0;
    GenerationCallbacks cb;
    cb.keepAudio = true;
    cb.onProgress = [&](const GenerationProgress& p) { step = p.step; };
    cb.onAudio = [&](const float* s, std::size_t n) {
        if (out.stepsAtFirstAudio < 0 && n > 0) out.stepsAtFirstAudio = step;
        if (n > 0 && (out.audioSteps.empty() || out.audioSteps.back() != step))
            out.audioSteps.push_back(step);
        if (n > 0) out.arrivals.emplace_back(step, n);
        out.streamed.insert(out.streamed.end(), s, s + n);
    };
    out.result = generateWindowed(family, r, CodeGrid(4, 0), cb, codecOnOwnThread);
    return out;
}

} // namespace

TEST(EarlyAcceptance, AWindowPlaysAsTheGuardAcceptsItAndEndsWhereItRejects) {
    ScriptedFamily family;
    family.kinds[windowSeed(21, 0)] = Kind::LateLoop;
    family.kinds[windowSeed(21, 1)] = Kind::Loop; // its next seed makes music
    const Heard early = run(family, scriptedRecipe(2));
    const GenerationResult& res = early.result;
    ASSERT_FALSE(res.cancelled);
    EXPECT_EQ(500, res.frames);
    // The first two seconds played once they were made, not after the 10 s window.
    EXPECT_GE(early.stepsAtFirstAudio, 50);
    EXPECT_LT(early.stepsAtFirstAudio, 60);
    EXPECT_EQ(res.audio.samples, early.streamed); // one stream, nothing played twice
    // Window 0 passed its checks at 2 and 4 s and failed at 6 s (the loop now 95 % of it):
    // it ends at 4 s. Window 1's first seed looped from its start: made again, whole.
    ASSERT_GE(res.recipe.reseeds.size(), 2u);
    EXPECT_EQ(0, res.recipe.reseeds[0].window);
    EXPECT_EQ(windowSeed(21, 0), res.recipe.reseeds[0].seed);
    EXPECT_EQ(100, res.recipe.reseeds[0].frames);
    EXPECT_EQ(1, res.recipe.reseeds[1].window);
    EXPECT_EQ(windowSeed(21, 1) + 1, res.recipe.reseeds[1].seed);
    EXPECT_EQ(0, res.recipe.reseeds[1].frames);
    EXPECT_EQ(2, res.windowTries.at(1));
    // The looping try of window 1 was dropped at its first check, not made to its end.
    const std::vector<std::uint64_t> begun = family.begun;
    EXPECT_EQ(1, std::count(begun.begin(), begun.end(), windowSeed(21, 1)));
    // Window 1 starts at 4 s with its second seed's music.
    const std::uint64_t second = windowSeed(21, 1) + 1;
    for (int k = 0; k < 4; ++k)
        EXPECT_EQ(static_cast<std::int64_t>(mix(second * 1000003ull + 100 * 8ull + k) % 2048),
                  res.codes[std::size_t(k) * res.frames + 100]);

    // The recipe regenerates the session exactly without the guard: window 0 is cut where the
    // recipe says (a replay does not judge), window 1 uses its recorded seed.
    const Recipe back = Recipe::fromJson(res.recipe.toJson());
    EXPECT_DOUBLE_EQ(2.0, back.acceptSeconds);
    ASSERT_EQ(res.recipe.reseeds.size(), back.reseeds.size());
    EXPECT_EQ(100, back.reseeds[0].frames);
    family.begun.clear();
    const Heard again = run(family, back);
    EXPECT_EQ(res.codes, again.result.codes);
    EXPECT_EQ(res.audio.samples.size(), again.result.audio.samples.size());
    EXPECT_GE(again.stepsAtFirstAudio, 50); // a replay plays its stretches as they come too
    EXPECT_LT(again.stepsAtFirstAudio, 60);
    EXPECT_EQ(0, std::count(family.begun.begin(), family.begun.end(), windowSeed(21, 1)));

    // Whole windows (recipes from before): the first audio waits for the first window, and
    // window 0's late loop is heard over all of it and made again.
    const Heard whole = run(family, scriptedRecipe(0));
    EXPECT_GE(whole.stepsAtFirstAudio, 250);
    ASSERT_FALSE(whole.result.recipe.reseeds.empty());
    EXPECT_EQ(windowSeed(21, 0) + 1, whole.result.recipe.reseeds[0].seed);
    EXPECT_EQ(0, whole.result.recipe.reseeds[0].frames);
    EXPECT_EQ(std::string::npos, whole.result.recipe.toJson().find("accept_seconds"));
}

TEST(EarlyAcceptance, TheFirstWindowPlaysAfterAShortFirstStretch) {
    // Recipe::firstAcceptSeconds: the session's first window is judged first after 0.4 s
    // (10 frames), then at 20, 40, 80, 130, 180 frames (the checks double until they are
    // acceptSeconds apart); later windows keep acceptSeconds.
    ScriptedFamily family;
    family.kinds[windowSeed(21, 1)] = Kind::Loop; // its next seed makes music
    Recipe r = scriptedRecipe(2);
    r.firstAcceptSeconds = 0.4;
    const Heard early = run(family, r);
    const GenerationResult& res = early.result;
    ASSERT_FALSE(res.cancelled);
    EXPECT_EQ(500, res.frames);
    EXPECT_GE(early.stepsAtFirstAudio, 10); // after its first stretch, not after 2 s
    EXPECT_LT(early.stepsAtFirstAudio, 20);
    // Window 0 played at each check (the frames made by then: the check's frame, as the codec
    // decodes on this thread): 10, 20, 40, 80, 130, 180, then its last stretch with the whole
    // window (250 frames, the seam's cut back aside).
    ASSERT_GE(early.audioSteps.size(), 7u);
    EXPECT_EQ(std::vector<int>({10, 20, 40, 80, 130, 180}),
              std::vector<int>(early.audioSteps.begin(), early.audioSteps.begin() + 6));
    EXPECT_EQ(res.audio.samples, early.streamed);
    // Window 1 loops from its start: judged first at 2 s (its 13-frame bar is heard), so it is
    // made again from its start, not cut after a short stretch of the loop.
    ASSERT_FALSE(res.recipe.reseeds.empty());
    EXPECT_EQ(1, res.recipe.reseeds.back().window);
    EXPECT_EQ(windowSeed(21, 1) + 1, res.recipe.reseeds.back().seed);
    EXPECT_EQ(0, res.recipe.reseeds.back().frames);
    EXPECT_EQ(2, res.windowTries.at(1));

    // Recorded, and the recipe regenerates the session exactly (its first audio as early).
    const Recipe back = Recipe::fromJson(res.recipe.toJson());
    EXPECT_DOUBLE_EQ(0.4, back.firstAcceptSeconds);
    const Heard again = run(family, back);
    EXPECT_EQ(res.codes, again.result.codes);
    EXPECT_EQ(res.audio.samples.size(), again.result.audio.samples.size());
    EXPECT_GE(again.stepsAtFirstAudio, 10);
    EXPECT_LT(again.stepsAtFirstAudio, 20);

    // A recipe without it plays its first audio after acceptSeconds, as before.
    EXPECT_EQ(std::string::npos, scriptedRecipe(2).toJson().find("first_accept_seconds"));
    EXPECT_GE(run(family, scriptedRecipe(2)).stepsAtFirstAudio, 50);

    // What new sessions use: 1 s, or acceptSeconds where shorter; none for whole windows.
    EXPECT_DOUBLE_EQ(1.0, Recipe::sessionFirstAcceptSeconds(Recipe::kSessionAcceptSeconds));
    EXPECT_DOUBLE_EQ(0.5, Recipe::sessionFirstAcceptSeconds(0.5));
    EXPECT_DOUBLE_EQ(0.0, Recipe::sessionFirstAcceptSeconds(0.0));
}

TEST(EarlyAcceptance, PacedChecksKeepAListenerFromTheFirstNoteWhenTheSessionIsFaster) {
    // Recipe::acceptPace: after a first stretch of 0.4 s (10 frames) the checks come 10 + 0.1 x
    // the session's frames so far apart, at most acceptSeconds (100), in every window, the last
    // one 60 frames before the window's end (SeamChoice::cutWindowFrames: 4 x 15). 20 s in
    // windows of 250 frames adding 166 (no seam candidates: nothing is cut back).
    ScriptedFamily family;
    Recipe r = scriptedRecipe(4);
    r.firstAcceptSeconds = 0.4;
    r.acceptPace = 0.1;
    const WindowPlan plan = WindowPlan::of(family, r);
    EXPECT_EQ(60, plan.lastStretch);
    const Heard paced = run(family, r);
    ASSERT_FALSE(paced.result.cancelled);
    EXPECT_EQ(500, paced.result.frames);
    EXPECT_EQ(paced.result.audio.samples, paced.streamed);
    // Window 0 (from frame 0): 10, +11, +12, +13, +15, +16, +18, +20, +22, +24, +26, then the
    // last check at 250 - 60; window 1 (from 250): +35, +39, then 166 - 60; window 2 (from
    // 416, 84 frames): 84 - 60.
    EXPECT_EQ(std::vector<int>({10, 21, 33, 46, 61, 77, 95, 115, 137, 161, 187, 190, 250, 285, 324,
                                356, 416, 440, 500}),
              paced.audioSteps);

    // Made at 1.3 times real time, playback from the first note never waits; with the checks
    // doubling (10, 20, 40, 80 frames, then none closer than 100 to the end) it waits from the
    // third stretch on.
    Recipe doubling = r;
    doubling.acceptPace = 0;
    const Heard doubled = run(family, doubling);
    EXPECT_EQ(std::vector<int>({10, 20, 40, 80, 250}),
              std::vector<int>(doubled.audioSteps.begin(), doubled.audioSteps.begin() + 5));
    const int rate = family.codec().sampleRate();
    const double pacedSilence = prebufferAtSpeed(paced, 1.3, rate);
    const double doubledSilence = prebufferAtSpeed(doubled, 1.3, rate);
    std::printf("pre-buffer needed at 1.3x real time: paced %.3f s, doubling %.3f s\n",
                pacedSilence, doubledSilence);
    EXPECT_LT(pacedSilence, 1e-9);
    EXPECT_GT(doubledSilence, 0.5);

    // Recorded, and the recipe regenerates the session exactly, stretch by stretch.
    EXPECT_NE(std::string::npos, paced.result.recipe.toJson().find("\"accept_pace\""));
    const Recipe back = Recipe::fromJson(paced.result.recipe.toJson());
    EXPECT_DOUBLE_EQ(0.1, back.acceptPace);
    const Heard again = run(family, back);
    EXPECT_EQ(paced.result.codes, again.result.codes);
    EXPECT_EQ(paced.streamed, again.streamed);
    EXPECT_EQ(paced.audioSteps, again.audioSteps);
    // Seam-aware, a window's last stretch is what the cut back hears: the ends still fall in a
    // lull (a window cut back makes the session one window longer).
    Recipe seamAware = r;
    seamAware.seamCandidates = 4;
    const Heard cutBack = run(family, seamAware);
    EXPECT_EQ(500, cutBack.result.frames);
    ASSERT_GE(cutBack.audioSteps.size(), 14u);
    EXPECT_EQ(std::vector<int>(paced.audioSteps.begin(), paced.audioSteps.begin() + 13),
              std::vector<int>(cutBack.audioSteps.begin(), cutBack.audioSteps.begin() + 13));
    EXPECT_LT(cutBack.audioSteps[13], 285); // window 1 starts before frame 250 (8 frames cut)
    for (const auto& w : cutBack.result.recipe.reseeds)
        EXPECT_EQ(0, w.frames) << "window " << w.window << ": a cut back is no guard's cut";
    // Recipes from before it existed keep their doubling checks.
    EXPECT_EQ(std::string::npos, doubled.result.recipe.toJson().find("accept_pace"));

    // What new sessions use; a pace needs a first stretch and is at most kMaxAcceptPace.
    EXPECT_DOUBLE_EQ(Recipe::kSessionAcceptPace, Recipe::sessionAcceptPace(1.0));
    EXPECT_DOUBLE_EQ(0.0, Recipe::sessionAcceptPace(0.0));
    Recipe noFirst = scriptedRecipe(4);
    noFirst.acceptPace = 0.1;
    EXPECT_THROW(WindowPlan::of(family, noFirst), EngineError);
    for (const char* bad : {R"({"model": "scripted", "accept_pace": -0.1})",
                            R"({"model": "scripted", "accept_pace": 1.5})",
                            R"({"model": "scripted", "accept_pace": "fast"})"}) {
        try {
            Recipe::fromJson(bad, "r.json");
            ADD_FAILURE() << "read: " << bad;
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string::npos, std::string(e.what()).find("accept_pace")) << e.what();
        }
    }
}

TEST(EarlyAcceptance, EveryTryRejectedAtItsFirstCheckKeepsTheBestStart) {
    ScriptedFamily family;
    for (std::uint64_t s = 21; s < 25; ++s)
        family.kinds[s] = Kind::Loop;
    const Heard early = run(family, scriptedRecipe(2));
    const auto& res = early.result;
    EXPECT_EQ(500, res.frames);
    EXPECT_EQ(4, res.windowTries.at(0));
    ASSERT_FALSE(res.recipe.reseeds.empty());
    // Each try stopped at its first check: the best is kept for those 2 s, and the session
    // goes on from there.
    EXPECT_EQ(0, res.recipe.reseeds[0].window);
    EXPECT_EQ(50, res.recipe.reseeds[0].frames);
    const Heard again = run(family, Recipe::fromJson(res.recipe.toJson()));
    EXPECT_EQ(res.codes, again.result.codes);
}

TEST(EarlyAcceptance, BadValuesAreRefusedNamingTheField) {
    ScriptedFamily family;
    Recipe tiny = scriptedRecipe(0.01); // under one frame of 40 ms
    EXPECT_THROW(WindowPlan::of(family, tiny), EngineError);
    Recipe r = scriptedRecipe(2);
    r.reseeds.push_back({0, 21, std::nullopt, 251}); // more than window 0 makes
    EXPECT_THROW(run(family, r), EngineError);
    Recipe shortFirst = scriptedRecipe(2);
    shortFirst.firstAcceptSeconds = 0.01; // under one frame
    EXPECT_THROW(WindowPlan::of(family, shortFirst), EngineError);
    shortFirst.firstAcceptSeconds = 3; // longer than the stretches after it
    EXPECT_THROW(WindowPlan::of(family, shortFirst), EngineError);
    Recipe wholeWindows = scriptedRecipe(0);
    wholeWindows.firstAcceptSeconds = 1; // no early acceptance to start
    EXPECT_THROW(WindowPlan::of(family, wholeWindows), EngineError);
    try {
        Recipe::fromJson(R"({"model": "scripted", "first_accept_seconds": -2})", "r.json");
        ADD_FAILURE() << "a negative first_accept_seconds was read";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string::npos, std::string(e.what()).find("first_accept_seconds"));
    }
    const std::string negative = R"({"model": "scripted", "accept_seconds": -1})";
    try {
        Recipe::fromJson(negative, "r.json");
        ADD_FAILURE() << "a negative accept_seconds was read";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string::npos, std::string(e.what()).find("accept_seconds"));
    }
    const std::string frames =
        R"({"model": "scripted", "reseeds": [{"window": 0, "seed": 1, "frames": -3}]})";
    EXPECT_THROW(Recipe::fromJson(frames, "r.json"), std::runtime_error);
}

// With the codec on its own thread, each try's frames are decoded there as they are made (a
// pipelined copy of the stream decoder): the session is the same, bit for bit, as on one
// thread, early acceptance or whole windows, seam candidates and cut-back ends, and replays.
TEST(EarlyAcceptance, TheCodecOnItsOwnThreadMakesTheSameSession) {
    // -1: checks every 2 s after a first stretch of 0.4 s, paced (Recipe::acceptPace), the last
    // one where only the cut back's stretch is left.
    for (const double accept : {2.0, 0.0, -1.0}) {
        ScriptedFamily family;
        family.kinds[windowSeed(21, 0)] = Kind::LateLoop;
        family.kinds[windowSeed(21, 1)] = Kind::Loop;
        Recipe r = scriptedRecipe(std::max(0.0, accept));
        if (accept < 0) {
            r.acceptSeconds = 2;
            r.firstAcceptSeconds = 0.4;
            r.acceptPace = 0.1;
        }
        r.seamCandidates = 4;
        const Heard inline_ = run(family, r, false);
        const Heard piped = run(family, r, true);
        EXPECT_LT(inline_.result.decodeThreadCpuSeconds, 0);
        EXPECT_GE(piped.result.decodeThreadCpuSeconds, 0);
        EXPECT_EQ(inline_.result.codes, piped.result.codes) << accept;
        EXPECT_EQ(inline_.streamed, piped.streamed) << accept;
        EXPECT_EQ(inline_.result.audio.samples, piped.streamed) << accept;
        EXPECT_EQ(inline_.result.windowLevels, piped.result.windowLevels) << accept;
        EXPECT_EQ(inline_.result.recipe.toJson(), piped.result.recipe.toJson()) << accept;
        EXPECT_EQ(inline_.stepsAtFirstAudio, piped.stepsAtFirstAudio) << accept;
        const Recipe back = Recipe::fromJson(piped.result.recipe.toJson());
        for (const bool ownThread : {false, true}) {
            const Heard again = run(family, back, ownThread);
            EXPECT_EQ(piped.result.codes, again.result.codes) << accept << " " << ownThread;
            EXPECT_EQ(piped.streamed, again.streamed) << accept << " " << ownThread;
        }
    }
}
