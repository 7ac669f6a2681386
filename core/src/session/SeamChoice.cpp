#include "session/SeamChoice.h"
#include "audio/CodeGridJoin.h"

#include "core/audio/SpectralFlux.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace moodsteer {
namespace {

constexpr double kWarmUpSeconds = 1.0; ///< context decoded before an opening (no state copy)

/// The fewest frames cutBack() cuts: one flux frame's worth.
int minCutFrames(int samplesPerFrame) {
    return (SpectralFlux::kFrame + samplesPerFrame - 1) / std::max(1, samplesPerFrame);
}

/// The opening as the stream would play it: through a copy of the stream decoder, else decoded
/// after the last second of its context (an approximation of the stream's codec state).
std::vector<float> openingAudio(const AudioCodec& codec, const StreamDecoder& stream,
                                const CodeGrid& context, const CodeGrid& opening) {
    if (auto copy = stream.clone()) return copy->pushAndDrain(opening);
    const int warm =
        std::min(context.frames, static_cast<int>(std::lround(kWarmUpSeconds * codec.frameRate())));
    const CodeGrid both =
        warm > 0 ? joinFrames(context.slice(context.frames - warm, context.frames), opening)
                 : opening;
    std::vector<float> audio = codec.decode(both).samples;
    const auto skip = std::min(audio.size(), static_cast<std::size_t>(warm) *
                                                 static_cast<std::size_t>(codec.samplesPerFrame()));
    audio.erase(audio.begin(), audio.begin() + static_cast<std::ptrdiff_t>(skip));
    audio.resize(std::min(audio.size(), static_cast<std::size_t>(opening.frames) *
                                            static_cast<std::size_t>(codec.samplesPerFrame())));
    return audio;
}

} // namespace

void SeamChoice::heard(const float* samples, std::size_t count) {
    tail_.insert(tail_.end(), samples, samples + count);
    streamSamples_ += count;
    const std::size_t keep = static_cast<std::size_t>(kTailSeconds * sampleRate_);
    if (tail_.size() > keep + SpectralFlux::kHop) {
        // Drop whole hops, so the tail keeps starting on the stream's hop grid.
        const std::size_t drop = (tail_.size() - keep) / SpectralFlux::kHop * SpectralFlux::kHop;
        tail_.erase(tail_.begin(), tail_.begin() + static_cast<std::ptrdiff_t>(drop));
    }
}

double SeamChoice::score(const std::vector<float>& opening) const {
    SpectralFlux flux;
    flux.push(tail_.data(), tail_.size());
    flux.push(opening.data(), opening.size());
    const std::size_t seam = tail_.size();
    // The tail's own hops, at least two hops clear of the seam (as bench-session's median).
    std::vector<double> before;
    const auto& f = flux.flux();
    for (std::size_t h = 1; h < f.size(); ++h)
        if (h * SpectralFlux::kHop + SpectralFlux::kFrame + 2 * SpectralFlux::kHop <= seam)
            before.push_back(f[h]);
    if (before.size() < 8) return 0; // too little music before the seam to judge by
    std::nth_element(before.begin(), before.begin() + before.size() / 2, before.end());
    const double median = std::max(1e-12, before[before.size() / 2]);
    return flux.fluxAt(seam) / median;
}

int SeamChoice::maxCutFrames(int samplesPerFrame, double frameRate) {
    return std::max(minCutFrames(samplesPerFrame),
                    static_cast<int>(std::lround(kMaxCutSeconds * frameRate)));
}

int SeamChoice::cutBack(const std::vector<float>& audio, int samplesPerFrame,
                        double frameRate) const {
    const int frames = static_cast<int>(audio.size()) / std::max(1, samplesPerFrame);
    const int minCut = minCutFrames(samplesPerFrame);
    const int maxCut = maxCutFrames(samplesPerFrame, frameRate);
    if (frames < 4 * maxCut) return 0;
    // The window's last seconds, starting on the stream's hop grid (counted from its first
    // sample, as bench-session counts them).
    const std::size_t end = streamSamples_ + audio.size();
    const std::size_t want = static_cast<std::size_t>(maxCut + 2) * samplesPerFrame +
                             static_cast<std::size_t>(4 * SpectralFlux::kHop);
    std::size_t start = end > want ? (end - want) / SpectralFlux::kHop * SpectralFlux::kHop : 0;
    start = std::max(start, streamSamples_); // the window's own audio only
    start = (start + SpectralFlux::kHop - 1) / SpectralFlux::kHop * SpectralFlux::kHop;
    SpectralFlux flux;
    flux.push(audio.data() + (start - streamSamples_), end - start);
    int best = 0;
    double lowest = std::numeric_limits<double>::infinity();
    for (int d = minCut; d <= maxCut; ++d) {
        const std::size_t at = end - static_cast<std::size_t>(d) * samplesPerFrame;
        if (at < start + 2 * SpectralFlux::kHop) break;
        const double f = flux.fluxAt(at - start);
        if (f < lowest) {
            lowest = f;
            best = d;
        }
    }
    return best;
}

SeamChoice::Result SeamChoice::choose(ModelFamily& family, WindowRequest request,
                                      const StreamDecoder& stream, std::uint64_t firstSeed,
                                      int candidates, const std::atomic<bool>* cancel) const {
    const AudioCodec& codec = family.codec();
    const int openingFrames = std::min(
        request.newFrames,
        std::max(2, static_cast<int>(std::ceil(kOpeningSeconds * family.info().frameRate))));
    Result best;
    best.seed = firstSeed;
    best.score = std::numeric_limits<double>::infinity();
    std::unique_ptr<WindowDecoder> window; // prefilled once, restarted for each candidate
    for (int c = 0; c < std::max(1, candidates); ++c) {
        if (cancel && cancel->load(std::memory_order_relaxed)) break;
        request.seed = firstSeed + static_cast<std::uint64_t>(c);
        if (!window || !window->restart(request.seed)) {
            window.reset(); // its KV cache goes before the next candidate's is made
            window = family.begin(request);
            window->prefill();
        }
        int frames = 0;
        while (!window->done() && frames < openingFrames) {
            if (cancel && cancel->load(std::memory_order_relaxed)) break;
            frames += window->step().frames;
        }
        CodeGrid opening = window->newCodes();
        ++best.tried;
        if (opening.frames > openingFrames) opening = opening.slice(0, openingFrames);
        if (opening.frames == 0) break; // cancelled before its first frame
        const double s = score(openingAudio(codec, stream, request.context, opening));
        if (s < best.score) {
            best.score = s;
            best.seed = request.seed;
            best.candidate = c;
        }
        if (s <= kSmooth) break;
    }
    if (!std::isfinite(best.score)) best.score = 0;
    if (window && window->restart(best.seed)) best.window = std::move(window);
    return best;
}

} // namespace moodsteer
