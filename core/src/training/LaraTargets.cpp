#include "training/LaraTargets.h"

#include "core/emotion/AudioFeatureEncoder.h"

#include <algorithm>

namespace moodsteer {

std::vector<std::vector<float>> laraWindowFeatures(const AudioBuffer& audio, int windowSamples) {
    // The embedded DSP encoder stands in for MERT: it needs no weights and is fast enough to
    // run over the whole corpus once.
    static const auto encoder = makeFeatureEncoder("dsp");
    const int windows = static_cast<int>(audio.samples.size() / windowSamples);
    std::vector<std::vector<float>> out;
    if (windows == 0) return out;
    const auto features = encoder->encode(audio);
    const double framesPerSample = encoder->frameRate() / audio.sampleRate;
    for (int w = 0; w < windows; ++w) {
        int f0 = static_cast<int>(w * windowSamples * framesPerSample);
        int f1 = static_cast<int>((w + 1) * windowSamples * framesPerSample);
        f0 = std::clamp(f0, 0, features.frames - 1);
        f1 = std::clamp(f1, f0 + 1, features.frames);
        std::vector<float> mean(features.dims, 0.0f);
        for (int f = f0; f < f1; ++f)
            for (int d = 0; d < features.dims; ++d)
                mean[d] += features.at(f, d);
        for (auto& m : mean)
            m /= static_cast<float>(f1 - f0);
        out.push_back(std::move(mean));
    }
    return out;
}

} // namespace moodsteer
