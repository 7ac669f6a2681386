#include "core/engine/Recipe.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace moodsteer;

TEST(Recipe, RoundTripsEveryField) {
    Recipe r;
    r.model = "/models/musicgen-small";
    r.prompt = "calm \"piano\" piece";
    r.promptIds = {3, 17, 1};
    r.valence = 7.25;
    r.arousal = 2.5;
    r.seed = 18446744073709551615ull;
    r.guidance = 3.5;
    r.temperature = 0.9;
    r.topK = 100;
    r.topP = 0.95;
    r.greedy = true;
    r.seconds = 12.5;
    r.steps = 77;
    r.steering.push_back({"jazz.safetensors", "jazz", 7, -0.4, SteeringSchedule::RampUp});
    r.engineVersion = "0.1.0";
    const Recipe back = Recipe::fromJson(r.toJson());
    EXPECT_EQ(r.toJson(), back.toJson());
    EXPECT_EQ(r.seed, back.seed);
    ASSERT_EQ(1u, back.steering.size());
    EXPECT_EQ(SteeringSchedule::RampUp, back.steering[0].schedule);
    EXPECT_DOUBLE_EQ(-0.4, back.steering[0].alpha);
}

TEST(Recipe, AbsentEmotionStaysAbsent) {
    Recipe r;
    const Recipe back = Recipe::fromJson(r.toJson());
    EXPECT_FALSE(back.valence.has_value());
    EXPECT_FALSE(back.arousal.has_value());
}

TEST(Recipe, MalformedInputNamesTheProblem) {
    EXPECT_THROW(Recipe::fromJson("{not json"), std::runtime_error);
    EXPECT_THROW(Recipe::fromJson("[1]"), std::runtime_error);
    try {
        Recipe::fromJson(R"({"seed":"abc"})");
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string::npos, std::string(e.what()).find("seed"));
    }
    EXPECT_THROW(Recipe::fromJson(R"({"steering":[{"schedule":"zigzag"}]})"), std::runtime_error);
}

// Every numeric recipe field is checked at full width against core/engine/ValueLimits.h, and the
// error names the file and the field: no wrap (steps 2^40 used to become 0), no truncation
// (seed 1.5 became 1, a layer of 1e12 became INT_MIN), no silently useless value (alpha 1e308).
TEST(Recipe, FieldValidationTable) {
    struct Case {
        const char* json;
        const char* fragment; // expected in the error; nullptr: accepted
    };
    const Case cases[] = {
        {R"({"steps": 1099511627776})",
         R"(r.json: "steps" must be an integer in [0, 2147483647], got 1099511627776)"},
        {R"({"steps": -3})", R"("steps" must be an integer)"},
        {R"({"steps": 2.5})", R"("steps" must be an integer)"},
        {R"({"seed": 1.5})", R"(r.json: "seed" must be an unsigned 64-bit integer, got 1.5)"},
        {R"({"seed": -1})", R"("seed" must be an unsigned 64-bit integer, got -1)"},
        {R"({"seed": 18446744073709551616})", R"("seed" must be an unsigned 64-bit integer)"},
        {R"({"seed": 18446744073709551615})", nullptr},
        {R"({"seconds": 1e308})", R"("seconds" must be a number in (0, 3600])"},
        {R"({"seconds": 0})", R"("seconds" must be a number in (0, 3600])"},
        {R"({"seconds": "ten"})", R"("seconds" must be a number)"},
        {R"({"valence": 12, "arousal": 5})", R"("valence" must be a number in [1, 9], got 12)"},
        {R"({"valence": 5, "arousal": 0})", R"("arousal" must be a number in [1, 9], got 0)"},
        {R"({"guidance": -1})", R"("guidance" must be a number in [0, 100])"},
        {R"({"temperature": 0})", R"("temperature" must be a number in (0, 100])"},
        {R"({"top_k": 4294967296})", R"("top_k" must be an integer in [0, 2147483647])"},
        {R"({"top_k": -5})", R"("top_k" must be an integer)"},
        {R"({"top_p": 2})", R"("top_p" must be a number in [0, 1], got 2)"},
        {R"({"top_p": 0.9, "top_k": 0})", nullptr},
        {R"({"prompt_ids": [3, -1]})", R"("prompt_ids" must be a list of non-negative integers)"},
        {R"({"greedy": "yes"})", R"("greedy" must be true or false)"},
        {R"({"steering": [{"layer": 1000000000000, "alpha": 0.5}]})",
         R"(r.json: steering[0]: "layer" must be an integer in [-1, 1024], got 1000000000000)"},
        {R"({"steering": [{"layer": 3, "alpha": 1e308}]})",
         R"(steering[0]: "alpha" must be a number in [-100, 100], got 1e+308)"},
        {R"({"steering": [{"layer": 3, "alpha": -0.4}]})", nullptr},
        {R"({"steering": {"layer": 3}})", R"("steering" must be a list)"},
        {R"({"steering": [7]})", R"(steering[0] must be an object)"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.json);
        if (!c.fragment) {
            EXPECT_NO_THROW(Recipe::fromJson(c.json, "r.json"));
            continue;
        }
        try {
            Recipe::fromJson(c.json, "r.json");
            ADD_FAILURE() << "accepted";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string::npos, std::string(e.what()).find(c.fragment)) << e.what();
        }
    }
}

