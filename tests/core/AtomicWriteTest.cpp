// The one atomic-write helper (core/io/AtomicWrite.h over models/AtomicFile.h): a transaction of
// several files is all-or-nothing and never harms the user's previous files, temporary names
// are ours and unique, stale temporaries of dead processes are swept, concurrent writers of
// the same targets never mix their files, and a full disk gives an error naming the path.
#include "core/io/AtomicWrite.h"

#include "TestPaths.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sched.h>
#include <sstream>
#include <string>
#include <sys/mount.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace moodsteer;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void put(const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
}

/// Names in `dir` (files and folders), sorted.
std::vector<std::string> names(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
        out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

/// A pid that no process has (a child that has exited and been reaped).
pid_t deadPid() {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    ::waitpid(pid, nullptr, 0);
    return pid;
}

} // namespace

// The first case: the sidecar cannot be written (a folder of that name), and the
// rollback used to delete the user's previous keep.wav.
TEST(AtomicWrite, FailedCommitKeepsThePreviousFiles) {
    const auto dir = test::scratchDir("atomic-keep");
    put(dir / "keep.wav", "old audio");
    fs::create_directory(dir / "keep.recipe.json");
    WriteTransaction t;
    t.stageText((dir / "keep.wav").string(), "new audio");
    t.stageText((dir / "keep.recipe.json").string(), "new recipe");
    EXPECT_THROW(t.commit(), std::runtime_error);
    EXPECT_EQ("old audio", slurp(dir / "keep.wav"));
    EXPECT_TRUE(fs::is_directory(dir / "keep.recipe.json"));
    EXPECT_EQ((std::vector<std::string>{"keep.recipe.json", "keep.wav"}), names(dir));
}

TEST(AtomicWrite, FailedStagingRenamesNothing) {
    const auto dir = test::scratchDir("atomic-stage");
    put(dir / "a.txt", "old a");
    put(dir / "b.txt", "old b");
    {
        WriteTransaction t;
        t.stageText((dir / "a.txt").string(), "new a");
        EXPECT_THROW(t.stage((dir / "b.txt").string(),
                             [](const std::string&) { throw std::runtime_error("disk full"); }),
                     std::runtime_error);
    } // destroyed uncommitted: its temporaries go
    EXPECT_EQ("old a", slurp(dir / "a.txt"));
    EXPECT_EQ("old b", slurp(dir / "b.txt"));
    EXPECT_EQ((std::vector<std::string>{"a.txt", "b.txt"}), names(dir));
}

TEST(AtomicWrite, CommitReplacesAllAndLeavesNoTemporaries) {
    const auto dir = test::scratchDir("atomic-commit");
    put(dir / "a.txt", "old a");
    WriteTransaction t;
    t.stageText((dir / "a.txt").string(), "new a");
    t.stageText((dir / "b.txt").string(), "new b");
    EXPECT_FALSE(fs::exists(dir / "b.txt")) << "nothing is visible before commit";
    t.commit();
    EXPECT_EQ("new a", slurp(dir / "a.txt"));
    EXPECT_EQ("new b", slurp(dir / "b.txt"));
    EXPECT_EQ((std::vector<std::string>{"a.txt", "b.txt"}), names(dir));
}

TEST(AtomicWrite, RefusesToOverwriteWhenAskedAndKeepsTheOther) {
    const auto dir = test::scratchDir("atomic-noclobber");
    WriteTransaction t;
    t.stageText((dir / "a.txt").string(), "mine", /*overwrite=*/false);
    t.stageText((dir / "b.txt").string(), "mine", /*overwrite=*/false);
    put(dir / "b.txt", "someone else's"); // appears while we work
    EXPECT_THROW(t.commit(), std::runtime_error);
    EXPECT_FALSE(fs::exists(dir / "a.txt"));
    EXPECT_EQ("someone else's", slurp(dir / "b.txt"));
    EXPECT_EQ((std::vector<std::string>{"b.txt"}), names(dir));
}

