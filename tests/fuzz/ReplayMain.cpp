// Replays fuzz inputs through the fuzz targets in the normal (gcc) test build: every seed in
// tests/fuzz/corpus/<target>/ and every finding kept in tests/fuzz/crashes/<target>/ must run
// through its target without a crash, an abort or an unexpected exception type (each target
// defines what it accepts). Usage: fuzz_replay TARGET DIR... (all targets: fuzz_replay all).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#define MOODSTEER_FUZZ_TARGETS(X)                                                                  \
    X(safetensors)                                                                                 \
    X(recipe)                                                                                      \
    X(csv) X(audio) X(steering_vector) X(model_config) X(hub_response) X(safetensors_index) X(midi)

#ifdef MOODSTEER_REPLAY_SPM
#undef MOODSTEER_FUZZ_TARGETS
#define MOODSTEER_FUZZ_TARGETS(X) X(spm_model)
#endif

#define DECLARE(name) extern "C" int fuzz_##name(const std::uint8_t* data, std::size_t size);
MOODSTEER_FUZZ_TARGETS(DECLARE)
#undef DECLARE

namespace fs = std::filesystem;
using Target = int (*)(const std::uint8_t*, std::size_t);

int main(int argc, char** argv) {
    const std::map<std::string, Target> targets = {
#define ENTRY(name) {#name, &fuzz_##name},
        MOODSTEER_FUZZ_TARGETS(ENTRY)
#undef ENTRY
    };
    if (argc < 3 || !targets.count(argv[1])) {
        std::fprintf(stderr, "usage: %s TARGET DIR...; targets:", argv[0]);
        for (const auto& [name, fn] : targets)
            std::fprintf(stderr, " %s", name.c_str());
        std::fprintf(stderr, "\n");
        return 2;
    }
    const Target target = targets.at(argv[1]);
    std::size_t inputs = 0;
    for (int a = 2; a < argc; ++a) {
        if (!fs::is_directory(argv[a])) continue; // crashes/<target>/ exists only after a finding
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(argv[a]))
            if (e.is_regular_file()) files.push_back(e.path());
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            std::ifstream in(f, std::ios::binary);
            const std::string bytes{std::istreambuf_iterator<char>(in), {}};
            std::printf("%s %s (%zu bytes)\n", argv[1], f.filename().c_str(), bytes.size());
            std::fflush(stdout); // the last line names the input if the target crashes
            target(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
            ++inputs;
        }
    }
    if (inputs == 0) {
        std::fprintf(stderr, "no inputs found for %s\n", argv[1]);
        return 1;
    }
    std::printf("%zu inputs replayed through %s: no crash\n", inputs, argv[1]);
    return 0;
}
