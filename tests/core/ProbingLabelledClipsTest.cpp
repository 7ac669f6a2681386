// labels.csv parsing for labelled probing folders.
#include "core/probing/LabelledClips.h"

#include "TestPaths.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace moodsteer;

TEST(ProbingLabelledClips, ParsesColumnsInAnyOrderAndSortsLabels) {
    const auto c = LabelledClips::parse("label,file,arousal,valence\n"
                                        "rock,a.wav,7,3\n"
                                        "\"jazz, modal\",\"b \"\"x\"\".wav\",2.5,8\n"
                                        "\n"
                                        "classical,/abs/c.flac,5,5\r\n",
                                        "/data");
    ASSERT_EQ(c.clips.size(), 3u);
    EXPECT_EQ(c.labelNames, (std::vector<std::string>{"classical", "jazz, modal", "rock"}));
    EXPECT_EQ(c.clips[0].file, "/data/a.wav");
    EXPECT_EQ(c.clips[0].label, 2);
    EXPECT_FLOAT_EQ(*c.clips[0].valence, 3.0f);
    EXPECT_FLOAT_EQ(*c.clips[0].arousal, 7.0f);
    EXPECT_EQ(c.clips[1].file, "/data/b \"x\".wav");
    EXPECT_EQ(c.clips[1].label, 1);
    EXPECT_EQ(c.clips[2].file, "/abs/c.flac");
    EXPECT_TRUE(c.hasEmotion);
    EXPECT_FALSE(LabelledClips::parse("file,label\nx.wav,a\n", "/d").hasEmotion);
}

TEST(ProbingLabelledClips, RejectsBadFilesWithTheLine) {
    const auto expectError = [](const std::string& csv, const std::string& part) {
        try {
            LabelledClips::parse(csv, "/d");
            ADD_FAILURE() << "no error for: " << csv;
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
        }
    };
    expectError("name,label\nx,a\n", "lacks the column 'file'");
    expectError("file,label\nx.wav,a\nx.wav,b\n", "labels.csv:3: clip 'x.wav' listed twice");
    expectError("file,label,valence,arousal\nx.wav,a,10,5\n", "outside 1..9");
    expectError("file,label,valence,arousal\nx.wav,a,abc,5\n", "not a number");
    expectError("file,label,valence,arousal\nx.wav,a,5,\n", "both be given");
    expectError("file,label\n", "no clips");
    expectError("file,label\n\"x.wav,a\n", "unterminated quote");

    const auto dir = test::scratchDir("labelled-clips");
    EXPECT_THROW(LabelledClips::read(dir.string()), std::runtime_error);
    std::ofstream(dir / "labels.csv") << "file,label\none.wav,rock\ntwo.wav,jazz\n";
    std::ofstream(dir / "one.wav") << "x";
    EXPECT_THROW(LabelledClips::read(dir.string()), std::runtime_error); // two.wav missing
    std::ofstream(dir / "two.wav") << "x";
    EXPECT_EQ(LabelledClips::read(dir.string()).clips.size(), 2u);
}
