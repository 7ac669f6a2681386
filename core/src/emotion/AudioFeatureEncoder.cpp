#include "core/emotion/AudioFeatureEncoder.h"

#include "emotion/DspFeatureEncoder.h"
#include "emotion/MertFeatureEncoder.h"

#include <stdexcept>

namespace moodsteer {

std::vector<float> FrameFeatures::meanOverFrames() const {
    if (frames <= 0 || dims <= 0)
        throw std::invalid_argument("feature matrix is empty: nothing to pool");
    std::vector<double> acc(dims, 0.0);
    for (int t = 0; t < frames; ++t)
        for (int d = 0; d < dims; ++d)
            acc[d] += at(t, d);
    std::vector<float> out(dims);
    for (int d = 0; d < dims; ++d)
        out[d] = static_cast<float>(acc[d] / frames);
    return out;
}

std::string AudioFeatureEncoder::signature() const {
    return name() + "|layer " + std::to_string(layer()) + "|" + std::to_string(featureSize()) +
           " features|" + std::to_string(sampleRate()) + " Hz";
}

std::vector<std::string> AudioFeatureEncoder::featureNames() const {
    std::vector<std::string> names;
    for (int i = 0; i < featureSize(); ++i)
        names.push_back(name() + "_" + std::to_string(i));
    return names;
}

std::unique_ptr<AudioFeatureEncoder> makeFeatureEncoder(const std::string& kind,
                                                        const std::string& modelDir, int layer,
                                                        std::vector<float> layerWeights) {
    if (kind == "dsp") return std::make_unique<DspFeatureEncoder>();
    if (kind == "mert")
        return std::make_unique<MertFeatureEncoder>(modelDir, layer, std::move(layerWeights));
    throw std::invalid_argument("unknown feature encoder '" + kind + "' (expected dsp or mert)");
}

} // namespace moodsteer
