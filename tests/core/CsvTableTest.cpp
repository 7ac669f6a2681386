#include "io/CsvTable.h"

#include <gtest/gtest.h>

using namespace moodsteer;

TEST(CsvTable, ParsesQuotedFieldsAndRoundTripsQuote) {
    auto t = CsvTable::parse("file,prompt,valence\r\na.wav,\"calm, \"\"soft\"\" piano\",7.5\n"
                             "b.wav,\"two\nlines\",2\n");
    ASSERT_EQ(2u, t.rows());
    EXPECT_EQ("calm, \"soft\" piano", t.at(0, "prompt"));
    EXPECT_EQ("two\nlines", t.at(1, "prompt"));
    EXPECT_DOUBLE_EQ(7.5, t.number(0, "valence"));
    const std::string field = "a \"b\", c";
    auto back = CsvTable::parse("x\n" + CsvTable::quote(field) + "\n");
    EXPECT_EQ(field, back.at(0, "x"));
}

TEST(CsvTable, ReportsRaggedRowsMissingColumnsAndJunkNumbers) {
    EXPECT_THROW(CsvTable::parse("a,b\n1\n"), std::runtime_error);
    EXPECT_THROW(CsvTable::parse("a\n\"open\n"), std::runtime_error);
    auto t = CsvTable::parse("a\nx\n");
    EXPECT_THROW(t.at(0, "b"), std::runtime_error);
    EXPECT_THROW(t.number(0, "a"), std::runtime_error);
    EXPECT_THROW(CsvTable::read("/nonexistent.csv"), std::runtime_error);
}

TEST(CsvTable, RecordsKeepTheirLineNumbersAcrossQuotedLineBreaks) {
    const auto r = parseCsvRecords("\xEF\xBB\xBF"
                                   "word,note\n\nsad,\"two\nlines\"\r\ncalm,x\n",
                                   "t.csv");
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].fields, (std::vector<std::string>{"word", "note"})); // BOM skipped
    EXPECT_EQ(r[0].line, 1);
    EXPECT_EQ(r[1].line, 3); // the blank line 2 is skipped
    EXPECT_EQ(r[1].fields[1], "two\nlines");
    EXPECT_EQ(r[2].line, 5);
    try {
        parseCsvRecords("a\nb\n\"open\n", "t.csv");
        FAIL() << "an unterminated quote must throw";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(
            std::string(e.what()).find("t.csv': unterminated quoted field starting on line 3"),
            std::string::npos)
            << e.what();
    }
}