TEST(Recipe, FromFileNamesTheFileAndRefusesFolders) {
    const auto dir = std::filesystem::temp_directory_path() / "moodsteer-test-recipe-file";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "folder.json");
    try {
        Recipe::fromFile((dir / "folder.json").string());
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string::npos, std::string(e.what()).find("is a folder")) << e.what();
    }
    const auto bad = (dir / "bad.json").string();
    std::ofstream(bad) << R"({"seed": 1.5})";
    try {
        Recipe::fromFile(bad);
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string::npos, std::string(e.what()).find(bad + ": \"seed\"")) << e.what();
    }
}

TEST(Recipe, NonUtf8TextNeverThrowsFromTheWriter) {
    Recipe r;
    r.prompt = "caf\xe9";  // Latin-1
    r.model = "/tmp/\xff"; // a non-UTF-8 path
    std::string text;
    ASSERT_NO_THROW(text = r.toJson(-1));
    EXPECT_NO_THROW(Recipe::fromJson(text));
}

TEST(Recipe, RoundTripsTimeVaryingAndSessionFields) {
    Recipe r;
    r.prompt = "a session";
    r.emotionPath = VaPath({{0, 3, 8}, {480, 6, 2}, {600, 6, 2}}, PathInterpolation::Smooth);
    SteeringSpec s{"jazz.safetensors", "jazz", 2, 0.3, SteeringSchedule::RampUp};
    s.fromSeconds = 60;
    s.toSeconds = 120.5;
    r.steering.push_back(s);
    SteeringSpec open{"rock.safetensors", "rock", 1, 0.2, SteeringSchedule::Constant};
    open.fromSeconds = 300;
    r.steering.push_back(open);
    r.windowSeconds = 40.8;
    r.strideSeconds = 27.2;
    r.reseeds = {{3, 12345, std::nullopt}, {7, 18446744073709551615ull, 4.0}};
    r.continueFrom = "clip.codes.safetensors";
    r.incomplete = true;
    const Recipe back = Recipe::fromJson(r.toJson());
    EXPECT_EQ(r.toJson(), back.toJson());
    ASSERT_EQ(3u, back.emotionPath.keyframes().size());
    EXPECT_EQ(PathInterpolation::Smooth, back.emotionPath.interpolation());
    EXPECT_DOUBLE_EQ(480, back.emotionPath.keyframes()[1].time);
    EXPECT_DOUBLE_EQ(120.5, *back.steering[0].toSeconds);
    EXPECT_FALSE(back.steering[1].toSeconds.has_value());
    EXPECT_DOUBLE_EQ(300, *back.steering[1].fromSeconds);
    EXPECT_EQ(18446744073709551615ull, back.reseeds[1].seed);
    EXPECT_TRUE(back.incomplete);
    EXPECT_TRUE(back.hasEmotion());
}

