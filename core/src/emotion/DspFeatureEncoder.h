// The embedded "dsp" feature encoder: hand-built features known to carry musical emotion,
// no weights. 32 kHz, 2048-sample Hann frames, hop 512 (62.5 frames/s), FFT by KissFFT.
// Per frame: 32 log-mel energies, loudness (RMS dB), spectral centroid / rolloff (kHz),
// spectral flux, flatness, onset strength (log-mel flux), roughness (Sethares dissonance of
// the spectral peaks), 12-bin chroma. Per clip (computed over the whole buffer given to
// encode(), repeated on every frame; the predictor encodes one window at a time, so these
// are per-window): key clarity, mode (major - minor Krumhansl profile correlation), tempo
// (BPM, onset-strength autocorrelation) and pulse clarity, then dynamics (loudness spread and
// range, crest, low-energy share), brightness, centroid spread, onset rate, harmonic change,
// percussiveness (median-filter separation on the mel spectrogram) and a vocal-presence
// proxy (3-8 Hz syllabic modulation of the 300-3400 Hz band).
#pragma once

#include "core/emotion/AudioFeatureEncoder.h"

namespace moodsteer {

class DspFeatureEncoder : public AudioFeatureEncoder {
  public:
    static constexpr int kSampleRate = 32000;
    static constexpr int kFrameSize = 2048;
    static constexpr int kHop = 512;
    static constexpr int kMelBands = 32;

    // Column indices of the named features.
    static constexpr int kLoudness = kMelBands;
    static constexpr int kCentroid = kMelBands + 1;
    static constexpr int kRolloff = kMelBands + 2;
    static constexpr int kFlux = kMelBands + 3;
    static constexpr int kFlatness = kMelBands + 4;
    static constexpr int kOnset = kMelBands + 5;
    static constexpr int kRoughness = kMelBands + 6;
    static constexpr int kChroma = kMelBands + 7; ///< 12 columns, C first
    static constexpr int kKeyClarity = kChroma + 12;
    static constexpr int kMode = kKeyClarity + 1;
    static constexpr int kTempo = kMode + 1;
    static constexpr int kPulseClarity = kTempo + 1;
    // Window-level dynamics and texture (relative: unchanged by the clip's gain).
    static constexpr int kLoudnessSd = kPulseClarity + 1;  ///< dB, frames within 60 dB of the top
    static constexpr int kLoudnessRange = kLoudnessSd + 1; ///< dB, 95th - 10th percentile
    static constexpr int kCrest = kLoudnessRange + 1;      ///< dB, peak / RMS
    static constexpr int kLowEnergy = kCrest + 1;          ///< share of frames below mean RMS
    static constexpr int kBrightness = kLowEnergy + 1;     ///< energy share above 1.5 kHz
    static constexpr int kCentroidSd = kBrightness + 1;    ///< kHz
    static constexpr int kOnsetRate = kCentroidSd + 1;     ///< onsets per second
    static constexpr int kHarmonicChange = kOnsetRate + 1; ///< chroma change per 0.5 s
    static constexpr int kPercussiveness = kHarmonicChange + 1;     ///< percussive energy share
    static constexpr int kSyllabicModulation = kPercussiveness + 1; ///< 3-8 Hz voice-band share
    static constexpr int kFeatureSize = kSyllabicModulation + 1;

    std::string name() const override { return "dsp"; }
    int sampleRate() const override { return kSampleRate; }
    double frameRate() const override { return static_cast<double>(kSampleRate) / kHop; }
    int featureSize() const override { return kFeatureSize; }
    double minimumSeconds() const override { return static_cast<double>(kFrameSize) / kSampleRate; }
    std::vector<std::string> featureNames() const override;
    std::vector<std::pair<std::string, std::vector<int>>> featureFamilies() const override;
    /// Bumped whenever a feature's definition changes (invalidates cached features).
    std::string signature() const override { return AudioFeatureEncoder::signature() + "|dsp v2"; }
    FrameFeatures encode(const AudioBuffer& audio) const override;
};

} // namespace moodsteer
