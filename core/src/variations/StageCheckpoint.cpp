#include "variations/StageCheckpoint.h"

#include "models/AtomicFile.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>

namespace moodsteer::variations {

double stageLearningRate(double peak, int step, int total) {
    if (step < 100) return peak * (step + 1) / 100.0;
    const double p = std::min(1.0, double(step - 100) / std::max(1, total - 100));
    return peak * (0.1 + 0.45 * (1 + std::cos(M_PI * p)));
}

StageState loadStageState(const std::filesystem::path& file, torch::nn::Module& module,
                          torch::optim::Optimizer& optimizer) {
    if (!std::filesystem::exists(file)) return {};
    torch::serialize::InputArchive in;
    in.load_from(file.string());
    module.load(in);
    torch::serialize::InputArchive opt;
    in.read("optimizer", opt);
    optimizer.load(opt);
    torch::Tensor s, secs;
    in.read("step", s);
    in.read("seconds", secs);
    return {s.item<int>(), secs.item<double>()};
}

void saveStageState(const std::filesystem::path& file, const torch::nn::Module& module,
                    torch::optim::Optimizer& optimizer, int step, double seconds) {
    models::writeFileAtomically(file.string(), [&](const std::string& tmp) {
        torch::serialize::OutputArchive a;
        module.save(a);
        torch::serialize::OutputArchive opt;
        optimizer.save(opt);
        a.write("optimizer", opt);
        a.write("step", torch::tensor(step));
        a.write("seconds", torch::tensor(seconds, torch::kDouble));
        a.save_to(tmp);
    });
}

std::string stageLog(const std::filesystem::path& file, int upToStep, const std::string& header) {
    std::string text = header;
    std::ifstream in(file);
    std::string line;
    if (upToStep <= 0 || !in || !std::getline(in, line)) return text;
    while (std::getline(in, line)) {
        const int logged = std::atoi(line.c_str());
        if (logged >= 1 && logged <= upToStep) text += line + "\n";
    }
    return text;
}

} // namespace moodsteer::variations
