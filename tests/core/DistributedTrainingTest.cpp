// Data-parallel training end to end on loopback: real `moodsteer-cli train` processes (one per
// rank) rendezvous through c10d's TCPStore and all-reduce over Gloo. Two ranks x batch 6 end
// at the weights of one process x batch 12; a killed rank stops the other within seconds with
// a clear line and a restart resumes from the checkpoint; a wrong world size and an
// unreachable master fail with one clear line. A tiny model: seconds per run.
#include "TestPaths.h"
#include "TinyCorpus.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

using namespace moodsteer;
using moodsteer::test::tinyCorpus;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string cli() {
    return test::binaryDir() + "/app/moodsteer-cli";
}

/// A port nothing listens on right now (the kernel's pick for port 0).
int freePort() {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t n = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
    ::close(s);
    return ntohs(a.sin_port);
}

std::vector<std::string> trainArgs(const fs::path& out, int batch, int steps) {
    return {"train",
            "--corpus",
            tinyCorpus(),
            "--out",
            out.string(),
            "--batch",
            std::to_string(batch),
            "--steps",
            std::to_string(steps),
            "--crop",
            "50",
            "--lr",
            "3e-3",
            "--warmup",
            "2",
            "--threads",
            "1",
            "--checkpoint-every",
            "5",
            "--lm-width",
            "48",
            "--lm-layers",
            "2",
            "--lm-heads",
            "2",
            "--lm-ffn",
            "96",
            "--text-width",
            "32",
            "--text-layers",
            "1",
            "--lara-alpha",
            "1",
            "--av-dropout",
            "0.3",
            "--text-dropout",
            "0.5",
            "--rr-lambda",
            "3"};
}

struct Process {
    pid_t pid = -1;
    fs::path log;
};

Process start(std::vector<std::string> args, const fs::path& log) {
    args.insert(args.begin(), cli());
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    Process p;
    p.log = log;
    EXPECT_EQ(posix_spawn(&p.pid, argv[0], &fa, nullptr, argv.data(), environ), 0) << argv[0];
    posix_spawn_file_actions_destroy(&fa);
    return p;
}

