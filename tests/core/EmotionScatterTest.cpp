// Scatter export: CSV content (quoting, values) and the SVG's points, lines and metrics.
#include "core/emotion/EmotionMetrics.h"

#include "TestPaths.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace moodsteer;

namespace {

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::size_t count(const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (auto pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1))
        ++n;
    return n;
}

} // namespace

TEST(EmotionScatterTest, CsvAndSvg) {
    const std::vector<EmotionScatterPoint> pts{{"a.wav", {1, 2}, {2, 2}},
                                               {"b, \"c\".wav", {2, 3}, {2, 4}},
                                               {"d.wav", {3, 4}, {4, 5}},
                                               {"e.wav", {4, 5}, {5, 5}}};
    const auto dir = moodsteer::test::scratchDir("emotion-scatter");
    writeEmotionScatterCsv((dir / "s.csv").string(), pts);
    EXPECT_EQ(slurp(dir / "s.csv"),
              "name,target_valence,predicted_valence,target_arousal,predicted_arousal\n"
              "a.wav,1,2,2,2\n\"b, \"\"c\"\".wav\",2,2,3,4\nd.wav,3,4,4,5\ne.wav,4,5,5,5\n");
    writeEmotionScatterSvg((dir / "s.svg").string(), pts, "test <set>");
    const std::string svg = slurp(dir / "s.svg");
    EXPECT_EQ(svg, emotionScatterSvg(pts, "test <set>"));
    EXPECT_EQ(count(svg, "<circle"), 2 * pts.size()); // one per clip and panel
    EXPECT_NE(svg.find("test &lt;set&gt; (n = 4)"), std::string::npos);
    // Valence: t = 1 2 3 4, p = 2 2 4 5 -> CCC 0.785714 (see EmotionMetricsTest).
    EXPECT_NE(svg.find("valence: CCC 0.79, PCC 0.95, RMSE 0.87"), std::string::npos) << svg;
    EXPECT_NE(svg.find("</svg>"), std::string::npos);
    EXPECT_THROW(emotionScatterSvg({pts[0]}), std::invalid_argument);
    EXPECT_THROW(writeEmotionScatterCsv("/nonexistent-dir/s.csv", pts), std::runtime_error);
}
