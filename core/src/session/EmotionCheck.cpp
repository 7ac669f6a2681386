#include "session/EmotionCheck.h"

#include "core/emotion/EmotionPredictor.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace moodsteer {

double EmotionFit::error() const {
    return valenceJudged ? std::max(arousalError, valenceError) : arousalError;
}

EmotionFit judgeWindow(const EmotionPredictor& head, const AudioBuffer& audio, const Recipe& recipe,
                       double startSeconds) {
    EmotionFit fit;
    if (!recipe.emotionAt(startSeconds) || audio.samples.empty() || isSilent(audio)) return fit;
    ClipPrediction p;
    try {
        p = head.predict(audio);
    } catch (const std::invalid_argument&) {
        return fit; // shorter than the encoder needs: nothing to judge by
    }
    if (p.windows.empty() || !p.arousalPredictable) return fit;
    double ea = 0, ev = 0;
    for (const auto& w : p.windows) {
        const auto [v, a] = *recipe.emotionAt(startSeconds + 0.5 * (w.startSeconds + w.endSeconds));
        ea += std::abs(w.arousal - a);
        ev += std::abs(w.valence - v);
    }
    const double n = static_cast<double>(p.windows.size());
    fit.judged = true;
    fit.arousalError = ea / n;
    fit.valenceError = ev / n;
    fit.valenceJudged = p.valencePredictable;
    return fit;
}

} // namespace moodsteer
