// Spectral flux of a mono stream (Hann 2048, hop 1024: the sum of positive magnitude changes
// from one frame to the next), fed chunk by chunk, and the seam score of long sessions
// (issue 17): the flux of the frames that span a seam / the median flux of frames away from
// every seam. moodsteer-cli bench-session reports it; windowed generation uses the same measure
// to choose a window's opening (session/SeamChoice.h).
//
// Threading: a plain value type; one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace moodsteer {

class SpectralFlux {
  public:
    static constexpr int kFrame = 2048;
    static constexpr int kHop = 1024;
    SpectralFlux();
    ~SpectralFlux();
    SpectralFlux(SpectralFlux&&) noexcept;
    SpectralFlux& operator=(SpectralFlux&&) noexcept;
    void push(const float* samples, std::size_t count);
    /// flux()[i] compares the frame starting at sample i * kHop with the one before.
    const std::vector<double>& flux() const { return flux_; }
    /// Flux at each seam (sample positions) / the median flux of hops at least 2 hops from
    /// every seam: {mean, max} over the seams ({0, 0} without seams).
    std::pair<double, double> seamScore(const std::vector<std::size_t>& seamSamples) const;
    /// The same score seam by seam (empty without seams or with too little audio).
    std::vector<double> seamScores(const std::vector<std::size_t>& seamSamples) const;
    /// The score of other points (e.g. the middle of each window, for comparison), still over
    /// the median of hops away from the seams.
    std::vector<double> scoresAt(const std::vector<std::size_t>& points,
                                 const std::vector<std::size_t>& seamSamples) const;
    /// The largest flux of the frames whose span contains sample `at` (0 when none).
    double fluxAt(std::size_t at) const;

  private:
    struct Fft;
    std::unique_ptr<Fft> fft_;
    std::vector<float> pending_;
    std::vector<double> previous_, flux_;
};

} // namespace moodsteer
