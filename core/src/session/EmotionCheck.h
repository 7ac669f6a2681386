// The emotion check of windowed generation (Recipe::emotionCheck): how far a window's music is
// from the emotion path, as the emotion head hears it. The guard (WindowGuard.h) rejects a
// window farther than the recipe's tolerance, and the next seed is tried; a session then
// follows its path even where the LM would rather continue its context's mood (docs/sessions.md).
//
// Threading: the engine thread (the head's encoder runs here).
#pragma once

#include "core/audio/AudioBuffer.h"
#include "core/engine/Recipe.h"

namespace moodsteer {

class EmotionPredictor;

struct EmotionFit {
    bool judged = false; ///< false: no target, silent or too short for the head
    /// Mean over the head's windows (5 s for the embedded head) of |predicted - target|, with
    /// the target read from the path at each window's middle.
    double arousalError = 0;
    double valenceError = 0;
    bool valenceJudged = false; ///< the head predicts valence (else only arousal counts)
    /// What the tolerance is compared with: the larger of the judged dimensions' errors.
    double error() const;
};

/// `audio`: a window's new audio as the stream plays it; `startSeconds`: where it starts on the
/// session clock (the path's time axis).
EmotionFit judgeWindow(const EmotionPredictor& head, const AudioBuffer& audio, const Recipe& recipe,
                       double startSeconds);

} // namespace moodsteer
