// The layer explorer's numbers: for every layer of an activation set, k-means (k = number of
// labels present) scored against the labels by ARI and NMI, the held-out accuracy and
// confusion matrix of a linear probe, and (when the set has valence/arousal) ridge-probe R^2
// and CCC; the best layer by accuracy and by ARI; the contingency and Jaccard matrix of one
// chosen layer. Exported as JSON and CSV (atomic writes).
#pragma once

#include "core/probing/ActivationSet.h"
#include "core/probing/Clustering.h"
#include "core/probing/LinearProbe.h"
#include "core/probing/RegressionProbe.h"

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace moodsteer {

struct LayerAnalysisOptions {
    KMeansOptions kmeans;                  ///< k is set to the number of labels present
    bool standardiseForClustering = false; ///< k-means on z-scored features instead of raw
    ProbeOptions probe;
    SplitOptions split;     ///< held-out fraction or k folds, seeded
    bool regression = true; ///< valence/arousal probes when the set has the values
    double regressionL2 = 1e-2;
    int jaccardLayer = -1;   ///< layer for the contingency/Jaccard matrices; -1 = best by ARI
    std::vector<int> layers; ///< layers to analyse; empty = all
};

struct LayerMetrics {
    int layer = 0;
    double ari = 0;
    double nmi = 0;
    double inertia = 0;
    double probeAccuracy = 0;
    std::vector<std::int64_t> confusion; ///< C x C, row = true label, column = predicted
    std::optional<RegressionEvaluation> valence;
    std::optional<RegressionEvaluation> arousal;
};

/// k-means clusters of one layer against the labels: rows of the matrices are the labels
/// present (sorted index), columns the clusters 0..k-1.
struct LayerClustering {
    int layer = -1;
    std::vector<std::int64_t> clusters; ///< cluster of every clip
    Contingency contingency;
    std::vector<double> jaccard; ///< same shape as contingency.counts
};

struct LayerAnalysisReport {
    ActivationSettings settings;
    std::int64_t numClips = 0;
    LayerAnalysisOptions options;
    std::vector<LayerMetrics> layers;
    int bestLayerByAccuracy = -1; ///< ties: the lowest layer
    int bestLayerByAri = -1;
    LayerClustering clustering; ///< for options.jaccardLayer (or bestLayerByAri)
    /// Every analysed layer's clustering, in the order of `layers`, so a viewer can show the
    /// Jaccard matrix of any layer without clustering again.
    std::vector<LayerClustering> clusterings;

    /// The clustering of `layer` (from `clusterings`, or `clustering`); nullptr if absent.
    const LayerClustering* clusteringOf(int layer) const;

    std::string toJson(int indent = 2) const;
    /// One row per layer: layer,ari,nmi,probe_accuracy,inertia[,valence_r2,valence_ccc,
    /// arousal_r2,arousal_ccc].
    std::string toCsv() const;
    void writeJson(const std::string& path) const;
    void writeCsv(const std::string& path) const;
};

/// Called after each analysed layer (done of total); may throw to cancel.
using LayerProgress = std::function<void(int done, int total, int layer)>;

/// Analyses an activation set held in memory.
LayerAnalysisReport analyseLayers(const ActivationSet& set, const LayerAnalysisOptions& options,
                                  const LayerProgress& progress = {});
/// Analyses an activation-set file, loading one layer at a time (bounded memory).
LayerAnalysisReport analyseLayerFile(const std::string& path, const LayerAnalysisOptions& options,
                                     const LayerProgress& progress = {});

/// k-means on one layer's activations with k = number of distinct labels, plus contingency
/// and Jaccard matrices against the labels.
LayerClustering clusterLayer(const FeatureMatrix& x, std::span<const std::int64_t> labels,
                             const KMeansOptions& kmeans, bool standardise,
                             double* inertia = nullptr);

} // namespace moodsteer
