// labels.csv parsing: column order, extra columns, quoting, line endings and clear errors.
#include "core/emotion/EmotionPredictor.h"

#include "TestPaths.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace moodsteer;

namespace {

std::string writeCsv(const std::string& name, const std::string& text) {
    const auto path = moodsteer::test::scratchDir("emotion-labels-" + name) / "labels.csv";
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
}

std::string errorOf(const std::string& path) {
    try {
        readEmotionLabels(path);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST(EmotionLabelsTest, ReadsQuotedFieldsAnyOrderExtraColumns) {
    const auto path = writeCsv("ok", "\xEF\xBB\xBFgenre,Arousal,file,valence,prompt\r\n"
                                     "jazz,7.5,a.wav,3,\"calm, \"\"slow\"\" piece\"\r\n"
                                     "rock,2,\"b, c.flac\",8.25,\"two\nlines\"\r\n"
                                     "\r\n"
                                     "pop, 5 ,d.ogg,1,x\n");
    const auto labels = readEmotionLabels(path);
    ASSERT_EQ(labels.size(), 3u);
    EXPECT_EQ(labels[0].file, "a.wav");
    EXPECT_DOUBLE_EQ(labels[0].target.valence, 3.0);
    EXPECT_DOUBLE_EQ(labels[0].target.arousal, 7.5);
    EXPECT_EQ(labels[1].file, "b, c.flac");
    EXPECT_DOUBLE_EQ(labels[1].target.valence, 8.25);
    EXPECT_EQ(labels[2].file, "d.ogg");
    EXPECT_DOUBLE_EQ(labels[2].target.arousal, 5.0);
}

TEST(EmotionLabelsTest, ErrorsNameFileAndLine) {
    auto e = errorOf(writeCsv("nocol", "file,valence\na.wav,3\n"));
    EXPECT_NE(e.find("arousal"), std::string::npos) << e;
    e = errorOf(writeCsv("range", "file,valence,arousal\na.wav,3,4\nb.wav,0.5,4\n"));
    EXPECT_NE(e.find("line 3"), std::string::npos) << e;
    EXPECT_NE(e.find("1..9"), std::string::npos) << e;
    e = errorOf(writeCsv("nan", "file,valence,arousal\na.wav,3,high\n"));
    EXPECT_NE(e.find("line 2"), std::string::npos) << e;
    EXPECT_NE(e.find("labels.csv"), std::string::npos) << e;
    e = errorOf(writeCsv("quote", "file,valence,arousal\n\"a.wav,3,4\n"));
    EXPECT_NE(e.find("unterminated"), std::string::npos) << e;
    e = errorOf(writeCsv("empty", ""));
    EXPECT_NE(e.find("empty"), std::string::npos) << e;
    EXPECT_NE(errorOf("/nonexistent/labels.csv").find("cannot open"), std::string::npos);
}