TEST(Recipe, OldRecipesReadAndWriteUnchanged) {
    // A recipe written before paths, ranges and sessions existed: no new field appears.
    const std::string old =
        R"({"model":"embedded","prompt":"calm","valence":7.0,"arousal":3.0,"seed":4,)"
        R"("guidance":2.0,"temperature":1.0,"top_k":250,"top_p":0.0,"greedy":false,)"
        R"("seconds":10.0,"steps":0,"steering":[{"vector":"v.safetensors","label":"jazz",)"
        R"("layer":2,"alpha":0.5,"schedule":"constant"}],"engine_version":"0.1.0"})";
    const Recipe r = Recipe::fromJson(old);
    EXPECT_TRUE(r.emotionPath.empty());
    EXPECT_FALSE(r.steering[0].hasRange());
    EXPECT_EQ(0, r.windowSeconds);
    EXPECT_FALSE(r.incomplete);
    EXPECT_EQ(nlohmann::json::parse(old), nlohmann::json::parse(r.toJson()));
}

TEST(Recipe, RejectsBadTimeVaryingFields) {
    const auto bad = [](const std::string& extra) { return R"({"prompt":"x",)" + extra + "}"; };
    for (const std::string& extra :
         {std::string(R"("emotion_path":{"keyframes":[[0,3,3],[0,4,4]]})"),
          std::string(R"("emotion_path":{"keyframes":[[0,3]]})"),
          std::string(R"("emotion_path":{"keyframes":[[0,3,10]]})"),
          std::string(R"("emotion_path":{"interpolation":"cubic","keyframes":[[0,3,3]]})"),
          std::string(R"("window_seconds":10,"stride_seconds":10)"),
          std::string(R"("window_seconds":-1)"),
          std::string(R"("steering":[{"label":"a","from_seconds":5,"to_seconds":5}])"),
          std::string(R"("steering":[{"label":"a","from_seconds":"x"}])")})
        EXPECT_THROW(Recipe::fromJson(bad(extra)), std::runtime_error) << extra;
}

TEST(Recipe, ImportedAndVariationFieldsRoundTrip) {
    Recipe r;
    r.model = "embedded";
    r.importedFrom = "/music/song.mid";
    r.variationOf = "clip-0007";
    r.variation = 2;
    r.variations = 4;
    r.variationSimilarity = 0.3;
    r.variationShiftArousal = -2;
    r.variationShiftValence = 1.5;
    r.restoredFrom = 2.0;
    r.restoredTo = 4.5;
    const Recipe back = Recipe::fromJson(r.toJson());
    EXPECT_EQ(back.importedFrom, "/music/song.mid");
    EXPECT_EQ(back.variationOf, "clip-0007");
    EXPECT_EQ(back.variation, 2);
    EXPECT_EQ(back.variations, 4);
    EXPECT_DOUBLE_EQ(back.variationSimilarity, 0.3);
    EXPECT_DOUBLE_EQ(back.variationShiftArousal, -2);
    EXPECT_DOUBLE_EQ(back.variationShiftValence, 1.5);
    EXPECT_DOUBLE_EQ(back.restoredFrom, 2.0);
    EXPECT_DOUBLE_EQ(back.restoredTo, 4.5);
    EXPECT_EQ(back.toJson(), r.toJson());
    // Not a variation: none of the fields is written.
    EXPECT_EQ(Recipe{}.toJson().find("variation"), std::string::npos);
    const auto bad = [](const std::string& extra) { return R"({"prompt":"x",)" + extra + "}"; };
    for (const std::string& extra :
         {std::string(R"("variation":5,"variations":4)"), std::string(R"("variation":0)"),
          std::string(R"("variation":1,"variations":1,"variation_similarity":1.5)"),
          std::string(R"("variation":1,"variations":1,"restored_from":3,"restored_to":2)")})
        EXPECT_THROW(Recipe::fromJson(bad(extra)), std::runtime_error) << extra;
}
