// Pools one clip's per-layer residual stream over positions, aware of MusicGen's delay
// pattern (core/src/engine/DelayPattern.h): frame t of codebook k is the input at position
// t + k + 1 (position 0 holds only start tokens), so a clip of T frames and K codebooks spans
// positions 0 .. T+K-1, of which 0 .. T+K-2 are fed to the LM (the last column is only
// predicted), and only positions K .. T see a real frame in every codebook.
//  - "mean": the mean over positions [K, min(T, T+K-2)] (inclusive; every codebook's input
//    is a real frame). Positions before K still mix in start tokens and positions after T
//    end-of-clip padding; keeping them would let the clip length leak into the vector.
//  - "last": position T+K-2, the last one fed to the LM: its context holds every frame except
//    the final frame of the last codebook, which it predicts.
// Positions arrive in any chunking (teacher-forced full sequences or one decode step at a
// time); positions outside the window are ignored.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace moodsteer {

class ActivationPooler {
  public:
    /// Throws std::invalid_argument for a pooling other than "mean"/"last", a clip too short
    /// for the window to hold a position, or a non-positive size.
    ActivationPooler(int numLayers, int hiddenSize, const std::string& pooling, int frames,
                     int numCodebooks);

    /// First and one-past-last position that "mean" pooling averages.
    int windowBegin() const { return begin_; }
    int windowEnd() const { return end_; }
    /// Total number of positions of the delayed sequence (T + K).
    int sequenceLength() const { return frames_ + numCodebooks_; }
    /// Positions fed to the LM: 0 .. T+K-2 (= the number of decode steps).
    int inputPositions() const { return frames_ + numCodebooks_ - 1; }

    /// `rows` = `count` consecutive positions (starting at `position`) of `layer`'s residual,
    /// hiddenSize floats each, for one sequence (the conditional branch).
    void add(int layer, int position, const float* rows, int count);
    /// numLayers x hiddenSize, layer-major. Throws std::runtime_error naming the layer when a
    /// layer did not receive every position of the window.
    std::vector<float> pooled() const;
    void reset();

  private:
    int numLayers_, hiddenSize_, frames_, numCodebooks_;
    bool last_;
    int begin_, end_;
    std::vector<double> sums_;
    std::vector<int> counts_;
};

} // namespace moodsteer
