#include "core/variations/VariationMetrics.h"

#include "core/synth/SynthScore.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace moodsteer {

namespace {

double normalCdf(double x, const GaussianFit& g) {
    return 0.5 * std::erfc(-(x - g.mean) / (g.stddev * std::sqrt(2.0)));
}

bool pitched(SynthPart p) {
    return p != SynthPart::Drums;
}

} // namespace

NoteFeatures VariationMetrics::features(const CodeGrid& codes, int fromFrame, int toFrame) {
    const SynthScore score = SynthScore::fromCodes(codes);
    if (toFrame < 0) toFrame = score.frames;
    NoteFeatures f;
    std::vector<long> onsets;
    constexpr double kSixteenth = SynthScore::kTicksPerSixteenth;
    for (const auto& n : score.notes) {
        if (n.startFrame < fromFrame || n.startFrame >= toFrame) continue;
        onsets.push_back(n.startTick);
        if (!pitched(n.part)) continue;
        f.pitches.push_back(n.key);
        f.durations.push_back(static_cast<double>(n.endTick - n.startTick) / kSixteenth);
    }
    std::sort(onsets.begin(), onsets.end());
    onsets.erase(std::unique(onsets.begin(), onsets.end()), onsets.end());
    for (std::size_t i = 1; i < onsets.size(); ++i)
        f.interOnsets.push_back(static_cast<double>(onsets[i] - onsets[i - 1]) / kSixteenth);
    return f;
}

GaussianFit VariationMetrics::fit(const std::vector<double>& values) {
    GaussianFit g{0.0, kMinStddev};
    if (values.empty()) return g;
    double sum = 0.0;
    for (double v : values)
        sum += v;
    g.mean = sum / static_cast<double>(values.size());
    double sq = 0.0;
    for (double v : values)
        sq += (v - g.mean) * (v - g.mean);
    g.stddev = std::max(kMinStddev, std::sqrt(sq / static_cast<double>(values.size())));
    return g;
}

double VariationMetrics::overlapArea(const GaussianFit& a, const GaussianFit& b) {
    // Equal widths: the densities cross once, half-way between the means.
    if (std::abs(a.stddev - b.stddev) <= 1e-12 * std::max(a.stddev, b.stddev)) {
        const double d = std::abs(a.mean - b.mean);
        return std::erfc(d / (2.0 * a.stddev * std::sqrt(2.0)));
    }
    // Otherwise they cross twice, at the roots of log pdf_a = log pdf_b; between the roots
    // the wider density is the lower one.
    const GaussianFit& n = a.stddev < b.stddev ? a : b; // narrow
    const GaussianFit& w = a.stddev < b.stddev ? b : a; // wide
    const double vn = n.stddev * n.stddev, vw = w.stddev * w.stddev;
    const double qa = 1.0 / vn - 1.0 / vw;
    const double qb = -2.0 * (n.mean / vn - w.mean / vw);
    const double qc =
        n.mean * n.mean / vn - w.mean * w.mean / vw - 2.0 * std::log(w.stddev / n.stddev);
    const double disc = std::max(0.0, qb * qb - 4.0 * qa * qc);
    const double x1 = (-qb - std::sqrt(disc)) / (2.0 * qa);
    const double x2 = (-qb + std::sqrt(disc)) / (2.0 * qa);
    const double area =
        normalCdf(x1, n) + (normalCdf(x2, w) - normalCdf(x1, w)) + (1.0 - normalCdf(x2, n));
    return std::clamp(area, 0.0, 1.0);
}

double VariationMetrics::fittedOverlapArea(const std::vector<double>& a,
                                           const std::vector<double>& b) {
    if (a.empty() || b.empty()) return a.empty() && b.empty() ? 1.0 : 0.0;
    return overlapArea(fit(a), fit(b));
}

double VariationMetrics::histogramIntersection(const std::vector<double>& a,
                                               const std::vector<double>& b, double binWidth) {
    if (!(binWidth > 0.0)) throw std::invalid_argument("histogram bin width must be > 0");
    if (a.empty() || b.empty()) return a.empty() && b.empty() ? 1.0 : 0.0;
    std::map<long, std::pair<double, double>> bins;
    for (double v : a)
        bins[std::lround(std::floor(v / binWidth))].first += 1.0 / static_cast<double>(a.size());
    for (double v : b)
        bins[std::lround(std::floor(v / binWidth))].second += 1.0 / static_cast<double>(b.size());
    double sum = 0.0;
    for (const auto& [bin, pq] : bins)
        sum += std::min(pq.first, pq.second);
    return std::clamp(sum, 0.0, 1.0);
}

FeatureOverlap VariationMetrics::similarity(const NoteFeatures& a, const NoteFeatures& b) {
    return {fittedOverlapArea(a.pitches, b.pitches), fittedOverlapArea(a.durations, b.durations),
            fittedOverlapArea(a.interOnsets, b.interOnsets)};
}

FeatureOverlap VariationMetrics::similarity(const CodeGrid& a, const CodeGrid& b) {
    return similarity(features(a), features(b));
}

FeatureOverlap VariationMetrics::histogramSimilarity(const NoteFeatures& a, const NoteFeatures& b) {
    return {histogramIntersection(a.pitches, b.pitches, 1.0),
            histogramIntersection(a.durations, b.durations, 0.5),
            histogramIntersection(a.interOnsets, b.interOnsets, 0.5)};
}

double VariationMetrics::novelty(const CodeGrid& input, const CodeGrid& variation) {
    using Key = std::tuple<int, int, int>; // part, key, onset frame
    std::map<Key, int> have;
    for (const auto& n : SynthScore::fromCodes(input).notes)
        ++have[{static_cast<int>(n.part), n.key, n.startFrame}];
    const auto notes = SynthScore::fromCodes(variation).notes;
    if (notes.empty()) return 0.0;
    int fresh = 0;
    for (const auto& n : notes) {
        auto it = have.find({static_cast<int>(n.part), n.key, n.startFrame});
        if (it != have.end() && it->second > 0)
            --it->second;
        else
            ++fresh;
    }
    return static_cast<double>(fresh) / static_cast<double>(notes.size());
}

FeatureOverlap VariationMetrics::diversity(const std::vector<CodeGrid>& variations) {
    if (variations.size() < 2)
        throw std::invalid_argument("diversity needs at least two variations, got " +
                                    std::to_string(variations.size()));
    std::vector<NoteFeatures> f;
    for (const auto& v : variations)
        f.push_back(features(v));
    FeatureOverlap sum;
    int pairs = 0;
    for (std::size_t i = 0; i < f.size(); ++i)
        for (std::size_t j = i + 1; j < f.size(); ++j, ++pairs) {
            const auto s = similarity(f[i], f[j]);
            sum.pitch += s.pitch, sum.duration += s.duration, sum.interOnset += s.interOnset;
        }
    return {sum.pitch / pairs, sum.duration / pairs, sum.interOnset / pairs};
}

} // namespace moodsteer
