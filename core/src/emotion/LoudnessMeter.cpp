#include "core/emotion/LoudnessMeter.h"

#include <ebur128.h>

#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

namespace moodsteer {
namespace {

struct StateDeleter {
    void operator()(ebur128_state* s) const { ebur128_destroy(&s); }
};

} // namespace

double LoudnessMeter::integratedLoudness(const AudioBuffer& audio) {
    if (audio.sampleRate <= 0 || audio.samples.empty())
        throw std::invalid_argument("loudness: empty clip or invalid sample rate " +
                                    std::to_string(audio.sampleRate));
    for (float s : audio.samples)
        if (!std::isfinite(s)) throw std::invalid_argument("loudness: NaN or Inf samples");
    std::unique_ptr<ebur128_state, StateDeleter> st(
        ebur128_init(1, static_cast<unsigned long>(audio.sampleRate), EBUR128_MODE_I));
    if (!st)
        throw std::runtime_error("loudness: libebur128 could not start at " +
                                 std::to_string(audio.sampleRate) + " Hz");
    // A mono programme is heard on both ears: BS.1770 weights a single channel as centre.
    ebur128_set_channel(st.get(), 0, EBUR128_CENTER);
    if (ebur128_add_frames_float(st.get(), audio.samples.data(), audio.samples.size()) !=
        EBUR128_SUCCESS)
        throw std::runtime_error("loudness: libebur128 rejected the samples");
    double lufs = 0;
    if (ebur128_loudness_global(st.get(), &lufs) != EBUR128_SUCCESS)
        throw std::runtime_error("loudness: libebur128 could not measure the clip");
    if (!std::isfinite(lufs)) return -std::numeric_limits<double>::infinity();
    return lufs;
}

AudioBuffer LoudnessMeter::normalised(const AudioBuffer& audio, double targetLufs,
                                      double* measuredLufs) {
    const double lufs = integratedLoudness(audio);
    if (measuredLufs) *measuredLufs = lufs;
    AudioBuffer out = audio;
    if (!(lufs > kSilenceLufs)) return out;
    const float gain = static_cast<float>(std::pow(10.0, (targetLufs - lufs) / 20.0));
    for (float& s : out.samples)
        s *= gain;
    return out;
}

} // namespace moodsteer
