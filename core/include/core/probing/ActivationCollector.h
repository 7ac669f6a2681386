// Collects per-layer activations of a loaded model for probing (ActivationSet.h's file
// format, streamed to disk with ActivationSetWriter so memory stays bounded):
//  - from a labelled folder (DIR/labels.csv: file,label[,valence,arousal][,prompt][,prompt_ids]
//    with prompt_ids = space-separated token ids for models without a tokenizer): each clip
//    is encoded by the model's codec (EnCodec) or read as a token file (`<stem>.safetensors`,
//    tensor "codes" [K, frames], see CodesFile.h; the only way in for codecs that cannot
//    encode recordings, such as the embedded SynthCodec), then teacher-forced through the LM
//    in one pass with the conditioning of the row's prompt (unconditional without a prompt
//    column);
//  - from clips the model generates for every label (prompt template per label), recording
//    while generating (one decode step at a time).
// Recorded: the residual stream after every decoder layer (or the self-attention outputs),
// conditional branch, pooled over the delayed positions by ActivationPooler (mean or last).
// Torch-free; errors are std::runtime_error subclasses naming the file or setting.
#pragma once

#include "core/engine/MusicEngine.h"
#include "core/probing/ActivationSet.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace moodsteer {

struct CollectionOptions {
    std::string pooling = "mean";  ///< "mean" | "last"
    std::string site = "residual"; ///< "residual" (after each layer) | "attention"
    /// Clips longer than this are cropped (seconds; 0 = as long as the model's positions allow).
    double maxSeconds = 0;
    std::string labelColumn; ///< labels.csv column of the labels; "": `label`, else `genre`
};

/// `--generate` mode: `perLabel` clips for every label, prompt = promptTemplate with "{label}"
/// replaced (prompt ids are not supported: the model needs a tokenizer), seeds seed, seed+1, ...
struct GenerationSpec {
    std::vector<std::string> labels; ///< empty: the model's genres (ModelInfo::genres)
    int perLabel = 8;
    std::string promptTemplate = "{label} music";
    /// Per-label prompt token ids instead of the template (models without a tokenizer);
    /// empty, or one entry per label in `labels` order.
    std::vector<std::vector<std::int64_t>> promptIds;
    double seconds = 5.0;
    int steps = 0; ///< decode frames; > 0 overrides seconds
    std::uint64_t seed = 1;
    double guidance = 3.0;
    int topK = 250;
    double temperature = 1.0;
};

struct CollectionProgress {
    int done = 0;
    int total = 0;
    double elapsedSeconds = 0;
    double etaSeconds = 0;
    std::string clip; ///< the clip just finished
};

struct CollectionSummary {
    std::int64_t numClips = 0;
    ActivationSettings settings;
    double seconds = 0;      ///< wall time
    std::string labelColumn; ///< the labels.csv column used (collectFolder)
};

class ActivationCollector {
  public:
    using Progress = std::function<void(const CollectionProgress&)>;

    explicit ActivationCollector(MusicEngine& engine);

    /// Teacher-forces every clip of FOLDER/labels.csv and writes the set to `outPath`.
    /// Throws for a bad folder (naming the file and row), a codec that cannot encode audio
    /// when no token file exists (the codec's own message), or a clip shorter than the pooling
    /// window. A cancelled run writes nothing and throws EngineError("cancelled").
    CollectionSummary collectFolder(const std::string& folder, const std::string& outPath,
                                    const CollectionOptions& options, const Progress& progress = {},
                                    const std::atomic<bool>* cancel = nullptr);

    /// Generates spec.perLabel clips per label, recording while generating.
    CollectionSummary collectGenerated(const GenerationSpec& spec, const std::string& outPath,
                                       const CollectionOptions& options,
                                       const Progress& progress = {},
                                       const std::atomic<bool>* cancel = nullptr);

  private:
    MusicEngine& engine_;
};

} // namespace moodsteer
