// Recipe provenance (precision, repo id + commit, folder + content hash), the refusal to
// "regenerate exactly" with another model, repo-id parsing, the cache location from the
// environment, and labels.csv's label column (label, else genre, or named).
#include "TestPaths.h"

#include "core/engine/Recipe.h"
#include "core/hub/HubCache.h"
#include "core/hub/HubSettings.h"
#include "core/hub/ModelLocator.h"
#include "core/hub/RepoRef.h"
#include "core/probing/LabelledClips.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

using namespace moodsteer;
namespace fs = std::filesystem;

TEST(ModelProvenance, RecipeRoundTripsPrecisionAndModelIdentity) {
    Recipe r;
    r.model = "facebook/musicgen-small";
    r.precision = "int8";
    r.modelRevision = std::string(40, 'c');
    r.modelHash = "sha256:00ff";
    const auto back = Recipe::fromJson(r.toJson());
    EXPECT_EQ(back.precision, "int8");
    EXPECT_EQ(back.modelRevision, r.modelRevision);
    EXPECT_EQ(back.modelHash, r.modelHash);
    // Recipes from before provenance was recorded still load, with the fields empty.
    const auto old = Recipe::fromJson(R"({"model": "embedded", "seed": 3})");
    EXPECT_EQ(old.precision, "");
    EXPECT_EQ(old.modelRevision, "");
}

TEST(ModelProvenance, LocalFoldersAreAbsoluteAndHashedAndAChangeIsRefused) {
    auto dir = test::scratchDir("provenance");
    fs::create_directories(dir / "m");
    std::ofstream(dir / "m" / "config.json") << "{\"a\": 1}";
    std::ofstream(dir / "m" / "model.safetensors") << "weights";
    const auto cwd = fs::current_path();
    fs::current_path(dir);
    const auto s = ModelLocator::describeFolder("m/");
    fs::current_path(cwd);
    EXPECT_EQ(s.model, (dir / "m").string());
    EXPECT_EQ(s.folder, (dir / "m").string());
    EXPECT_EQ(s.revision, "");
    ASSERT_EQ(s.contentHash.rfind("sha256:", 0), 0u);

    Recipe r;
    ModelLocator::stamp(r, s, "bf16");
    EXPECT_EQ(r.precision, "bf16");
    EXPECT_EQ(ModelLocator::mismatch(r, s), "");
    std::ofstream(dir / "m" / "model.safetensors") << "other weights";
    const auto changed = ModelLocator::describeFolder((dir / "m").string());
    EXPECT_NE(changed.contentHash, s.contentHash);
    EXPECT_NE(ModelLocator::mismatch(r, changed).find("not an exact regeneration"),
              std::string::npos);
    // A hub model's recipe against a folder: refused too.
    Recipe hubRecipe;
    hubRecipe.model = "facebook/musicgen-small";
    hubRecipe.modelRevision = std::string(40, 'a');
    EXPECT_NE(ModelLocator::mismatch(hubRecipe, changed), "");
    fs::remove_all(dir);
}

TEST(ModelProvenance, SnapshotFoldersAreIdentifiedByRepoAndCommit) {
    const std::string commit(40, 'b');
    auto id = HubCache::snapshotIdentity("/x/hub/models--facebook--musicgen-small/snapshots/" +
                                         commit + "/");
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(id->first, "facebook/musicgen-small");
    EXPECT_EQ(id->second, commit);
    EXPECT_FALSE(HubCache::snapshotIdentity("/x/models/musicgen-small").has_value());
    EXPECT_EQ(HubCache::folderNameFor("m-a-p/MERT-v1-95M"), "models--m-a-p--MERT-v1-95M");
    EXPECT_EQ(HubCache::repoIdFromFolderName("models--m-a-p--MERT-v1-95M"), "m-a-p/MERT-v1-95M");
}

