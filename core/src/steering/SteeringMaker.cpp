#include "core/steering/SteeringMaker.h"

#include "core/probing/ActivationSet.h"

namespace moodsteer {

SteeringVector makeSteeringVector(const std::string& path, const SteeringMakeOptions& o) {
    const ActivationSet head = ActivationSet::loadHeader(path);
    const auto& st = head.settings;
    if (o.layer < 0 || o.layer >= st.numLayers)
        throw SteeringError(path + ": layer " + std::to_string(o.layer) + " outside [0, " +
                            std::to_string(st.numLayers) + ")");
    SteeringContext ctx;
    ctx.modelId = st.modelId;
    ctx.layer = o.layer;
    ctx.pooling = st.pooling;
    ctx.labelSet = st.labelNames;
    const FeatureMatrix x = ActivationSet::loadLayer(path, o.layer);
    if (o.label == "valence" || o.label == "arousal") {
        if (!head.hasEmotion())
            throw SteeringError(path + ": no valence/arousal values in this activation set "
                                       "(labels.csv needs valence and arousal columns)");
        const auto& t = o.label == "valence" ? head.valence : head.arousal;
        const auto probe = RegressionProbe::train(x, t, o.l2 > 0 ? o.l2 : 1e-2);
        return SteeringVector::fromRegression(probe, x, t, o.label, ctx, o.sign);
    }
    int cls = -1;
    std::string all;
    for (std::size_t i = 0; i < st.labelNames.size(); ++i) {
        if (st.labelNames[i] == o.label) cls = static_cast<int>(i);
        all += (all.empty() ? "" : ", ") + st.labelNames[i];
    }
    if (cls < 0)
        throw SteeringError(path + ": no label '" + o.label + "' (labels: " + all +
                            (head.hasEmotion() ? ", or valence, arousal" : "") + ")");
    const int C = static_cast<int>(st.labelNames.size());
    if (o.method == "means")
        return SteeringVector::fromClassMeans(x, head.labels, cls, ctx, o.sign);
    ProbeOptions po;
    if (o.method == "probe")
        po.kind = ProbeKind::Softmax;
    else if (o.method == "probe-mse")
        po.kind = ProbeKind::MseOneHot;
    else
        throw std::invalid_argument("unknown steering method '" + o.method +
                                    "' (probe, probe-mse, means)");
    if (o.l2 > 0) po.l2 = o.l2;
    const auto probe = LinearProbe::train(x, head.labels, C, po);
    return SteeringVector::fromProbe(probe, cls, x, head.labels, ctx, o.sign);
}

} // namespace moodsteer
