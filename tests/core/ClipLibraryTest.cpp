// ClipLibrary: clips survive a reopen with their recipes, rename/delete persist, audio reads
// back within 16-bit quantisation, a corrupt index is reported by name, exports never
// overwrite silently and carry the recipe in a sidecar.
#include "core/ClipLibrary.h"

#include "TestPaths.h"
#include "core/AudioFile.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace moodsteer;
namespace fs = std::filesystem;

namespace {

AudioBuffer sine(double seconds, double hz) {
    AudioBuffer b;
    b.sampleRate = 32000;
    b.samples.resize(static_cast<std::size_t>(seconds * b.sampleRate));
    for (std::size_t i = 0; i < b.samples.size(); ++i)
        b.samples[i] = 0.5f * static_cast<float>(std::sin(2 * M_PI * hz * i / b.sampleRate));
    return b;
}

Recipe recipe(const std::string& prompt, std::uint64_t seed) {
    Recipe r;
    r.model = "embedded";
    r.prompt = prompt;
    r.valence = 7.25;
    r.arousal = 2.5;
    r.seed = seed;
    r.guidance = 2.5;
    r.topK = 50;
    r.seconds = 0.25;
    r.engineVersion = "0.1.0";
    return r;
}

float maxDiff(const AudioBuffer& a, const AudioBuffer& b) {
    float m = 0;
    for (std::size_t i = 0; i < std::min(a.samples.size(), b.samples.size()); ++i)
        m = std::max(m, std::fabs(a.samples[i] - b.samples[i]));
    return m;
}

} // namespace

TEST(ClipLibrary, ClipsSurviveAReopen) {
    const auto dir = test::scratchDir("cliplib-reopen");
    const AudioBuffer a = sine(0.25, 440), b = sine(0.5, 220);
    std::string idA, idB;
    {
        ClipLibrary lib(dir.string());
        idA = lib.add(a, recipe("calm piano", 7)).id;
        idB = lib.add(b, recipe("fast drums", 8), "my drums").id;
        EXPECT_NE(idA, idB);
        lib.setPredictedEmotion(idA, 6.5, 3.0);
    }
    ClipLibrary lib(dir.string());
    ASSERT_EQ(lib.clips().size(), 2u);
    const LibraryClip* ca = lib.find(idA);
    ASSERT_NE(ca, nullptr);
    EXPECT_EQ(ca->name, "calm piano (v 7.2 a 2.5)");
    EXPECT_EQ(ca->recipe.prompt, "calm piano");
    EXPECT_EQ(ca->recipe.seed, 7u);
    EXPECT_EQ(*ca->recipe.valence, 7.25);
    EXPECT_EQ(ca->recipe.topK, 50);
    EXPECT_DOUBLE_EQ(ca->seconds, 0.25);
    EXPECT_EQ(*ca->predictedValence, 6.5);
    EXPECT_EQ(lib.find(idB)->name, "my drums");
    const AudioBuffer back = lib.audio(idB);
    ASSERT_EQ(back.samples.size(), b.samples.size());
    const float diff = maxDiff(back, b);
    std::cout << "ClipLibrary WAV round trip max |diff| = " << diff << "\n";
    EXPECT_LE(diff, 1.0f / 32767);
}

TEST(ClipLibrary, DefaultNames) {
    Recipe r;
    EXPECT_EQ(ClipLibrary::defaultName(r), "unconditional");
    r.promptIds = {12, 7, 1};
    EXPECT_EQ(ClipLibrary::defaultName(r), "ids 12 7 1");
    r.prompt = std::string(60, 'x');
    EXPECT_EQ(ClipLibrary::defaultName(r), std::string(45, 'x') + "...");
    r.prompt.clear();
    r.promptIds.clear();
    r.valence = 2.0;
    r.arousal = 8.0;
    EXPECT_EQ(ClipLibrary::defaultName(r), "v 2.0 a 8.0");
}

