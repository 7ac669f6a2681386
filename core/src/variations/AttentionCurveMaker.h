// The attention curve of a piece (core/variations/VariationGenerator.h: AttentionCurve): the
// codes rendered by SynthCodec, then per latent frame (4 code frames, 0.16 s)
//   - arousal and valence: the Emotion Predictor (embedded dsp head) on 5 s windows every
//     1 s, interpolated between window centres,
//   - onset density: note and drum onsets per second in a 1 s window around the frame,
//   - loudness: RMS of the frame's audio in dBFS,
// and the normalised version the diffusion model is conditioned on: arousal, onset density,
// loudness, and (models trained since the curve became a direct input) valence.
// Threading: const methods may run concurrently.
#pragma once

#include "core/emotion/EmotionPredictor.h"
#include "core/variations/VariationGenerator.h"

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace moodsteer::variations {

/// Channels of the curve a new diffusion model is trained on (arousal, onset density,
/// loudness, valence); kArousalCurveChannels: the first shipped model's, without valence.
inline constexpr int kCurveChannels = 4;
inline constexpr int kArousalCurveChannels = 3;

/// How the other channels move with arousal in the training curves (least-squares slopes of
/// the normalised onset density and loudness on the normalised arousal): an arousal shift
/// moves them too, so that the shifted curve is one the model has seen (arousal alone moved
/// against unchanged density and loudness is a contradiction it resolves for the latter).
struct CurveCoupling {
    double onsetDensity = 0, loudness = 0;
};

class AttentionCurveMaker {
  public:
    /// Loads the emotion head at `headPath` (the embedded dsp head by default); throws
    /// std::runtime_error naming it.
    explicit AttentionCurveMaker(const std::string& headPath = "");

    /// The curve of `codes` with ceil(frames / 4) latent frames.
    AttentionCurve curve(const CodeGrid& codes) const;
    /// Clip-level predicted valence and arousal of the rendered codes.
    ClipPrediction predict(const CodeGrid& codes) const;

    /// The model input: [channels x latentFrames] row-major (channels 3 or 4), arousal and
    /// valence shifted by `arousalShift` / `valenceShift` rating units first, and onset
    /// density and loudness by `coupling` times the normalised arousal shift. Fixed affine
    /// maps (no per-piece statistics), so a shift stays a shift: (a - 5) / 2,
    /// log(1 + onsets/s) - 1.5, (dB + 30) / 10, then (v - 5) / 2 in the fourth channel.
    /// Throws std::invalid_argument for another channel count, or a valence shift with 3.
    static std::vector<float> normalised(const AttentionCurve& curve, double arousalShift = 0,
                                         int channels = kCurveChannels, double valenceShift = 0,
                                         CurveCoupling coupling = {});
    /// normalised() laid over `frames` latent frames, [channels x frames] row-major: a curve
    /// shorter than that holds its last value (the model's input is padded to whole frames).
    static std::vector<float> normalisedFrames(const AttentionCurve& curve, int frames,
                                               double arousalShift = 0,
                                               int channels = kCurveChannels,
                                               double valenceShift = 0,
                                               CurveCoupling coupling = {});
    /// The coupling slopes of normalised curves [N x channels x L] (row-major).
    static CurveCoupling fitCoupling(std::span<const float> curves, int n, int channels, int l);

  private:
    std::unique_ptr<EmotionPredictor> predictor_;
};

} // namespace moodsteer::variations
