// Starts tests/hub/hub_server.py (a tiny Hugging Face hub on 127.0.0.1) for one test and stops
// it again. Faults are set by writing its control file; its request log is a file too.
#pragma once

#include "TestPaths.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace moodsteer::test {

class HubTestServer {
  public:
    /// Serves every folder root/org/name as the repo org/name.
    explicit HubTestServer(const std::filesystem::path& root)
        : control_(root.parent_path() / "hub-control.json"),
          log_(root.parent_path() / "hub-requests.log") {
        std::filesystem::remove(control_);
        std::filesystem::remove(log_);
        const std::string script =
            (std::filesystem::path(moodsteer::test::resourceDir()).parent_path() /
             "tests/hub/hub_server.py")
                .string();
        int out[2];
        if (pipe(out) != 0) throw std::runtime_error("pipe failed");
        pid_ = fork();
        if (pid_ == 0) {
            dup2(out[1], 1);
            close(out[0]);
            execlp("python3", "python3", script.c_str(), root.c_str(), control_.c_str(),
                   log_.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        close(out[1]);
        std::FILE* f = fdopen(out[0], "r");
        int port = 0;
        if (!f || std::fscanf(f, "PORT %d", &port) != 1) {
            stop();
            throw std::runtime_error("the test hub (python3 " + script + ") did not start");
        }
        std::fclose(f);
        endpoint_ = "http://127.0.0.1:" + std::to_string(port);
    }
    ~HubTestServer() { stop(); }

    const std::string& endpoint() const { return endpoint_; }
    /// Replaces the fault settings (a JSON object, "{}" for none).
    void control(const std::string& json) {
        std::ofstream(control_.string() + ".tmp") << json;
        std::filesystem::rename(control_.string() + ".tmp", control_);
        // The server reloads on a changed mtime; make sure the next one differs.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    /// "METHOD PATH RANGE" per request so far.
    std::vector<std::string> requests() const {
        std::vector<std::string> lines;
        std::ifstream in(log_);
        for (std::string l; std::getline(in, l);)
            lines.push_back(l);
        return lines;
    }

  private:
    void stop() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
    }
    std::filesystem::path control_, log_;
    std::string endpoint_;
    pid_t pid_ = -1;
};

} // namespace moodsteer::test