// Temporary names never collide with the user's files and are recognisably ours.
TEST(AtomicWrite, TemporaryNamesAreUniqueAndOurs) {
    const auto dir = test::scratchDir("atomic-names");
    const std::string target = (dir / "OUT.activations.safetensors").string();
    put(target, "the user's file");
    const std::string a = makeTemporaryPath(target);
    const std::string b = makeTemporaryPath(target);
    const std::string c = makeTemporaryPath(target, /*folder=*/true);
    EXPECT_NE(a, b);
    EXPECT_NE(a, target);
    EXPECT_TRUE(fs::is_directory(c));
    for (const auto& p : {a, b, c}) {
        EXPECT_NE(std::string::npos, p.find(".moodsteer-tmp-" + std::to_string(::getpid()) + "-"))
            << p;
        fs::remove_all(p);
    }
    EXPECT_EQ("the user's file", slurp(target));
}

// SIGKILL leaves temporaries; the next run sweeps those of dead processes only, restores a
// backup whose target is missing, and never touches anything else.
TEST(AtomicWrite, StaleTemporariesOfDeadProcessesAreSwept) {
    const auto dir = test::scratchDir("atomic-stale");
    const std::string dead = std::to_string(deadPid());
    const std::string live = std::to_string(::getpid());
    put(dir / (".x.wav.moodsteer-tmp-" + dead + "-a1b2c3"), "half a file");
    fs::create_directory(dir / (".acts.spool.moodsteer-tmp-" + dead + "-d4e5f6"));
    put(dir / (".acts.spool.moodsteer-tmp-" + dead + "-d4e5f6") / "layer.0.f32", "spool");
    put(dir / (".y.wav.moodsteer-old-" + dead + "-g7h8i9"), "the previous y.wav");
    put(dir / (".x.wav.moodsteer-tmp-" + live + "-j0k1l2"), "a live writer's file");
    put(dir / ".x.wav.tmp-abcdef", "a user's file that only looks temporary");
    put(dir / "x.wav", "the user's audio");
    EXPECT_EQ(3, removeStaleTemporaries(dir.string()));
    EXPECT_EQ((std::vector<std::string>{".x.wav.moodsteer-tmp-" + live + "-j0k1l2",
                                        ".x.wav.tmp-abcdef", "x.wav", "y.wav"}),
              names(dir));
    EXPECT_EQ("the previous y.wav", slurp(dir / "y.wav"));
}

// Four writers commit the same pair of targets over and over: every time, both files come
// from the same writer (the folder lock serialises the renames).
TEST(AtomicWrite, ConcurrentWritersNeverMixAPair) {
    const auto dir = test::scratchDir("atomic-concurrent");
    const std::string a = (dir / "clip.wav").string(), b = (dir / "clip.recipe.json").string();
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w)
        writers.emplace_back([&, w] {
            for (int round = 0; round < 40; ++round) {
                const std::string tag = "writer " + std::to_string(w) + " round " +
                                        std::to_string(round) + std::string(2000, 'x');
                WriteTransaction t;
                t.stageText(a, tag);
                t.stageText(b, tag);
                t.commit();
            }
        });
    for (auto& t : writers)
        t.join();
    EXPECT_EQ(slurp(a), slurp(b));
    EXPECT_EQ((std::vector<std::string>{"clip.recipe.json", "clip.wav"}), names(dir));
}

// A full disk (a 64 KiB tmpfs in a private mount namespace, when the machine allows it):
// the error names the target, nothing partial is left and the previous file is kept.
TEST(AtomicWrite, DiskFullNamesThePathAndKeepsThePreviousFile) {
    const auto dir = test::scratchDir("atomic-full");
    const pid_t pid = ::fork();
    if (pid == 0) {
        // A private mount namespace (root, else a user namespace) so the tmpfs is ours alone.
        if (::unshare(CLONE_NEWNS) != 0 && ::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) ::_exit(77);
        if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(77);
        if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=64k") != 0) ::_exit(77);
        put(dir / "keep.wav", "old audio");
        int rc = 0;
        try {
            WriteTransaction t;
            t.stageText((dir / "keep.wav").string(), std::string(1 << 20, 'x'));
            t.commit();
            rc = 1;
        } catch (const std::exception& e) {
            const std::string what = e.what();
            if (what.find((dir / "keep.wav").string()) == std::string::npos) rc = 2;
            if (what.find("space") == std::string::npos) rc = 3;
        }
        if (slurp(dir / "keep.wav") != "old audio") rc = 4;
        if (names(dir) != std::vector<std::string>{"keep.wav"}) rc = 5;
        ::_exit(rc);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "cannot mount a tmpfs here";
    EXPECT_EQ(0, WEXITSTATUS(status)) << "1: accepted, 2: path not named, 3: not 'no space', "
                                         "4: previous file harmed, 5: debris left";
}
