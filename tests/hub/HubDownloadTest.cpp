// The model manager against a tiny hub on loopback (tests/hub/hub_server.py) serving the
// parity model in the Hugging Face URL scheme: cache layout, resume, hash refusal, HTTP
// errors, offline mode, concurrent downloads, cancel, and that the result loads and generates.
#include "HubTestServer.h"
#include "ShardedCheckpoint.h"
#include "TestPaths.h"

#include "core/engine/MusicEngine.h"
#include "core/hub/HubCache.h"
#include "core/hub/HubDownloader.h"
#include "core/hub/ModelLocator.h"
#include "hub/ContentHash.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <thread>

using namespace moodsteer;
namespace fs = std::filesystem;

namespace {

const std::string kRepo = "test-org/tiny-musicgen";

std::string fileBytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

int countMatching(const std::vector<std::string>& lines, const std::string& needle,
                  const std::string& also = "") {
    int n = 0;
    for (const auto& l : lines)
        n += l.find(needle) != std::string::npos && l.find(also) != std::string::npos;
    return n;
}

class HubDownloadTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!test::haveParity()) GTEST_SKIP() << "../shared/parity is absent: hub tests skipped";
        dir_ = test::scratchDir(std::string("hub-") +
                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        served_ = dir_ / "served" / kRepo;
        fs::create_directories(served_);
        // The parity model, copied at test time (never committed), is the repo's content.
        for (const char* f : {"config.json", "generation_config.json", "model.safetensors"})
            fs::copy_file(fs::path(test::parityDir()) / f, served_ / f);
        server_ = std::make_unique<test::HubTestServer>(dir_ / "served");
        settings_.endpoint = server_->endpoint();
        settings_.cacheRoot = (dir_ / "cache").string();
    }
    void TearDown() override {
        server_.reset();
        if (!dir_.empty()) fs::remove_all(dir_);
    }
    fs::path repoDir() const { return fs::path(HubCache(settings_.cacheRoot).repoFolder(kRepo)); }
    void expectIdentical(const PullResult& r) {
        for (const char* f : {"config.json", "generation_config.json", "model.safetensors"})
            EXPECT_EQ(fileBytes(fs::path(r.folder) / f), fileBytes(served_ / f)) << f;
    }
    int cdnGets() const { return countMatching(server_->requests(), "GET /_cdn/"); }

    fs::path dir_, served_;
    std::unique_ptr<test::HubTestServer> server_;
    HubSettings settings_;
};

} // namespace

TEST_F(HubDownloadTest, PullsIntoTheHubLayoutAndTheModelGenerates) {
    std::vector<DownloadProgress> progress;
    auto r = HubDownloader(settings_).pull(
        RepoRef::parse(kRepo), {}, [&](const DownloadProgress& p) { progress.push_back(p); });
    EXPECT_TRUE(hub::isHexDigest(r.commit, 40));
    EXPECT_EQ(r.folder, (repoDir() / "snapshots" / r.commit).string());
    expectIdentical(r);
    // huggingface_hub's layout: snapshot entries are relative links into blobs/<etag>.
    const auto link = fs::path(r.folder) / "model.safetensors";
    ASSERT_TRUE(fs::is_symlink(link));
    EXPECT_EQ(fs::read_symlink(link).parent_path(), fs::path("../../blobs"));
    const auto blob = fs::canonical(link);
    EXPECT_EQ(blob.filename().string(),
              hub::sha256OfFile((served_ / "model.safetensors").string()));
    EXPECT_EQ(fileBytes(repoDir() / "refs" / "main"), r.commit);
    EXPECT_FALSE(fs::exists(fs::path(r.folder) / "spiece.model")); // optional, absent upstream
    ASSERT_FALSE(progress.empty());
    EXPECT_EQ(progress.back().total, fs::file_size(served_ / "model.safetensors") +
                                         fs::file_size(served_ / "config.json") +
                                         fs::file_size(served_ / "generation_config.json"));
    EXPECT_EQ(progress.back().bytes, progress.back().total);

    // Pulling again downloads nothing.
    const int gets = cdnGets();
    auto again = HubDownloader(settings_).pull(RepoRef::parse(kRepo));
    EXPECT_EQ(again.downloadedBytes, 0u);
    EXPECT_EQ(cdnGets(), gets);
    EXPECT_TRUE(HubCache(settings_.cacheRoot).verify(kRepo, r.commit).empty());

    // Through the normal loader, and it generates.
    auto engine = MusicEngine::load(r.folder);
    Recipe recipe;
    recipe.promptIds = {5, 9, 1};
    recipe.steps = 12;
    recipe.seed = 3;
    const auto clip = engine->generate(recipe);
    EXPECT_GT(clip.frames, 0);
    EXPECT_GT(clip.audio.samples.size(), 0u);
}

