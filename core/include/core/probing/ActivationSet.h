// Pooled activations of a labelled set of clips: one N x D matrix per layer (the residual
// stream after each decoder layer, conditional branch, pooled over positions), the clips'
// class labels (and valence/arousal when known), and the settings that made them.
//
// File format (safetensors): tensors "layer.{i}" F32 [N, D] for every layer i, "labels" I64
// [N], optional "valence" / "arousal" F32 [N]; __metadata__ holds format
// ("moodsteer.activations"), version, model_id, pooling, site, branch, source, num_layers,
// hidden_size, num_clips, label_names (JSON array) and clip_ids (JSON array, optional).
// ActivationSetWriter (ActivationSetWriter.h) writes the same format with bounded memory.
#pragma once

#include "core/probing/FeatureMatrix.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace moodsteer {

class ActivationSetError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct ActivationSettings {
    std::string modelId;
    std::string pooling = "mean";       ///< "mean" | "last" (see ActivationPooler.h)
    std::string site = "residual";      ///< "residual" (after each layer) | "attention"
    std::string branch = "conditional"; ///< which CFG branch was recorded
    std::string source;                 ///< free text: "data:DIR", "generate:SPEC", ...
    int numLayers = 0;
    int hiddenSize = 0;
    std::vector<std::string> labelNames; ///< label i of a clip names labelNames[i]

    /// Throws ActivationSetError naming the bad setting.
    void validate() const;
};

class ActivationSet {
  public:
    ActivationSettings settings;
    std::vector<FeatureMatrix> layers; ///< settings.numLayers matrices, N x hiddenSize each
    std::vector<std::int64_t> labels;  ///< N class indices into settings.labelNames
    std::vector<float> valence;        ///< empty or N values (1..9 scale)
    std::vector<float> arousal;        ///< empty or N values (1..9 scale)
    std::vector<std::string> clipIds;  ///< empty or N (file names, recipe ids)

    std::int64_t size() const { return static_cast<std::int64_t>(labels.size()); }
    bool hasEmotion() const { return !valence.empty() && !arousal.empty(); }

    /// Throws ActivationSetError for inconsistent shapes, out-of-range labels or settings.
    void validate() const;
    /// Atomic write (see models/AtomicFile.h).
    void save(const std::string& path) const;
    /// Loads and validates everything; errors name the file and the tensor or field.
    static ActivationSet load(const std::string& path);
    /// Settings, labels, emotion values and clip ids only; `layers` stays empty.
    static ActivationSet loadHeader(const std::string& path);
    /// One layer's N x D matrix (for analyses that visit one layer at a time).
    static FeatureMatrix loadLayer(const std::string& path, int layer);
};

} // namespace moodsteer
