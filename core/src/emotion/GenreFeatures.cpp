// genreFeatureVector: a clip-level summary of the DSP encoder's frames (means and spreads).
#include "core/AudioFeatureEncoder.h"
#include "core/GenreClassifier.h"
#include "emotion/DspFeatureEncoder.h"

#include <algorithm>
#include <cmath>

namespace moodsteer {

std::vector<float> genreFeatureVector(const AudioBuffer& audio) {
    // One encoder per thread: encode() is not thread-safe for one instance.
    thread_local const auto encoder = makeFeatureEncoder("dsp");
    const auto m = encoder->encode(audio);
    // The classifier (and its cached JSON) was built on the first 55 columns; the later
    // window-level texture columns are for the emotion head.
    const int d = std::min(m.dims, DspFeatureEncoder::kPulseClarity + 1);
    std::vector<double> sum(d, 0.0), sq(d, 0.0);
    for (int f = 0; f < m.frames; ++f)
        for (int j = 0; j < d; ++j) {
            const double x = m.at(f, j);
            sum[j] += x;
            sq[j] += x * x;
        }
    std::vector<float> out(2 * static_cast<std::size_t>(d));
    for (int j = 0; j < d; ++j) {
        const double mean = sum[j] / m.frames;
        out[j] = static_cast<float>(mean);
        out[d + j] = static_cast<float>(std::sqrt(std::max(0.0, sq[j] / m.frames - mean * mean)));
    }
    return out;
}

} // namespace moodsteer
