// How alike two SynthCodec pieces are, as the symbolic-music diffusion literature measures it
// (Mittal et al. 2021, after Yang & Lerch 2020): a Gaussian is fitted to each piece's pitch,
// duration and inter-onset-interval values and the overlapping area (OA) of the two densities
// is the similarity (1 = same distribution, 0 = disjoint). Novelty is the share of a
// variation's notes that the input does not have; diversity is the mean pairwise OA among
// variations (lower = more diverse). Torch-free; the notes are SynthScore's.
//
// Units: pitch in semitones (MIDI keys of melody, chords, pad and bass; drums have no pitch),
// durations and inter-onset intervals in sixteenth notes (ticks / 120, so pieces at different
// tempos compare musically); inter-onset intervals are between the distinct onsets of all
// parts, drums included (the rhythm). Each fitted standard deviation is at least
// kMinStddev (half a semitone or half a sixteenth), so a constant feature is a narrow
// Gaussian rather than a point.
#pragma once

#include "core/audio/AudioCodec.h"

#include <vector>

namespace moodsteer {

struct NoteFeatures {
    std::vector<double> pitches;     ///< semitones, one per pitched note
    std::vector<double> durations;   ///< sixteenths, one per pitched note
    std::vector<double> interOnsets; ///< sixteenths between consecutive distinct onsets
};

struct GaussianFit {
    double mean = 0.0, stddev = 1.0;
};

/// One value per feature, and their mean.
struct FeatureOverlap {
    double pitch = 0.0, duration = 0.0, interOnset = 0.0;
    double mean() const { return (pitch + duration + interOnset) / 3.0; }
};

class VariationMetrics {
  public:
    static constexpr double kMinStddev = 0.5;

    /// Features of the notes that start in frames [fromFrame, toFrame) (toFrame < 0: to the
    /// end), e.g. a restored gap. Throws CodecError for codes that are not a SynthCodec grid.
    static NoteFeatures features(const CodeGrid& codes, int fromFrame = 0, int toFrame = -1);

    /// Mean and population standard deviation (floored at kMinStddev); {0, kMinStddev} for
    /// no values.
    static GaussianFit fit(const std::vector<double>& values);
    /// The area under min(pdf a, pdf b), closed form (the densities cross at most twice).
    static double overlapArea(const GaussianFit& a, const GaussianFit& b);
    /// OA of the fitted Gaussians of two value sets: 1 when both are empty, 0 when only one is.
    static double fittedOverlapArea(const std::vector<double>& a, const std::vector<double>& b);
    /// Histogram intersection (sum of the bin-wise minimum of the normalised histograms), the
    /// fit-free alternative, reported beside OA: 1 when both are empty, 0 when only one is.
    static double histogramIntersection(const std::vector<double>& a, const std::vector<double>& b,
                                        double binWidth);

    /// OA per feature.
    static FeatureOverlap similarity(const NoteFeatures& a, const NoteFeatures& b);
    static FeatureOverlap similarity(const CodeGrid& a, const CodeGrid& b);
    /// Histogram intersection per feature (bins: one semitone, half a sixteenth).
    static FeatureOverlap histogramSimilarity(const NoteFeatures& a, const NoteFeatures& b);

    /// Share of the variation's notes (all parts) with no note of the same part, key and
    /// onset frame in the input (each input note matches one variation note at most): a
    /// copy scores 0, a piece sharing no note 1. 0 for a variation without notes.
    static double novelty(const CodeGrid& input, const CodeGrid& variation);

    /// Mean OA over all pairs of variations, per feature. Throws std::invalid_argument for
    /// fewer than two.
    static FeatureOverlap diversity(const std::vector<CodeGrid>& variations);
};

} // namespace moodsteer
