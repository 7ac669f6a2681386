// What both training stages of the variation generator share: the learning-rate schedule,
// the resumable checkpoint (module + optimizer + step + seconds trained) and the log kept in
// step with it.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <string>

namespace moodsteer::variations {

/// Linear warm-up over 100 steps, then cosine decay to a tenth.
double stageLearningRate(double peak, int step, int total);

struct StageState {
    int step = 0;
    double seconds = 0; ///< training time before this run
};

/// Loads `file` into `module` and `optimizer` when it exists; {0, 0} otherwise.
StageState loadStageState(const std::filesystem::path& file, torch::nn::Module& module,
                          torch::optim::Optimizer& optimizer);
/// Writes the checkpoint atomically.
void saveStageState(const std::filesystem::path& file, const torch::nn::Module& module,
                    torch::optim::Optimizer& optimizer, int step, double seconds);
/// `header` plus the lines of the log at `file` for steps 1..upToStep (a resumed run drops
/// the lines written after its checkpoint).
std::string stageLog(const std::filesystem::path& file, int upToStep, const std::string& header);

} // namespace moodsteer::variations