TEST(ModelProvenance, RepoIdsParseWithRevisionsAndFoldersAreNotIds) {
    const auto r = RepoRef::parse("facebook/musicgen-small@v1.0");
    EXPECT_EQ(r.id, "facebook/musicgen-small");
    EXPECT_EQ(r.revision, "v1.0");
    EXPECT_EQ(RepoRef::parse("facebook/musicgen-small").revision, "main");
    EXPECT_THROW(RepoRef::parse("a/b/c"), std::invalid_argument);
    EXPECT_THROW(RepoRef::parse("org/na me"), std::invalid_argument);
    EXPECT_THROW(RepoRef::parse("org/x@../y"), std::invalid_argument);
    EXPECT_FALSE(RepoRef::looksLikeRepoId("/abs/folder"));
    EXPECT_FALSE(RepoRef::looksLikeRepoId("./models/x"));
    EXPECT_TRUE(RepoRef::looksLikeRepoId("m-a-p/MERT-v1-95M"));
}

TEST(ModelProvenance, CacheLocationFollowsHuggingFaceHubRules) {
    const auto keep = [](const char* n) {
        const char* v = std::getenv(n);
        return std::make_pair(std::string(n), v ? std::optional<std::string>(v) : std::nullopt);
    };
    const auto saved = {keep("HF_HUB_CACHE"),         keep("HF_HOME"),     keep("HOME"),
                        keep("XDG_CACHE_HOME"),       keep("HF_ENDPOINT"), keep("HF_HUB_OFFLINE"),
                        keep("HUGGINGFACE_HUB_CACHE")};
    for (const char* n : {"HF_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME", "HF_ENDPOINT",
                          "HF_HUB_OFFLINE", "HUGGINGFACE_HUB_CACHE"})
        unsetenv(n);
    setenv("HOME", "/home/u", 1);
    EXPECT_EQ(HubSettings::fromEnvironment().cacheRoot, "/home/u/.cache/huggingface/hub");
    EXPECT_EQ(HubSettings::fromEnvironment().endpoint, "https://huggingface.co");
    EXPECT_FALSE(HubSettings::fromEnvironment().offline);
    setenv("HF_HOME", "/data/hf", 1);
    EXPECT_EQ(HubSettings::fromEnvironment().cacheRoot, "/data/hf/hub");
    setenv("HF_HUB_CACHE", "/fast/hub", 1);
    setenv("HF_ENDPOINT", "http://127.0.0.1:9/", 1);
    setenv("HF_HUB_OFFLINE", "1", 1);
    const auto s = HubSettings::fromEnvironment();
    EXPECT_EQ(s.cacheRoot, "/fast/hub");
    EXPECT_EQ(s.endpoint, "http://127.0.0.1:9");
    EXPECT_TRUE(s.offline);
    for (const auto& [name, value] : saved)
        value ? setenv(name.c_str(), value->c_str(), 1) : unsetenv(name.c_str());
}

TEST(ModelProvenance, LabelColumnDefaultsToLabelThenGenreAndCanBeNamed) {
    const auto genre =
        LabelledClips::parse("file,genre,bpm\na.wav,rock,120\nb.wav,jazz,90\n", "/d");
    EXPECT_EQ(genre.labelColumn, "genre");
    EXPECT_EQ(genre.labelNames, (std::vector<std::string>{"jazz", "rock"}));
    const auto both = LabelledClips::parse("file,genre,label\na.wav,rock,x\nb.wav,jazz,y\n", "/d");
    EXPECT_EQ(both.labelColumn, "label");
    EXPECT_EQ(both.labelNames, (std::vector<std::string>{"x", "y"}));
    const auto named = LabelledClips::parse("file,genre,mood\na.wav,rock,sad\nb.wav,jazz,happy\n",
                                            "/d", "x", "mood");
    EXPECT_EQ(named.labelNames, (std::vector<std::string>{"happy", "sad"}));
    try {
        LabelledClips::parse("file,style\na.wav,rock\n", "/d");
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("--label-column"), std::string::npos) << e.what();
    }
    EXPECT_THROW(LabelledClips::parse("file,genre\na.wav,rock\n", "/d", "x", "mood"),
                 std::runtime_error);
}
