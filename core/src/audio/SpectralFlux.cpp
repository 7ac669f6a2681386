#include "core/audio/SpectralFlux.h"

#include <kiss_fftr.h>

#include <algorithm>
#include <cmath>

namespace moodsteer {
namespace {

/// Frames whose span contains `seam` (margin 0), or comes within `margin` hops of it.
bool near(std::size_t hop, std::size_t seam, std::size_t margin) {
    const std::size_t start = hop * SpectralFlux::kHop;
    return start <= seam + margin * SpectralFlux::kHop &&
           seam < start + SpectralFlux::kFrame + margin * SpectralFlux::kHop;
}

} // namespace

struct SpectralFlux::Fft {
    kiss_fftr_cfg cfg = kiss_fftr_alloc(kFrame, 0, nullptr, nullptr);
    std::vector<float> window = std::vector<float>(kFrame);
    std::vector<float> frame = std::vector<float>(kFrame);
    std::vector<kiss_fft_cpx> spectrum = std::vector<kiss_fft_cpx>(kFrame / 2 + 1);
    Fft() {
        for (int i = 0; i < kFrame; ++i)
            window[i] = float(0.5 - 0.5 * std::cos(2 * M_PI * i / kFrame));
    }
    ~Fft() { kiss_fftr_free(cfg); }
};

SpectralFlux::SpectralFlux() : fft_(std::make_unique<Fft>()) {}
SpectralFlux::~SpectralFlux() = default;
SpectralFlux::SpectralFlux(SpectralFlux&&) noexcept = default;
SpectralFlux& SpectralFlux::operator=(SpectralFlux&&) noexcept = default;

void SpectralFlux::push(const float* samples, std::size_t count) {
    pending_.insert(pending_.end(), samples, samples + count);
    std::size_t at = 0;
    while (pending_.size() - at >= std::size_t(kFrame)) {
        for (int i = 0; i < kFrame; ++i)
            fft_->frame[i] = pending_[at + i] * fft_->window[i];
        kiss_fftr(fft_->cfg, fft_->frame.data(), fft_->spectrum.data());
        std::vector<double> magnitude(fft_->spectrum.size());
        for (std::size_t k = 0; k < magnitude.size(); ++k)
            magnitude[k] = std::hypot(fft_->spectrum[k].r, fft_->spectrum[k].i);
        double f = 0;
        if (!previous_.empty())
            for (std::size_t k = 0; k < magnitude.size(); ++k)
                f += std::max(0.0, magnitude[k] - previous_[k]);
        flux_.push_back(f); // the first frame has nothing before it: 0
        previous_ = std::move(magnitude);
        at += kHop;
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(at));
}

double SpectralFlux::fluxAt(std::size_t at) const {
    double most = 0;
    for (std::size_t h = 1; h < flux_.size(); ++h)
        if (near(h, at, 0)) most = std::max(most, flux_[h]);
    return most;
}

std::vector<double> SpectralFlux::seamScores(const std::vector<std::size_t>& seams) const {
    return scoresAt(seams, seams);
}

std::vector<double> SpectralFlux::scoresAt(const std::vector<std::size_t>& points,
                                           const std::vector<std::size_t>& seams) const {
    if (points.empty() || flux_.size() < 8) return {};
    std::vector<double> inside;
    for (std::size_t h = 1; h < flux_.size(); ++h) {
        bool close = false;
        for (std::size_t s : seams)
            close = close || near(h, s, 2);
        if (!close) inside.push_back(flux_[h]);
    }
    if (inside.empty()) return {};
    std::nth_element(inside.begin(), inside.begin() + inside.size() / 2, inside.end());
    const double median = std::max(1e-12, inside[inside.size() / 2]);
    std::vector<double> scores;
    for (std::size_t p : points)
        scores.push_back(fluxAt(p) / median);
    return scores;
}

std::pair<double, double> SpectralFlux::seamScore(const std::vector<std::size_t>& seams) const {
    const std::vector<double> scores = seamScores(seams);
    if (scores.empty()) return {0, 0};
    double sum = 0, most = 0;
    for (double s : scores) {
        sum += s;
        most = std::max(most, s);
    }
    return {sum / scores.size(), most};
}

} // namespace moodsteer
