// A clip's DSP summary for the genre scorer: the mean over frames of the "dsp" feature
// encoder's frame features, and its tempo estimate.

#pragma once

#include "core/AudioBuffer.h"

#include <string>
#include <vector>

namespace moodsteer {

struct DspSummary {
    std::vector<float> mean; ///< featureSize() values
    double tempoBpm = 0;     ///< mean of the encoder's tempo_bpm feature
};

/// Throws std::invalid_argument for a clip too short for the encoder.
DspSummary summariseDsp(const AudioBuffer& audio);
std::vector<std::string> dspFeatureNames();

} // namespace moodsteer
