#include "core/Recipe.h"

#include <gtest/gtest.h>

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
