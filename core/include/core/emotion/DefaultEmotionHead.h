// Which Emotion Predictor head judges when none is named: a MERT head the user trained and
// installed (`train-emotion --encoder mert --install`) when its MERT model is present, else the
// embedded head (trained on real and procedural music with the "dsp" encoder; see
// resources/emotion/MODEL_CARD.md). The CLI's emotion commands and the studio both ask here.
// Torch-free.
#pragma once

#include <string>

namespace moodsteer {

struct EmotionHeadInfo;

/// resourcePath("emotion/emotion_head_dsp.safetensors"), whether or not the file exists.
std::string defaultEmotionHeadPath();

/// Where `train-emotion --install` puts a MERT head: $MOODSTEER_DATA, else
/// $XDG_DATA_HOME/moodsteer, else ~/.local/share/moodsteer; then
/// emotion/emotion_head_mert.safetensors. Whether or not the file exists.
std::string userMertHeadPath();

/// The MERT folder a head trained on MERT features needs, from its metadata `mert_model` (a hub
/// repo id, resolved through the Hugging Face cache, or an absolute folder). Throws
/// std::runtime_error with one line naming the head when it names no model or the model is not
/// present.
std::string emotionHeadModelFolder(const std::string& headPath);
/// The same from a head already read (`info` of the head at `headPath`, named in errors).
std::string emotionHeadModelFolder(const EmotionHeadInfo& info, const std::string& headPath);

/// The head used when none is named: userMertHeadPath() when that file exists and its MERT
/// model is present, else defaultEmotionHeadPath() (which may not exist). `why`, when given,
/// receives one line saying which head and, for the embedded one, why not the MERT head.
std::string preferredEmotionHeadPath(std::string* why = nullptr);

/// preferredEmotionHeadPath() when the file exists; else throws std::runtime_error naming the
/// path and telling the user to pass --head.
std::string requireDefaultEmotionHead();

} // namespace moodsteer
