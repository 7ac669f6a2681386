#include "core/probing/LayerAnalysis.h"

#include "probing/ProbingMath.h"

#include "models/AtomicFile.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <set>
#include <stdexcept>

namespace moodsteer {

LayerClustering clusterLayer(const FeatureMatrix& x, std::span<const std::int64_t> labels,
                             const KMeansOptions& kmeans, bool standardise, double* inertia) {
    const std::set<std::int64_t> present(labels.begin(), labels.end());
    KMeansOptions o = kmeans;
    o.k = static_cast<int>(present.size());
    KMeansResult r;
    if (standardise) {
        std::vector<double> mean, scale;
        probing::columnMoments(x, mean, scale);
        r = kMeans(probing::standardise(x, mean, scale), o);
    } else {
        r = kMeans(x, o);
    }
    LayerClustering c;
    c.clusters = r.labels;
    c.contingency = contingencyMatrix(labels, r.labels);
    c.jaccard = jaccardMatrix(c.contingency);
    if (inertia) *inertia = r.inertia;
    return c;
}

namespace {

LayerAnalysisReport analyse(const ActivationSet& header,
                            const std::function<FeatureMatrix(int)>& layerData,
                            const LayerAnalysisOptions& options, const LayerProgress& progress) {
    header.settings.validate();
    const std::int64_t n = header.size();
    if (n < 4)
        throw std::invalid_argument("layer analysis: " + std::to_string(n) +
                                    " clips are too few for held-out probing");
    std::vector<int> layers = options.layers;
    if (layers.empty())
        for (int l = 0; l < header.settings.numLayers; ++l)
            layers.push_back(l);
    for (int l : layers)
        if (l < 0 || l >= header.settings.numLayers)
            throw std::invalid_argument("layer analysis: layer " + std::to_string(l) +
                                        " outside 0.." +
                                        std::to_string(header.settings.numLayers - 1));
    const int numClasses = static_cast<int>(header.settings.labelNames.size());
    const bool regression = options.regression && header.hasEmotion();

    LayerAnalysisReport report;
    report.settings = header.settings;
    report.numClips = n;
    report.options = options;
    std::vector<LayerClustering> clusterings;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const int l = layers[i];
        const FeatureMatrix x = layerData(l);
        LayerMetrics m;
        m.layer = l;
        LayerClustering c = clusterLayer(x, header.labels, options.kmeans,
                                         options.standardiseForClustering, &m.inertia);
        c.layer = l;
        m.ari = adjustedRandScore(header.labels, c.clusters);
        m.nmi = normalizedMutualInfo(header.labels, c.clusters);
        const ProbeEvaluation e =
            evaluateProbe(x, header.labels, numClasses, options.probe, options.split);
        m.probeAccuracy = e.accuracy;
        m.confusion = e.confusion;
        if (regression) {
            m.valence = evaluateRegression(x, header.valence, header.labels, options.regressionL2,
                                           options.split);
            m.arousal = evaluateRegression(x, header.arousal, header.labels, options.regressionL2,
                                           options.split);
        }
        report.layers.push_back(std::move(m));
        clusterings.push_back(std::move(c));
        if (progress) progress(static_cast<int>(i) + 1, static_cast<int>(layers.size()), l);
    }
    std::size_t bestAcc = 0, bestAri = 0;
    for (std::size_t i = 1; i < report.layers.size(); ++i) {
        if (report.layers[i].probeAccuracy > report.layers[bestAcc].probeAccuracy) bestAcc = i;
        if (report.layers[i].ari > report.layers[bestAri].ari) bestAri = i;
    }
    report.bestLayerByAccuracy = report.layers[bestAcc].layer;
    report.bestLayerByAri = report.layers[bestAri].layer;
    const int jl = options.jaccardLayer >= 0 ? options.jaccardLayer : report.bestLayerByAri;
    auto it = std::find_if(clusterings.begin(), clusterings.end(),
                           [&](const LayerClustering& c) { return c.layer == jl; });
    if (it != clusterings.end()) {
        report.clustering = *it;
    } else {
        if (jl < 0 || jl >= header.settings.numLayers)
            throw std::invalid_argument("layer analysis: Jaccard layer " + std::to_string(jl) +
                                        " outside the model's layers");
        report.clustering = clusterLayer(layerData(jl), header.labels, options.kmeans,
                                         options.standardiseForClustering);
        report.clustering.layer = jl;
    }
    report.clusterings = std::move(clusterings);
    return report;
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

} // namespace

LayerAnalysisReport analyseLayers(const ActivationSet& set, const LayerAnalysisOptions& options,
                                  const LayerProgress& progress) {
    set.validate();
    return analyse(
        set, [&](int l) { return set.layers[l]; }, options, progress);
}

LayerAnalysisReport analyseLayerFile(const std::string& path, const LayerAnalysisOptions& options,
                                     const LayerProgress& progress) {
    const ActivationSet header = ActivationSet::loadHeader(path);
    return analyse(
        header, [&](int l) { return ActivationSet::loadLayer(path, l); }, options, progress);
}

const LayerClustering* LayerAnalysisReport::clusteringOf(int layer) const {
    for (const auto& c : clusterings)
        if (c.layer == layer) return &c;
    return clustering.layer == layer ? &clustering : nullptr;
}

namespace {

nlohmann::ordered_json clusteringJson(const LayerClustering& clustering,
                                      const std::vector<std::string>& labelNames) {
    using nlohmann::ordered_json;
    const std::size_t C = labelNames.size();
    ordered_json jac;
    jac["layer"] = clustering.layer;
    std::vector<std::string> rowNames;
    for (auto r : clustering.contingency.rowLabels)
        rowNames.push_back(r >= 0 && r < static_cast<std::int64_t>(C) ? labelNames[r]
                                                                      : std::to_string(r));
    jac["rows"] = rowNames;
    jac["clusters"] = clustering.contingency.colLabels;
    const std::size_t K = clustering.contingency.colLabels.size();
    ordered_json cont = ordered_json::array(), mat = ordered_json::array();
    for (std::size_t r = 0; r < rowNames.size(); ++r) {
        cont.push_back(
            std::vector<std::int64_t>(clustering.contingency.counts.begin() + r * K,
                                      clustering.contingency.counts.begin() + (r + 1) * K));
        mat.push_back(std::vector<double>(clustering.jaccard.begin() + r * K,
                                          clustering.jaccard.begin() + (r + 1) * K));
    }
    jac["contingency"] = cont;
    jac["jaccard"] = mat;
    return jac;
}

} // namespace

std::string LayerAnalysisReport::toJson(int indent) const {
    using nlohmann::ordered_json;
    ordered_json j;
    j["format"] = "moodsteer.layer_analysis";
    j["model_id"] = settings.modelId;
    j["pooling"] = settings.pooling;
    j["site"] = settings.site;
    j["branch"] = settings.branch;
    j["source"] = settings.source;
    j["num_clips"] = numClips;
    j["label_names"] = settings.labelNames;
    j["settings"] = {{"probe", probeKindName(options.probe.kind)},
                     {"probe_l2", options.probe.l2},
                     {"test_fraction", options.split.folds >= 2 ? 0.0 : options.split.testFraction},
                     {"folds", options.split.folds},
                     {"seed", options.split.seed},
                     {"kmeans_seed", options.kmeans.seed},
                     {"kmeans_n_init", options.kmeans.nInit},
                     {"kmeans_standardised", options.standardiseForClustering},
                     {"regression_l2", options.regressionL2}};
    const std::size_t C = settings.labelNames.size();
    ordered_json layersJson = ordered_json::array();
    for (const auto& m : layers) {
        ordered_json l;
        l["layer"] = m.layer;
        l["ari"] = m.ari;
        l["nmi"] = m.nmi;
        l["probe_accuracy"] = m.probeAccuracy;
        l["inertia"] = m.inertia;
        ordered_json conf = ordered_json::array();
        for (std::size_t r = 0; r < C; ++r)
            conf.push_back(std::vector<std::int64_t>(m.confusion.begin() + r * C,
                                                     m.confusion.begin() + (r + 1) * C));
        l["confusion"] = conf;
        for (const auto& [name, ev] : {std::pair{"valence", &m.valence}, {"arousal", &m.arousal}})
            if (ev->has_value())
                l[name] = {{"r2", (*ev)->r2}, {"ccc", (*ev)->ccc}, {"pearson", (*ev)->pearson}};
        layersJson.push_back(l);
    }
    j["layers"] = layersJson;
    j["best_layer_by_accuracy"] = bestLayerByAccuracy;
    j["best_layer_by_ari"] = bestLayerByAri;
    j["clustering"] = clusteringJson(clustering, settings.labelNames);
    ordered_json all = ordered_json::array();
    for (const auto& c : clusterings)
        all.push_back(clusteringJson(c, settings.labelNames));
    j["layer_clusterings"] = all;
    return j.dump(indent) + "\n";
}

std::string LayerAnalysisReport::toCsv() const {
    const bool emotion = !layers.empty() && layers.front().valence.has_value();
    std::string s = "layer,ari,nmi,probe_accuracy,inertia";
    if (emotion) s += ",valence_r2,valence_ccc,arousal_r2,arousal_ccc";
    s += "\n";
    // Appends piece by piece (GCC 12 warns falsely about chained string + here).
    const auto field = [&s](double v) {
        s += ',';
        s += number(v);
    };
    for (const auto& m : layers) {
        s += std::to_string(m.layer);
        for (double v : {m.ari, m.nmi, m.probeAccuracy, m.inertia})
            field(v);
        if (emotion)
            for (double v : {m.valence->r2, m.valence->ccc, m.arousal->r2, m.arousal->ccc})
                field(v);
        s += '\n';
    }
    return s;
}

void LayerAnalysisReport::writeJson(const std::string& path) const {
    models::writeTextAtomically(path, toJson());
}

void LayerAnalysisReport::writeCsv(const std::string& path) const {
    models::writeTextAtomically(path, toCsv());
}

} // namespace moodsteer
