// ClipLibrary: clips survive a reopen with their recipes, rename/delete persist, audio reads
// back within 16-bit quantisation, a corrupt index is backed up and rebuilt, several writers
// lose nothing, exports never
// overwrite silently and carry the recipe in a sidecar.
#include "core/library/ClipLibrary.h"

#include "TestPaths.h"
#include "core/audio/AudioFile.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <thread>

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

// A truncated or corrupt index is kept aside and rebuilt from the clips' files (it used to
// make the library unusable, and silently emptying it would lose every clip).
TEST(ClipLibrary, CorruptIndexIsBackedUpAndRebuilt) {
    const auto dir = test::scratchDir("cliplib-corrupt");
    std::string first, second;
    {
        ClipLibrary lib(dir.string());
        first = lib.add(sine(0.1, 440), recipe("one", 1), "my favourite").id;
        second = lib.add(sine(0.2, 330), recipe("two", 2)).id;
    }
    const auto size = fs::file_size(dir / "library.json");
    fs::resize_file(dir / "library.json", size / 2); // truncated, as by a crash of old code
    ClipLibrary lib(dir.string());
    EXPECT_NE(lib.recovered().find("library.json.corrupt-"), std::string::npos) << lib.recovered();
    ASSERT_EQ(lib.clips().size(), 2u);
    EXPECT_EQ(lib.clips()[0].id, first);
    EXPECT_EQ(lib.clips()[0].name, "my favourite");
    EXPECT_EQ(lib.clips()[0].recipe.seed, 1u);
    EXPECT_EQ(lib.clips()[1].recipe.prompt, "two");
    EXPECT_NEAR(lib.clips()[1].seconds, 0.2, 1e-3);
    int backups = 0;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().rfind("library.json.corrupt-", 0) == 0) {
            ++backups;
            EXPECT_EQ(fs::file_size(e.path()), size / 2) << "the backup is the broken index";
        }
    EXPECT_EQ(backups, 1);
    // The rebuilt index is written: reopening needs no second recovery.
    ClipLibrary again(dir.string());
    EXPECT_TRUE(again.recovered().empty());
    EXPECT_EQ(again.clips().size(), 2u);

    // An id that would leave the folder is corruption too: never used as a file name.
    std::ofstream(dir / "library.json", std::ios::trunc)
        << R"({"clips":[{"id":"../escape","recipe":{}}]})";
    ClipLibrary third(dir.string());
    EXPECT_FALSE(third.recovered().empty());
    for (const auto& c : third.clips())
        EXPECT_EQ(c.id.find('/'), std::string::npos);
}

// Four windows (objects) on one library, adding at once: nothing is lost (the index used to
// be read once and rewritten whole, so 3 of 5 clips vanished).
TEST(ClipLibrary, FourWritersLoseNothing) {
    const auto dir = test::scratchDir("cliplib-writers");
    std::vector<std::unique_ptr<ClipLibrary>> windows;
    for (int w = 0; w < 4; ++w)
        windows.push_back(std::make_unique<ClipLibrary>(dir.string()));
    std::vector<std::thread> threads;
    for (int w = 0; w < 4; ++w)
        threads.emplace_back([&, w] {
            for (int i = 0; i < 5; ++i)
                windows[w]->add(sine(0.05, 200 + 10 * i), recipe("w" + std::to_string(w), i));
        });
    for (auto& t : threads)
        t.join();
    windows[0]->rename(windows[0]->clips().front().id, "renamed by window 0");
    ClipLibrary lib(dir.string());
    ASSERT_EQ(lib.clips().size(), 20u);
    std::set<std::string> ids;
    for (const auto& c : lib.clips()) {
        ids.insert(c.id);
        EXPECT_TRUE(fs::exists(lib.audioPath(c.id))) << c.id;
        EXPECT_NO_THROW(lib.audio(c.id));
    }
    EXPECT_EQ(ids.size(), 20u);
    windows[3]->reload();
    EXPECT_EQ(windows[3]->clips().size(), 20u);
    // Removing through a window that has not seen the other windows' clips keeps them.
    windows[1]->remove(lib.clips().back().id);
    EXPECT_EQ(ClipLibrary(dir.string()).clips().size(), 19u);
}

// An export over an existing clip whose sidecar cannot be written keeps the previous audio.
TEST(ClipLibrary, FailedExportKeepsTheUsersPreviousFiles) {
    const auto dir = test::scratchDir("cliplib-export-fail");
    const std::string path = (dir / "keep.wav").string();
    ClipLibrary::exportClip(path, sine(0.1, 440), recipe("old", 1), "old", false);
    const auto before = fs::file_size(path);
    fs::remove(dir / "keep.recipe.json");
    fs::create_directory(dir / "keep.recipe.json");
    EXPECT_ANY_THROW(ClipLibrary::exportClip(path, sine(0.3, 220), recipe("new", 2), "new", true));
    EXPECT_EQ(fs::file_size(path), before);
    EXPECT_TRUE(fs::is_directory(dir / "keep.recipe.json"));
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
