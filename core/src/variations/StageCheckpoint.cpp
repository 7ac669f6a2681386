#include "variations/StageCheckpoint.h"

#include "models/AtomicFile.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace moodsteer::variations {

double stageLearningRate(double peak, int step, int total) {
    if (step < 100) return peak * (step + 1) / 100.0;
    const double p = std::min(1.0, double(step - 100) / std::max(1, total - 100));
    return peak * (0.1 + 0.45 * (1 + std::cos(M_PI * p)));
}

namespace {

// The module's tensors go into the archive by position ("p0", "p1", ..., "b0", ...), not by
// their dotted names: an archive is a TorchScript module whose attribute names must be
// identifiers, and a submodule called "in" (the diffusion U-Net's first convolution) made the
// archive unreadable ("expected ident but found 'in'"). named_parameters() and
// named_buffers() walk the module in registration order, the same in the run that saves and
// the one that resumes.
void loadTensors(torch::serialize::InputArchive& in, const std::filesystem::path& file,
                 const torch::OrderedDict<std::string, torch::Tensor>& tensors,
                 const char* prefix) {
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < tensors.size(); ++i) {
        const auto& [name, target] = tensors[i].pair();
        torch::Tensor t;
        if (!in.try_read(prefix + std::to_string(i), t))
            throw std::runtime_error(file.string() + ": the checkpoint has no tensor for '" + name +
                                     "' (was it written by another model size?)");
        if (t.sizes() != target.sizes())
            throw std::runtime_error(file.string() + ": tensor '" + name + "' has shape " +
                                     c10::str(t.sizes()) + " in the checkpoint, the model needs " +
                                     c10::str(target.sizes()));
        target.copy_(t);
    }
    torch::Tensor extra;
    if (in.try_read(prefix + std::to_string(tensors.size()), extra))
        throw std::runtime_error(
            file.string() + ": the checkpoint holds more tensors than the model (another model "
                            "size?)");
}

} // namespace

StageState loadStageState(const std::filesystem::path& file, torch::nn::Module& module,
                          torch::optim::Optimizer& optimizer) {
    if (!std::filesystem::exists(file)) return {};
    torch::serialize::InputArchive in;
    in.load_from(file.string());
    loadTensors(in, file, module.named_parameters(), "p");
    loadTensors(in, file, module.named_buffers(), "b");
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
        int i = 0;
        for (const auto& p : module.named_parameters())
            a.write("p" + std::to_string(i++), p.value());
        i = 0;
        for (const auto& b : module.named_buffers())
            a.write("b" + std::to_string(i++), b.value(), /*is_buffer=*/true);
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
