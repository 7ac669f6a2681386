#include "steering/DspSummary.h"

#include "core/AudioFeatureEncoder.h"

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace moodsteer {

namespace {
const AudioFeatureEncoder& encoder() {
    // One instance per thread: encoders are not thread-safe (AudioFeatureEncoder.h).
    thread_local std::unique_ptr<AudioFeatureEncoder> dsp = makeFeatureEncoder("dsp");
    return *dsp;
}
} // namespace

std::vector<std::string> dspFeatureNames() {
    return encoder().featureNames();
}

DspSummary summariseDsp(const AudioBuffer& audio) {
    const auto& enc = encoder();
    const auto names = enc.featureNames();
    const auto tempo = std::find(names.begin(), names.end(), "tempo_bpm");
    if (tempo == names.end()) throw std::logic_error("the dsp encoder has no tempo_bpm feature");
    DspSummary s;
    s.mean = enc.encode(audio).meanOverFrames();
    s.tempoBpm = s.mean[static_cast<std::size_t>(tempo - names.begin())];
    return s;
}

} // namespace moodsteer