TEST(ClipLibrary, RenameAndDeletePersist) {
    const auto dir = test::scratchDir("cliplib-edit");
    std::string keep, drop;
    {
        ClipLibrary lib(dir.string());
        keep = lib.add(sine(0.1, 440), recipe("one", 1)).id;
        drop = lib.add(sine(0.1, 330), recipe("two", 2)).id;
        lib.rename(keep, "renamed");
        ASSERT_TRUE(fs::exists(lib.audioPath(drop)));
        lib.remove(drop);
        EXPECT_FALSE(fs::exists(lib.audioPath(drop)));
        EXPECT_THROW(lib.remove(drop), ClipLibraryError);
        EXPECT_THROW(lib.rename("nope", "x"), ClipLibraryError);
    }
    ClipLibrary lib(dir.string());
    ASSERT_EQ(lib.clips().size(), 1u);
    EXPECT_EQ(lib.clips()[0].id, keep);
    EXPECT_EQ(lib.clips()[0].name, "renamed");
}

TEST(ClipLibrary, CorruptIndexIsNamed) {
    const auto dir = test::scratchDir("cliplib-corrupt");
    std::ofstream(dir / "library.json") << "{\"clips\": [ {\"id\": \"../escape\"";
    try {
        ClipLibrary lib(dir.string());
        FAIL() << "a corrupt index must throw";
    } catch (const ClipLibraryError& e) {
        EXPECT_NE(std::string(e.what()).find("library.json"), std::string::npos) << e.what();
    }
    std::ofstream(dir / "library.json", std::ios::trunc)
        << R"({"clips":[{"id":"../escape","recipe":{}}]})";
    EXPECT_THROW(ClipLibrary{dir.string()}, ClipLibraryError) << "ids cannot leave the folder";
}

TEST(ClipLibrary, ExportWritesSidecarAndNeverOverwritesSilently) {
    const auto dir = test::scratchDir("cliplib-export");
    const AudioBuffer a = sine(0.2, 440);
    const Recipe r = recipe("export me", 42);
    for (const char* ext : {".wav", ".flac", ".ogg"}) {
        const std::string path = (dir / (std::string("clip") + ext)).string();
        ClipLibrary::exportClip(path, a, r, "export me", /*overwrite=*/false);
        ASSERT_TRUE(fs::exists(path)) << path;
        const std::string sidecar = ClipLibrary::sidecarPath(path);
        EXPECT_EQ(sidecar, (dir / "clip.recipe.json").string());
        std::ifstream in(sidecar);
        std::string text((std::istreambuf_iterator<char>(in)), {});
        EXPECT_EQ(Recipe::fromJson(text).seed, 42u);
        const AudioBuffer back = readAudioFile(path);
        EXPECT_NEAR(back.seconds(), 0.2, 0.01) << path;
        // The sidecar of clip.wav now exists, so a second format with the same stem and any
        // repeat must be refused rather than replace the user's files.
        EXPECT_THROW(ClipLibrary::exportClip(path, a, r, "x", false), AudioFileError);
        fs::remove(sidecar);
    }
    const std::string wav = (dir / "clip.wav").string();
    EXPECT_NO_THROW(ClipLibrary::exportClip(wav, a, r, "x", /*overwrite=*/true));
    EXPECT_THROW(ClipLibrary::exportClip((dir / "clip.mp3").string(), a, r, "x", true),
                 AudioFileError);
}

TEST(ClipLibrary, StoresCodesForMidiExportAndRemovesThem) {
    const auto dir = test::scratchDir("cliplib-codes");
    CodeGrid codes(4, 3);
    for (int k = 0; k < 4; ++k)
        for (int t = 0; t < 3; ++t)
            codes.at(k, t) = 10 * k + t;
    std::string withCodes, without;
    {
        ClipLibrary lib(dir.string());
        withCodes = lib.add(sine(0.25, 440), recipe("a", 1), "", &codes).id;
        without = lib.add(sine(0.25, 220), recipe("b", 2)).id;
    }
    ClipLibrary lib(dir.string());
    const auto back = lib.codes(withCodes);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(codes.data, back->data);
    EXPECT_EQ(3, back->frames);
    EXPECT_FALSE(lib.codes(without).has_value());
    lib.remove(withCodes);
    EXPECT_FALSE(std::filesystem::exists(dir / (withCodes + ".codes.safetensors")));
    EXPECT_THROW(lib.codes(withCodes), ClipLibraryError);
}