TEST_F(HubDownloadTest, ResumesADroppedConnectionWithRangeToAnIdenticalFile) {
    server_->control(R"({"drop_after": 1000000, "drop_count": 1})");
    auto r = HubDownloader(settings_).pull(RepoRef::parse(kRepo));
    expectIdentical(r);
    EXPECT_EQ(countMatching(server_->requests(), "GET /_cdn/", "bytes=1000000-"), 1);
}

TEST_F(HubDownloadTest, AnInterruptedPullResumesOnTheNextPull) {
    server_->control(R"({"drop_after": 400000, "drop_count": 100})");
    EXPECT_THROW(HubDownloader(settings_).pull(RepoRef::parse(kRepo)), HubError);
    const auto sha = hub::sha256OfFile((served_ / "model.safetensors").string());
    const auto partial = repoDir() / "blobs" / (sha + ".incomplete");
    ASSERT_TRUE(fs::exists(partial));
    const auto have = fs::file_size(partial);
    EXPECT_EQ(have, 5u * 400000u); // five attempts, each 400 kB further
    EXPECT_FALSE(fs::exists(repoDir() / "snapshots"));

    server_->control("{}");
    auto r = HubDownloader(settings_).pull(RepoRef::parse(kRepo));
    expectIdentical(r);
    EXPECT_EQ(
        countMatching(server_->requests(), "GET /_cdn/", "bytes=" + std::to_string(have) + "-"), 1);
    // config.json came complete the first time; generation_config.json comes after the weights.
    EXPECT_EQ(r.downloadedBytes, fs::file_size(served_ / "model.safetensors") - have +
                                     fs::file_size(served_ / "generation_config.json"));
}

TEST_F(HubDownloadTest, AWrongHashIsRefusedAndNothingLandsInSnapshots) {
    server_->control(R"({"wrong_hash": true})");
    try {
        HubDownloader(settings_).pull(RepoRef::parse(kRepo));
        FAIL() << "a wrong hash was accepted";
    } catch (const HubError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("model.safetensors"), std::string::npos) << msg;
        EXPECT_NE(msg.find("discarded"), std::string::npos) << msg;
        EXPECT_EQ(msg.find('\n'), std::string::npos);
    }
    EXPECT_FALSE(fs::exists(repoDir() / "snapshots"));
    for (const auto& e : fs::directory_iterator(repoDir() / "blobs")) // config files only
        EXPECT_LT(fs::file_size(e.path()), 10000u) << e.path();
}

TEST_F(HubDownloadTest, Http401And404GiveOneClearLine) {
    server_->control(R"({"status": 401})");
    try {
        HubDownloader(settings_).pull(RepoRef::parse(kRepo));
        FAIL();
    } catch (const HubError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("401"), std::string::npos) << msg;
        EXPECT_NE(msg.find("HF_TOKEN"), std::string::npos) << msg;
        EXPECT_EQ(msg.find('\n'), std::string::npos);
    }
    server_->control("{}");
    try {
        HubDownloader(settings_).pull(RepoRef::parse("test-org/no-such-model"));
        FAIL();
    } catch (const HubError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("404"), std::string::npos) << msg;
        EXPECT_NE(msg.find("test-org/no-such-model"), std::string::npos) << msg;
        EXPECT_EQ(msg.find('\n'), std::string::npos);
    }
    EXPECT_FALSE(fs::exists(repoDir() / "snapshots"));
}

