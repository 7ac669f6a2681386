// EmotionLexicon: loading the Glasgow Norms word list, nearest-word queries, clear errors.
#include "core/emotion/EmotionLexicon.h"
#include "TestPaths.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

using namespace moodsteer;

namespace {
std::string writeFile(const std::string& name, const std::string& text) {
    const auto path = test::scratchDir("lexicon") / name;
    std::ofstream(path) << text;
    return path.string();
}
} // namespace

TEST(EmotionLexiconTest, BuiltinListLoadsAllWords) {
    const auto& lex = EmotionLexicon::builtin();
    EXPECT_GT(lex.words().size(), 4000u);
    for (const auto& w : lex.words()) {
        ASSERT_GE(w.valence, 1.0);
        ASSERT_LE(w.arousal, 9.0);
    }
}

TEST(EmotionLexiconTest, NearestFindsSadForLowValenceLowArousal) {
    const auto near = EmotionLexicon::builtin().nearest(2.2, 3.9, 5);
    ASSERT_EQ(near.size(), 5u);
    EXPECT_TRUE(
        std::any_of(near.begin(), near.end(), [](const auto& w) { return w.word == "sad"; }));
    // "sad" is rated (2.200, 3.941): the closest word of all.
    EXPECT_EQ(near.front().word, "sad");
}

TEST(EmotionLexiconTest, NearestIsSortedByDistanceAndMatchesBruteForce) {
    const auto& lex = EmotionLexicon::builtin();
    const double v = 7.3, a = 6.1;
    const auto near = lex.nearest(v, a, 20);
    auto dist = [&](const EmotionLexicon::Word& w) {
        return std::hypot(w.valence - v, w.arousal - a);
    };
    for (std::size_t i = 1; i < near.size(); ++i)
        EXPECT_LE(dist(near[i - 1]), dist(near[i]));
    double best = 1e9;
    for (const auto& w : lex.words())
        best = std::min(best, dist(w));
    EXPECT_DOUBLE_EQ(dist(near.front()), best);
}

TEST(EmotionLexiconTest, LoadsQuotedFieldsAndAnyColumnOrder) {
    const auto path =
        writeFile("ok.csv", "arousal,word,valence\n3.5,\"calm, quiet\",6.5\n8,angry,2\n");
    const auto lex = EmotionLexicon::load(path);
    ASSERT_EQ(lex.words().size(), 2u);
    EXPECT_EQ(lex.words()[0].word, "calm, quiet");
    EXPECT_DOUBLE_EQ(lex.words()[0].valence, 6.5);
    EXPECT_EQ(lex.nearest(2, 8, 1).front().word, "angry");
}

TEST(EmotionLexiconTest, ClearErrorsForBadFiles) {
    auto expectError = [](const std::string& path, const std::string& fragment) {
        try {
            EmotionLexicon::load(path);
            FAIL() << "no error for " << path;
        } catch (const LexiconError& e) {
            EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
        }
    };
    expectError("/nonexistent/va.csv", "/nonexistent/va.csv");
    expectError(writeFile("nocol.csv", "word,valence\nsad,2\n"), "arousal");
    expectError(writeFile("nan.csv", "word,valence,arousal\nsad,x,3\n"), ":2: valence");
    expectError(writeFile("range.csv", "word,valence,arousal\nsad,2,3\nodd,2,12\n"), ":3: arousal");
    expectError(writeFile("short.csv", "word,valence,arousal\nsad,2\n"), ":2:");
    expectError(writeFile("empty.csv", ""), "empty");
    expectError(writeFile("norows.csv", "word,valence,arousal\n"), "no words");
}

TEST(EmotionLexiconTest, NearestMoodWordsComeFromTheMoodVocabulary) {
    const auto& lex = EmotionLexicon::builtin();
    // Low valence, low-mid arousal: the full list's nearest words include non-moods.
    const auto words = lex.nearestMood(2.6, 3.1, 5);
    ASSERT_EQ(5u, words.size());
    for (const auto& w : words)
        EXPECT_TRUE(EmotionLexicon::moodVocabulary().count(w.word)) << w.word;
    const auto sad = lex.nearestMood(2.2, 3.9, 1);
    ASSERT_EQ(1u, sad.size());
    EXPECT_EQ("sad", sad[0].word);
}
