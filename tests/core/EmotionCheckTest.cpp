// The emotion check of windowed generation (Recipe::emotionCheck, session/EmotionCheck.h): the
// error it measures, how it ranks tries, that it keeps the closest of them, and that the
// recipe it writes regenerates the session exactly.
#include "session/EmotionCheck.h"
#include "core/emotion/DefaultEmotionHead.h"
#include "core/emotion/EmotionPredictor.h"
#include "core/engine/MusicEngine.h"
#include "core/engine/ValueLimits.h"
#include "core/session/VaPath.h"
#include "session/WindowGuard.h"

#include "../common/EmbeddedEngine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <vector>

using namespace moodsteer;

namespace {

MusicEngine& embedded() {
    return test::embeddedEngine();
}

const EmotionPredictor& head() {
    static const EmotionPredictor p = EmotionPredictor::load(defaultEmotionHeadPath());
    return p;
}

/// A one-window "session" of 6 s: window 0 starts from the recipe's seed (no seam choice), so
/// seed S + k is exactly what the check's k-th try of that window generates.
Recipe oneWindow(std::uint64_t seed, double check) {
    Recipe r;
    r.model = "embedded";
    r.prompt = "ambient piece with piano";
    r.seed = seed;
    r.guidance = 2;
    r.seconds = 6;
    r.windowSeconds = 6;
    r.emotionPath = VaPath::iso({5, 8}, {6, 2}, 4, 2);
    r.emotionCheck = check;
    return r;
}

} // namespace

TEST(EmotionCheck, TheErrorIsTheMeanDistanceToThePathOverTheHeadsWindows) {
    AudioBuffer audio = embedded().generate(oneWindow(3, 0)).audio;
    ASSERT_GT(audio.seconds(), 5.0);
    Recipe r = oneWindow(3, 0);
    r.emotionPath = VaPath::parse("0:5,2 100:5,8"); // arousal rises 0.06 per second
    const double start = 40;                        // the window's place on the session clock
    const EmotionFit fit = judgeWindow(head(), audio, r, start);
    ASSERT_TRUE(fit.judged);
    const ClipPrediction p = head().predict(audio);
    double ea = 0, ev = 0;
    for (const auto& w : p.windows) {
        const auto [v, a] = r.emotionPath.at(start + (w.startSeconds + w.endSeconds) / 2);
        ea += std::abs(w.arousal - a) / p.windows.size();
        ev += std::abs(w.valence - v) / p.windows.size();
    }
    EXPECT_NEAR(ea, fit.arousalError, 1e-9);
    EXPECT_NEAR(ev, fit.valenceError, 1e-9);
    EXPECT_NEAR(fit.valenceJudged ? std::max(ea, ev) : ea, fit.error(), 1e-9);
    // A fixed target is the same as a one-point path.
    Recipe fixed = oneWindow(3, 0);
    fixed.emotionPath = VaPath();
    fixed.valence = 5;
    fixed.arousal = 4.4;
    Recipe point = oneWindow(3, 0);
    point.emotionPath = VaPath::parse("0:5,4.4");
    EXPECT_DOUBLE_EQ(judgeWindow(head(), audio, fixed, 0).error(),
                     judgeWindow(head(), audio, point, 0).error());

    // Nothing to judge: no target, silence, no audio.
    Recipe none = oneWindow(3, 0);
    none.emotionPath = VaPath();
    EXPECT_FALSE(judgeWindow(head(), audio, none, 0).judged);
    AudioBuffer silent = audio;
    std::fill(silent.samples.begin(), silent.samples.end(), 0.0f);
    EXPECT_FALSE(judgeWindow(head(), silent, r, 0).judged);
    EXPECT_FALSE(judgeWindow(head(), AudioBuffer{}, r, 0).judged);
}

TEST(EmotionCheck, AWindowOffThePathIsTheBestMissButNeverOk) {
    // Best first: passed; off the path (closer first); a gap (judged only with the check; less
    // quiet time first); looped; silent.
    WindowVerdict ok, near, far, gap, longerGap, looped, silent;
    ok.emotionError = 0.4;
    near.emotionError = 1.2;
    far.emotionError = 2.5;
    near.offPath = far.offPath = true;
    gap.gap = longerGap.gap = true;
    gap.quietSeconds = gap.longestQuietSeconds = 6;
    longerGap.quietSeconds = longerGap.longestQuietSeconds = 11;
    looped.looped = true;
    looped.loopFraction = 0.97;
    silent.silent = true;
    silent.levelDbfs = -70;
    const std::vector<WindowVerdict> order{ok, near, far, gap, longerGap, looped, silent};
    for (std::size_t i = 0; i < order.size(); ++i) {
        EXPECT_EQ(i == 0, order[i].ok()) << i;
        for (std::size_t j = i + 1; j < order.size(); ++j) {
            EXPECT_TRUE(order[i].betterThan(order[j])) << i << " over " << j;
            EXPECT_FALSE(order[j].betterThan(order[i])) << j << " over " << i;
        }
    }
    EXPECT_EQ("6 s gap", gap.reason(50));
    EXPECT_NE(near.reason(50).find("1.2 off the emotion path"), std::string::npos)
        << near.reason(50);
}

