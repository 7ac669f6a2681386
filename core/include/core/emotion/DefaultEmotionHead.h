// Where the embedded Emotion Predictor head lives (trained on the procedural corpus with the
// "dsp" encoder; see resources/emotion/MODEL_CARD.md). Torch-free.
#pragma once

#include <string>

namespace moodsteer {

/// resourcePath("emotion/emotion_head_dsp.safetensors"), whether or not the file exists.
std::string defaultEmotionHeadPath();

/// defaultEmotionHeadPath() when the file exists; else throws std::runtime_error naming the
/// path and telling the user to pass --head.
std::string requireDefaultEmotionHead();

} // namespace moodsteer