TEST_F(HubDownloadTest, OfflineModeNeverConnects) {
    auto offline = settings_;
    offline.offline = true;
    try {
        HubDownloader(offline).pull(RepoRef::parse(kRepo));
        FAIL();
    } catch (const HubError& e) {
        EXPECT_NE(std::string(e.what()).find("HF_HUB_OFFLINE=1"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(server_->requests().empty());
    const auto online = HubDownloader(settings_).pull(RepoRef::parse(kRepo));
    const auto before = server_->requests().size();
    const auto r = HubDownloader(offline).pull(RepoRef::parse(kRepo));
    EXPECT_EQ(r.folder, online.folder);
    EXPECT_EQ(r.commit, online.commit);
    EXPECT_EQ(server_->requests().size(), before);
}

TEST_F(HubDownloadTest, TwoConcurrentPullsOfOneFileMakeOneCorrectBlob) {
    server_->control(R"({"trickle": 4000000})"); // ~1 s per pull, so that they overlap
    PullResult a, b;
    std::string errA, errB;
    std::thread ta([&] {
        try {
            a = HubDownloader(settings_).pull(RepoRef::parse(kRepo));
        } catch (const std::exception& e) {
            errA = e.what();
        }
    });
    std::thread tb([&] {
        try {
            b = HubDownloader(settings_).pull(RepoRef::parse(kRepo));
        } catch (const std::exception& e) {
            errB = e.what();
        }
    });
    ta.join();
    tb.join();
    ASSERT_EQ(errA, "");
    ASSERT_EQ(errB, "");
    EXPECT_EQ(a.folder, b.folder);
    expectIdentical(a);
    EXPECT_EQ(countMatching(server_->requests(), "GET /_cdn/" + kRepo + "/model.safetensors"), 1);
    int blobs = 0;
    for (const auto& e : fs::directory_iterator(repoDir() / "blobs")) {
        EXPECT_NE(e.path().extension(), ".incomplete");
        ++blobs;
    }
    EXPECT_EQ(blobs, 3);
}

TEST_F(HubDownloadTest, CancelStopsASlowDownloadAndKeepsItResumable) {
    server_->control(R"({"trickle": 200000})");
    std::atomic<bool> cancel{false};
    DownloadProgress last;
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_THROW(HubDownloader(settings_).pull(
                     RepoRef::parse(kRepo), {},
                     [&](const DownloadProgress& p) {
                         last = p;
                         if (p.fileBytes > 100000) cancel = true;
                     },
                     &cancel),
                 HubCancelled);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
    EXPECT_GT(last.bytesPerSecond, 0.0);
    EXPECT_GT(last.secondsLeft, 0.0);
    EXPECT_FALSE(fs::exists(repoDir() / "snapshots"));
    const auto sha = hub::sha256OfFile((served_ / "model.safetensors").string());
    EXPECT_TRUE(fs::exists(repoDir() / "blobs" / (sha + ".incomplete")));
}

TEST_F(HubDownloadTest, LocatorResolvesRepoIdsThroughTheCacheOnly) {
    ModelLocator locator(settings_);
    try {
        locator.resolve(kRepo);
        FAIL();
    } catch (const HubError& e) {
        EXPECT_NE(std::string(e.what()).find("run: moodsteer-cli models pull " + kRepo),
                  std::string::npos)
            << e.what();
    }
    EXPECT_TRUE(server_->requests().empty());
    const auto pulled = HubDownloader(settings_).pull(RepoRef::parse(kRepo));
    const auto s = locator.resolve(kRepo);
    EXPECT_EQ(s.model, kRepo);
    EXPECT_EQ(s.revision, pulled.commit);
    EXPECT_EQ(s.folder, pulled.folder);
    EXPECT_EQ(locator.resolve(kRepo + "@" + pulled.commit).folder, pulled.folder);

    // A recipe from another revision is refused; from this one, accepted.
    Recipe r;
    r.model = kRepo;
    r.modelRevision = std::string(40, 'a');
    EXPECT_NE(ModelLocator::mismatch(r, s), "");
    r.modelRevision = pulled.commit;
    EXPECT_EQ(ModelLocator::mismatch(r, s), "");

    // verify notices a blob that changed on disk.
    const auto blob = fs::canonical(fs::path(s.folder) / "config.json");
    std::ofstream(blob, std::ios::app) << " ";
    const auto problems = HubCache(settings_.cacheRoot).verify(kRepo, pulled.commit);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("config.json"), std::string::npos) << problems[0];
}

// Weights in shards + index (as facebook/musicgen-large stores its safetensors): the index is
// fetched, then the shards it names; the snapshot holds them (no model.safetensors); offline
// and cached lookups accept it; a missing shard makes the snapshot incomplete; and the model
// loads and generates the same clip as the single-file repo.
TEST_F(HubDownloadTest, ShardedWeightsArePulledWholeAndGenerateTheSameClip) {
    const std::string sharded = "test-org/tiny-sharded";
    const auto folder = dir_ / "served" / sharded;
    fs::create_directories(folder);
    for (const char* f : {"config.json", "generation_config.json"})
        fs::copy_file(served_ / f, folder / f);
    const auto shards = test::writeShardedCopy((served_ / "model.safetensors").string(), folder, 2);

    const auto r = HubDownloader(settings_).pull(RepoRef::parse(sharded));
    EXPECT_FALSE(fs::exists(fs::path(r.folder) / "model.safetensors"));
    for (const auto& f : {std::string("model.safetensors.index.json"), shards[0], shards[1]}) {
        EXPECT_TRUE(fs::is_symlink(fs::path(r.folder) / f)) << f;
        EXPECT_EQ(fileBytes(fs::path(r.folder) / f), fileBytes(folder / f)) << f;
    }
    EXPECT_EQ(HubDownloader(settings_).cachedFolder(RepoRef::parse(sharded)), r.folder);
    auto offline = settings_;
    offline.offline = true;
    const int gets = cdnGets();
    EXPECT_EQ(HubDownloader(offline).pull(RepoRef::parse(sharded)).folder, r.folder);
    EXPECT_EQ(HubDownloader(settings_).pull(RepoRef::parse(sharded)).downloadedBytes, 0u);
    EXPECT_EQ(cdnGets(), gets) << "a second pull fetched a shard again";

    Recipe recipe;
    recipe.promptIds = {5, 9, 1};
    recipe.steps = 10;
    recipe.seed = 3;
    const auto a = MusicEngine::load(r.folder)->generate(recipe);
    const auto single = HubDownloader(settings_).pull(RepoRef::parse(kRepo));
    const auto b = MusicEngine::load(single.folder)->generate(recipe);
    EXPECT_EQ(a.audio.samples, b.audio.samples);
    EXPECT_GT(a.frames, 0);

    // A lost shard: the snapshot is incomplete, and an offline pull names the shard.
    fs::remove(fs::path(r.folder) / shards[1]);
    EXPECT_EQ(HubDownloader(settings_).cachedFolder(RepoRef::parse(sharded)), "");
    try {
        HubDownloader(offline).pull(RepoRef::parse(sharded));
        FAIL() << "an offline pull of an incomplete sharded snapshot succeeded";
    } catch (const HubError& e) {
        EXPECT_NE(std::string(e.what()).find(shards[1]), std::string::npos) << e.what();
    }
    // Online, only the lost shard's link is made again (its blob is still there).
    const auto again = HubDownloader(settings_).pull(RepoRef::parse(sharded));
    EXPECT_EQ(again.downloadedBytes, 0u);
    EXPECT_TRUE(fs::is_regular_file(fs::path(again.folder) / shards[1]));
}

TEST(ModelCatalogue, BareIdsOfMediumAndLargeMeanTheirSafetensorsRevision) {
    EXPECT_EQ(RepoRef::parse("facebook/musicgen-medium").revision, "refs/pr/10");
    EXPECT_EQ(RepoRef::parse("facebook/musicgen-large").revision, "refs/pr/18");
    EXPECT_EQ(RepoRef::parse("facebook/musicgen-large@main").revision, "main");
    EXPECT_EQ(RepoRef::parse("facebook/musicgen-small").revision, "main");
    EXPECT_EQ(RepoRef::parse("someone/musicgen-large").revision, "main");
    EXPECT_EQ(RepoRef::parse("facebook/musicgen-large").toString(),
              "facebook/musicgen-large@refs/pr/18");
}
