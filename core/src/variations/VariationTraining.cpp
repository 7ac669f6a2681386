#include "core/variations/VariationTraining.h"

#include "engine/ComputeThreads.h"
#include "variations/StageTrainers.h"
#include "variations/VariationModel.h"

#include <filesystem>
#include <stdexcept>

namespace moodsteer {

void runVariationTraining(const VariationTrainOptions& o,
                          const std::function<void(const VariationTrainProgress&)>& onProgress,
                          const std::atomic<bool>* cancel) {
    namespace fs = std::filesystem;
    if (o.outDir.empty()) throw std::runtime_error("train-variations needs an output folder");
    if (o.stage != "vae" && o.stage != "diffusion" && o.stage != "both")
        throw std::runtime_error("stage must be vae, diffusion or both, not '" + o.stage + "'");
    if (o.stage != "diffusion" && !fs::is_regular_file(fs::path(o.corpusDir) / "labels.csv"))
        throw std::runtime_error("corpus '" + o.corpusDir + "' has no labels.csv");
    if (!o.heldOutDir.empty() && !fs::is_regular_file(fs::path(o.heldOutDir) / "labels.csv"))
        throw std::runtime_error("held-out corpus '" + o.heldOutDir + "' has no labels.csv");
    if (o.segmentFrames < 16 || o.segmentFrames % 8 != 0)
        throw std::runtime_error("segment frames must be a multiple of 8 (at least 16)");
    setComputeThreads(o.threads);
    if (o.stage != "diffusion") {
        variations::trainVaeStage(o, onProgress, cancel);
        if (cancel && cancel->load()) return;
        if (!o.heldOutDir.empty()) {
            if (onProgress) {
                VariationTrainProgress p;
                p.stage = "vae";
                p.message = "measuring the VAE on the held-out corpus";
                onProgress(p);
            }
            const auto f = measureVae(o.outDir, o.heldOutDir);
            auto model = variations::VariationModel::load(o.outDir, false);
            model.training["vae_heldout"] = {{"corpus", o.heldOutDir},
                                             {"segments", f.segments},
                                             {"stream_accuracy", f.streamAccuracy},
                                             {"token_accuracy", f.tokenAccuracy},
                                             {"subspaces", f.subspaces},
                                             {"active_units", f.activeUnits},
                                             {"units_per_subspace", f.unitsPerSubspace}};
            model.save(o.outDir);
        }
    }
    if (o.stage != "vae") {
        if (o.corpusDir.empty() || !fs::is_regular_file(fs::path(o.corpusDir) / "labels.csv"))
            throw std::runtime_error("corpus '" + o.corpusDir + "' has no labels.csv");
        variations::trainDiffusionStage(o, onProgress, cancel);
    }
}

} // namespace moodsteer