TEST(EmotionCheck, TheGuardCountsQuietSecondsAndTheLongestRestOfAWindow) {
    AudioBuffer audio;
    audio.sampleRate = 32000;
    audio.samples.resize(12 * 32000);
    for (std::size_t i = 0; i < audio.samples.size(); ++i) {
        const double t = double(i) / audio.sampleRate;
        const bool rest = (t >= 2 && t < 8) || t >= 10; // 6 s, then 2 s
        audio.samples[i] = rest ? 1e-4f * std::sin(0.1 * i) : 0.3f * std::sin(0.05 * i);
    }
    CodeGrid codes(4, 600);
    for (int k = 0; k < 4; ++k)
        for (int f = 0; f < 600; ++f)
            codes.at(k, f) = (f * 7919 + k * 31 + f * f) % 2048;
    const WindowVerdict v = WindowGuard::inspect(codes, audio, 50);
    EXPECT_EQ(8, v.quietSeconds);
    EXPECT_EQ(6, v.longestQuietSeconds);
    EXPECT_FALSE(v.gap); // the caller decides: only sessions with the emotion check
    EXPECT_TRUE(v.ok()) << v.reason(50);
}

TEST(EmotionCheck, EveryTryMissingKeepsTheClosestAndTheRecipeReplaysIt) {
    auto& engine = embedded();
    // What each of the four tries of window 0 would be: seeds 7..10, the k-th retry with the
    // AV token guided at g + 2k (g = 2 here), judged and never remade.
    std::vector<double> errors;
    for (int k = 0; k < 4; ++k) {
        Recipe r = oneWindow(7 + k, limits::kMaxEmotionCheck);
        if (k > 0) r.emotionGuidance = 2 + k * Recipe::kEmotionCheckGuidanceStep;
        const GenerationResult one = engine.generate(r);
        ASSERT_EQ(1u, one.windowTries.size());
        EXPECT_EQ(1, one.windowTries[0]); // within 8 of any target: kept at once
        ASSERT_GE(one.windowEmotionErrors[0], 0.0);
        errors.push_back(one.windowEmotionErrors[0]);
    }
    // A tolerance no try meets: all four are made, the closest is kept and recorded.
    const GenerationResult strict = engine.generate(oneWindow(7, 1e-9));
    ASSERT_EQ(1u, strict.windowTries.size());
    EXPECT_EQ(4, strict.windowTries[0]);
    const auto best = std::min_element(errors.begin(), errors.end()) - errors.begin();
    EXPECT_NEAR(errors[best], strict.windowEmotionErrors[0], 1e-9);
    ASSERT_EQ(1u, strict.recipe.reseeds.size());
    EXPECT_EQ(7u + best, strict.recipe.reseeds[0].seed);
    EXPECT_EQ(best > 0, strict.recipe.reseeds[0].emotionGuidance.has_value());
    if (best > 0) {
        EXPECT_DOUBLE_EQ(2 + best * Recipe::kEmotionCheckGuidanceStep,
                         *strict.recipe.reseeds[0].emotionGuidance);
    }
    EXPECT_DOUBLE_EQ(1e-9, Recipe::fromJson(strict.recipe.toJson()).emotionCheck);

    // The recipe replays the kept seed without judging: the same codes, one try.
    const GenerationResult again = engine.generate(Recipe::fromJson(strict.recipe.toJson()));
    EXPECT_EQ(strict.codes, again.codes);
    EXPECT_EQ(1, again.windowTries[0]);
    EXPECT_LT(again.windowEmotionErrors[0], 0); // replayed, not judged

    // A window kept at its first seed is recorded too, so no head ever re-judges it.
    const GenerationResult loose = engine.generate(oneWindow(7, limits::kMaxEmotionCheck));
    ASSERT_EQ(1u, loose.recipe.reseeds.size());
    EXPECT_EQ(7u, loose.recipe.reseeds[0].seed);
    // Without the check nothing is judged or recorded, as before it existed.
    const GenerationResult off = engine.generate(oneWindow(7, 0));
    EXPECT_TRUE(off.recipe.reseeds.empty());
    EXPECT_LT(off.windowEmotionErrors[0], 0);
    EXPECT_EQ(off.codes, loose.codes);
}

