// genreFeatureVector: a clip-level summary of the DSP encoder's frames (means and spreads),
// and the clip's tempo from the same encoder.
#include "core/emotion/AudioFeatureEncoder.h"
#include "core/emotion/GenreClassifier.h"
#include "emotion/DspFeatureEncoder.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace moodsteer {
namespace {

const AudioFeatureEncoder& dspEncoder() {
    // One encoder per thread: encode() is not thread-safe for one instance.
    thread_local const auto encoder = makeFeatureEncoder("dsp");
    return *encoder;
}

int tempoIndex() {
    static const int index = [] {
        const auto names = dspEncoder().featureNames();
        const auto it = std::find(names.begin(), names.end(), "tempo_bpm");
        if (it == names.end()) throw std::logic_error("the dsp encoder has no tempo_bpm feature");
        return static_cast<int>(it - names.begin());
    }();
    return index;
}

} // namespace

std::vector<float> genreFeatureVector(const AudioBuffer& audio, bool excludeTempo) {
    const auto m = dspEncoder().encode(audio);
    // The classifier (and its cached JSON) was built on the first 55 columns; the later
    // window-level texture columns are for the emotion head.
    const int d = std::min(m.dims, DspFeatureEncoder::kPulseClarity + 1);
    const int skip = excludeTempo ? tempoIndex() : -1;
    std::vector<double> sum(d, 0.0), sq(d, 0.0);
    for (int f = 0; f < m.frames; ++f)
        for (int j = 0; j < d; ++j) {
            const double x = m.at(f, j);
            sum[j] += x;
            sq[j] += x * x;
        }
    std::vector<float> means, spreads;
    for (int j = 0; j < d; ++j) {
        if (j == skip) continue;
        const double mean = sum[j] / m.frames;
        means.push_back(static_cast<float>(mean));
        spreads.push_back(
            static_cast<float>(std::sqrt(std::max(0.0, sq[j] / m.frames - mean * mean))));
    }
    means.insert(means.end(), spreads.begin(), spreads.end());
    return means;
}

double clipTempoBpm(const AudioBuffer& audio) {
    return dspEncoder().encode(audio).meanOverFrames()[static_cast<std::size_t>(tempoIndex())];
}

} // namespace moodsteer
