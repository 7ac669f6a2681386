// CorpusWriter: a balanced plan, the files it writes (tokens, MIDI, audio, labels.csv) and
// clear errors for bad options.
#include "core/corpus/CorpusWriter.h"
#include "TestPaths.h"
#include "core/audio/AudioFile.h"
#include "models/Safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

using namespace moodsteer;

TEST(CorpusWriterTest, PlanIsBalancedOverGenresAndTheEmotionPlane) {
    CorpusOptions o;
    o.count = 128;
    o.seed = 7;
    const auto plan = CorpusWriter::plan(o);
    ASSERT_EQ(plan.size(), 128u);
    std::map<std::string, int> genres;
    std::map<std::pair<std::string, int>, int> quadrants;
    for (const auto& r : plan) {
        ++genres[r.genre];
        ASSERT_GE(r.valence, 1.0);
        ASSERT_LE(r.arousal, 9.0);
        ++quadrants[{r.genre, (r.valence >= 5) * 2 + (r.arousal >= 5)}];
    }
    for (const auto& g : Composer::genres()) {
        EXPECT_EQ(genres[g], 32);
        for (int q = 0; q < 4; ++q)
            EXPECT_EQ((quadrants[{g, q}]), 8) << g << " quadrant " << q;
    }
    EXPECT_EQ(CorpusWriter::plan(o)[5].valence, plan[5].valence); // deterministic
}

TEST(CorpusWriterTest, WritesTokensMidiAudioAndLabels) {
    const auto dir = test::scratchDir("corpus-writer");
    CorpusOptions o;
    o.outDir = dir.string();
    o.count = 4;
    o.seconds = 2;
    o.seed = 3;
    o.genres = {"jazz", "rock"};
    const auto summary = CorpusWriter(o).run();
    EXPECT_EQ(summary.pieces, 4);
    std::ifstream csv(dir / "labels.csv");
    std::string header, line;
    std::getline(csv, header);
    EXPECT_EQ(header, "file,genre,valence,arousal,tempo,key,mode,seed,prompt");
    int rows = 0;
    while (std::getline(csv, line)) {
        ++rows;
        EXPECT_EQ(line.back(), '"'); // the prompt is CSV-quoted
    }
    EXPECT_EQ(rows, 4);
    const Composer composer;
    const auto plan = CorpusWriter::plan(o);
    for (int i = 0; i < 4; ++i) {
        const auto& item = summary.items[static_cast<std::size_t>(i)];
        EXPECT_EQ(item.label.genre, i % 2 ? "rock" : "jazz");
        const auto st =
            models::SafetensorsReader::open((dir / (item.stem + ".safetensors")).string());
        const auto& info = st.at("codes");
        EXPECT_EQ(info.dtype, models::DType::I64);
        ASSERT_EQ(info.shape, (std::vector<int64_t>{4, 50}));
        const auto expected = composer.compose(plan[static_cast<std::size_t>(i)]).codes;
        EXPECT_EQ(0, std::memcmp(st.data(info).data(), expected.data.data(), 4 * 50 * 8));
        EXPECT_EQ(st.metadata().at("genre"), item.label.genre);
        EXPECT_TRUE(std::filesystem::exists(dir / (item.stem + ".mid")));
        const auto audio = readAudioFile((dir / (item.stem + ".wav")).string());
        EXPECT_EQ(audio.sampleRate, 32000);
        EXPECT_EQ(audio.samples.size(), 50u * 1280 + 8000);
    }
}

TEST(CorpusWriterTest, TokensOnlySkipsAudio) {
    const auto dir = test::scratchDir("corpus-tokens");
    CorpusOptions o;
    o.outDir = dir.string();
    o.count = 2;
    o.seconds = 1;
    o.tokensOnly = true;
    const auto summary = CorpusWriter(o).run();
    EXPECT_EQ(summary.items[0].file, "piece_00000.safetensors");
    EXPECT_FALSE(std::filesystem::exists(dir / "piece_00000.wav"));
    EXPECT_TRUE(std::filesystem::exists(dir / "labels.csv"));
}

TEST(CorpusWriterTest, BadOptionsAreClearErrors) {
    CorpusOptions o;
    o.outDir = test::scratchDir("corpus-bad").string();
    o.count = 0;
    EXPECT_THROW(CorpusWriter{o}, std::invalid_argument);
    o.count = 1;
    o.genres = {"polka"};
    EXPECT_THROW(CorpusWriter{o}, std::invalid_argument);
    o.genres = {};
    // A regular file where the folder should be.
    const auto file = test::scratchDir("corpus-bad") / "file";
    std::ofstream(file) << "x";
    o.outDir = (file / "sub").string();
    try {
        CorpusWriter(o).run();
        FAIL() << "no error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("sub"), std::string::npos) << e.what();
    }
}