TEST(EmotionCheck, WithEarlyAcceptanceTheFirstStretchIsJudgedAndTheClosestGoesOn) {
    auto& engine = embedded();
    const double fr = engine.info().frameRate;
    // A 12 s window judged at 5 s (Recipe::acceptSeconds): each try is judged on its first
    // 5 s and, when every try misses, the closest start is made again to the window's end.
    const auto recipe = [](std::uint64_t seed, double check) {
        Recipe r = oneWindow(seed, check);
        r.seconds = 12;
        r.windowSeconds = 12;
        r.emotionPath = VaPath::parse("0:5,8 12:6,2");
        r.acceptSeconds = 5;
        return r;
    };
    const int stretch = static_cast<int>(std::lround(5 * fr));
    std::vector<double> firstStretch;
    for (int k = 0; k < 4; ++k) {
        Recipe r = recipe(7 + k, limits::kMaxEmotionCheck);
        if (k > 0) r.emotionGuidance = 2 + k * Recipe::kEmotionCheckGuidanceStep;
        const GenerationResult one = engine.generate(r);
        ASSERT_EQ(1, one.windowTries.at(0));
        const std::vector<std::int64_t> codes = one.codes;
        // Its first 5 s as the stream plays them (the embedded codec has no look-ahead).
        std::vector<std::int64_t> start;
        for (int c = 0; c < one.numCodebooks; ++c)
            start.insert(start.end(), codes.begin() + std::ptrdiff_t(c) * one.frames,
                         codes.begin() + std::ptrdiff_t(c) * one.frames + stretch);
        AudioBuffer heard = engine.decode(start, stretch);
        heard.samples.resize(std::size_t(stretch) * (heard.sampleRate / fr));
        const EmotionFit fit = judgeWindow(head(), heard, r, 0);
        ASSERT_TRUE(fit.judged);
        firstStretch.push_back(fit.error());
    }
    std::cout << "  first-stretch errors of tries 0..3:";
    for (double e : firstStretch)
        std::cout << " " << e;
    std::cout << "\n";
    const GenerationResult strict = engine.generate(recipe(7, 1e-9));
    EXPECT_EQ(4, strict.windowTries.at(0));
    EXPECT_EQ(std::lround(12 * fr), strict.frames); // the closest went on: a whole window
    const auto best =
        std::min_element(firstStretch.begin(), firstStretch.end()) - firstStretch.begin();
    ASSERT_EQ(1u, strict.recipe.reseeds.size());
    EXPECT_EQ(7u + best, strict.recipe.reseeds[0].seed);
    EXPECT_EQ(0, strict.recipe.reseeds[0].frames);
    EXPECT_GE(strict.windowEmotionErrors.at(0), 0.0); // the whole window's error, recorded
    const GenerationResult again = engine.generate(Recipe::fromJson(strict.recipe.toJson()));
    EXPECT_EQ(strict.codes, again.codes);
}

TEST(EmotionCheck, OutOfRangeTolerancesAreRefusedByName) {
    Recipe r = oneWindow(1, 1);
    auto j = r.toJson();
    EXPECT_NE(j.find("\"emotion_check\""), std::string::npos);
    const auto bad = [&](const std::string& value) {
        std::string text = j;
        const auto at = text.find("\"emotion_check\": 1.0");
        EXPECT_NE(at, std::string::npos) << text;
        text.replace(at, std::string("\"emotion_check\": 1.0").size(),
                     "\"emotion_check\": " + value);
        try {
            Recipe::fromJson(text, "r.json");
            ADD_FAILURE() << value << " was accepted";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find("r.json: \"emotion_check\""), std::string::npos)
                << e.what();
        }
    };
    bad("-0.5");
    bad("8.5");
    bad("\"1\"");
    EXPECT_EQ(std::string::npos, oneWindow(1, 0).toJson().find("emotion_check"));

    // A remade window's raised guidance is part of its reseed, and read back checked.
    r.reseeds = {{0, 5, std::nullopt}, {1, 9, 6.0}};
    const Recipe back = Recipe::fromJson(r.toJson());
    ASSERT_EQ(2u, back.reseeds.size());
    EXPECT_FALSE(back.reseeds[0].emotionGuidance);
    EXPECT_EQ(6.0, back.reseeds[1].emotionGuidance.value_or(0));
    std::string text = r.toJson();
    const std::string field = "\"emotion_guidance\": 6.0";
    const auto at = text.find(field);
    ASSERT_NE(at, std::string::npos) << text;
    text.replace(at, field.size(), "\"emotion_guidance\": -6.0");
    try {
        Recipe::fromJson(text, "r.json");
        ADD_FAILURE() << "a negative reseed guidance was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("reseeds[1]: \"emotion_guidance\""), std::string::npos)
            << e.what();
    }
}