/// The exit code, or -1 (and the process killed) after `seconds`.
int finish(Process& p, double seconds) {
    const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
    for (;;) {
        int status = 0;
        if (::waitpid(p.pid, &status, WNOHANG) == p.pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (Clock::now() > deadline) {
            ::kill(p.pid, SIGKILL);
            ::waitpid(p.pid, &status, 0);
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::string read(const fs::path& f) {
    std::ifstream in(f);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> distributed(std::vector<std::string> args, int world, int rank, int port,
                                     double timeout) {
    const std::vector<std::string> more = {"--world-size",   std::to_string(world),
                                           "--rank",         std::to_string(rank),
                                           "--master-addr",  "127.0.0.1",
                                           "--master-port",  std::to_string(port),
                                           "--dist-timeout", std::to_string(timeout)};
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

/// The tensors of an archive and its sub-archives, by dotted name.
void collect(torch::serialize::InputArchive& in, const std::string& prefix,
             std::map<std::string, torch::Tensor>& out) {
    for (const auto& k : in.keys()) {
        torch::Tensor t;
        torch::serialize::InputArchive sub;
        if (in.try_read(k, t))
            out[prefix + k] = t;
        else if (in.try_read(k, sub))
            collect(sub, prefix + k + ".", out);
    }
}

/// The model and LARA proxy weights of a checkpoint (state.pt), by name; the optimiser's
/// state and the step are left out.
std::map<std::string, torch::Tensor> weights(const fs::path& stateFile) {
    torch::serialize::InputArchive in;
    in.load_from(stateFile.string());
    std::map<std::string, torch::Tensor> all, out;
    collect(in, "", all);
    for (auto& [k, t] : all)
        if (k != "step" && k.rfind("optimizer.", 0) != 0 && t.is_floating_point()) out[k] = t;
    return out;
}

int loggedSteps(const fs::path& model) {
    std::ifstream in(model / "training_log.csv");
    std::string line;
    int n = -1;
    while (std::getline(in, line))
        ++n;
    return n;
}

} // namespace

TEST(DistributedTraining, TwoRanksOfSixEqualOneProcessOfTwelve) {
    ASSERT_TRUE(fs::exists(cli())) << cli() << " is not built";
    const auto dir = test::scratchDir("dp-equal");
    const auto one = dir / "one", two = dir / "two";
    auto single = start(trainArgs(one, 12, 20), dir / "one.log");
    ASSERT_EQ(finish(single, 300), 0) << read(dir / "one.log");
    const int port = freePort();
    auto r0 = start(distributed(trainArgs(two, 6, 20), 2, 0, port, 60), dir / "r0.log");
    auto r1 = start(distributed(trainArgs(two, 6, 20), 2, 1, port, 60), dir / "r1.log");
    ASSERT_EQ(finish(r0, 300), 0) << read(dir / "r0.log");
    ASSERT_EQ(finish(r1, 300), 0) << read(dir / "r1.log");
    // Logs come from rank 0 only.
    EXPECT_NE(read(dir / "r0.log").find("step 20/20"), std::string::npos) << read(dir / "r0.log");
    EXPECT_EQ(read(dir / "r1.log").find("step 20/20"), std::string::npos) << read(dir / "r1.log");
    EXPECT_EQ(loggedSteps(two), 20);

    const auto a = weights(one / "checkpoint" / "state.pt");
    const auto b = weights(two / "checkpoint" / "state.pt");
    ASSERT_GT(a.size(), 10u);
    ASSERT_EQ(a.size(), b.size());
    double maxDiff = 0, maxWeight = 0;
    for (const auto& [name, t] : a) {
        ASSERT_TRUE(b.count(name)) << name;
        maxDiff = std::max(maxDiff, (t - b.at(name)).abs().max().item<double>());
        maxWeight = std::max(maxWeight, t.abs().max().item<double>());
    }
    std::printf("2 ranks x batch 6 vs 1 process x batch 12, 20 steps: max |weight difference| "
                "%.3g over %zu tensors\n",
                maxDiff, a.size());
    EXPECT_LT(maxDiff, 2e-4); // float rounding through 20 AdamW steps of lr <= 3e-3
    EXPECT_GT(maxWeight, 0.0);

    // The checkpoint holds no world size: the two-rank run resumes as one process, and stays
    // with the single-process run resumed the same way.
    for (const auto& [model, log] : {std::pair{one, "one-resumed.log"}, {two, "two-resumed.log"}}) {
        auto p = start(trainArgs(model, 12, 22), dir / log);
        ASSERT_EQ(finish(p, 300), 0) << read(dir / log);
        EXPECT_NE(read(dir / log).find("resuming from step 20"), std::string::npos)
            << read(dir / log);
        EXPECT_EQ(loggedSteps(model), 22);
    }
    const auto a22 = weights(one / "checkpoint" / "state.pt");
    const auto b22 = weights(two / "checkpoint" / "state.pt");
    double maxDiff22 = 0;
    for (const auto& [name, t] : a22)
        maxDiff22 = std::max(maxDiff22, (t - b22.at(name)).abs().max().item<double>());
    std::printf("both resumed as 1 process to step 22: max |weight difference| %.3g\n", maxDiff22);
    EXPECT_LT(maxDiff22, 2e-4);
}

TEST(DistributedTraining, AKilledRankStopsTheOtherAndARestartResumes) {
    ASSERT_TRUE(fs::exists(cli())) << cli() << " is not built";
    const auto dir = test::scratchDir("dp-kill");
    const auto out = dir / "model";
    int port = freePort();
    auto r0 = start(distributed(trainArgs(out, 6, 100000), 2, 0, port, 20), dir / "r0.log");
    auto r1 = start(distributed(trainArgs(out, 6, 100000), 2, 1, port, 20), dir / "r1.log");
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    while (loggedSteps(out) < 5 && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_GE(loggedSteps(out), 5) << read(dir / "r0.log");
    ::kill(r1.pid, SIGKILL);
    const auto killed = Clock::now();
    finish(r1, 10);
    const int rc = finish(r0, 30);
    const double seconds = std::chrono::duration<double>(Clock::now() - killed).count();
    std::printf("rank 0 stopped %.2f s after rank 1 was killed\n", seconds);
    EXPECT_EQ(rc, 1) << read(dir / "r0.log");
    EXPECT_LT(seconds, 15.0);
    const auto err = read(dir / "r0.log");
    EXPECT_NE(err.find("data-parallel training"), std::string::npos) << err;
    EXPECT_EQ(err.find("terminate called"), std::string::npos) << err;

    // Restarted, both ranks resume from the last checkpoint and finish a few steps later.
    const int saved = loggedSteps(out);
    ASSERT_GE(saved, 5);
    const int steps = saved + 3;
    port = freePort();
    r0 = start(distributed(trainArgs(out, 6, steps), 2, 0, port, 20), dir / "r0b.log");
    r1 = start(distributed(trainArgs(out, 6, steps), 2, 1, port, 20), dir / "r1b.log");
    ASSERT_EQ(finish(r0, 120), 0) << read(dir / "r0b.log");
    ASSERT_EQ(finish(r1, 120), 0) << read(dir / "r1b.log");
    EXPECT_NE(read(dir / "r0b.log").find("resuming from step " + std::to_string(saved)),
              std::string::npos)
        << read(dir / "r0b.log");
    EXPECT_EQ(loggedSteps(out), steps);
}

TEST(DistributedTraining, WrongWorldSizeAndUnreachableMasterGiveOneClearLine) {
    ASSERT_TRUE(fs::exists(cli())) << cli() << " is not built";
    const auto dir = test::scratchDir("dp-bad");
    const auto out = dir / "model";
    const int port = freePort();
    auto r0 = start(distributed(trainArgs(out, 6, 20), 2, 0, port, 10), dir / "r0.log");
    auto r1 = start(distributed(trainArgs(out, 6, 20), 3, 1, port, 10), dir / "r1.log");
    EXPECT_EQ(finish(r1, 30), 1);
    EXPECT_EQ(finish(r0, 30), 1);
    for (const char* log : {"r0.log", "r1.log"}) {
        const auto err = read(dir / log);
        EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
        EXPECT_NE(err.find("rank 1 was started with world size 3 but rank 0 with 2"),
                  std::string::npos)
            << err;
    }
    EXPECT_FALSE(fs::exists(out / "model.safetensors"));

    // Nobody listens on this port: the lone rank 1 gives up after the 2 s timeout.
    const auto t0 = Clock::now();
    auto lone = start(distributed(trainArgs(out, 6, 20), 2, 1, freePort(), 2), dir / "lone.log");
    EXPECT_EQ(finish(lone, 30), 1);
    EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 20.0);
    const auto err = read(dir / "lone.log");
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_NE(err.find("cannot reach the master at 127.0.0.1:"), std::string::npos) << err;
}
