#include "session/SeamChoice.h"
#include "audio/CodeGridJoin.h"
#include "session/ContextReadAhead.h"

#include "core/audio/SpectralFlux.h"

#include <algorithm>
#include <chrono>
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
    if (frames < cutWindowFrames(samplesPerFrame, frameRate)) return 0;
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
                                      int candidates, const std::atomic<bool>* cancel,
                                      std::unique_ptr<WindowDecoder> ahead) const {
    const AudioCodec& codec = family.codec();
    const int openingFrames = std::min(
        request.newFrames,
        std::max(2, static_cast<int>(std::ceil(kOpeningSeconds * family.info().frameRate))));
    Result best;
    best.seed = firstSeed;
    best.score = std::numeric_limits<double>::infinity();
    const auto cancelled = [&] { return cancel && cancel->load(std::memory_order_relaxed); };
    // Steps a window until its opening frames are final (at most `most` steps).
    const auto open = [&](WindowDecoder& w, int most) {
        int frames = 0;
        while (!w.done() && frames < openingFrames && w.stepsDone() < most && !cancelled())
            frames += w.step().frames;
    };
    // Candidate c's opening heard and scored; true: stop here (smooth, or cancelled before
    // its first frame).
    const auto judgeHeard = [&](int c, const std::vector<float>& audio) {
        const double s = score(audio);
        if (s < best.score) {
            best.score = s;
            best.seed = firstSeed + static_cast<std::uint64_t>(c);
            best.candidate = c;
        }
        return s <= kSmooth;
    };
    const auto judge = [&](int c, CodeGrid opening) {
        if (opening.frames > openingFrames) opening = opening.slice(0, openingFrames);
        if (opening.frames == 0) return true;
        return judgeHeard(c, openingAudio(codec, stream, request.context, opening));
    };
    std::unique_ptr<WindowDecoder> window; // prefilled once, restarted for each candidate
    const auto begin = [&] {
        const auto t0 = std::chrono::steady_clock::now();
        window = settleOrBegin(family, request, std::move(ahead));
        best.aheadColumns = std::max(best.aheadColumns, window->contextColumnsRead());
        window->prefill();
        best.prefillSeconds +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    const int count = std::max(1, candidates);
    // Every candidate's opening at once where the window can fork (a decode step reads the
    // weights once for all of them), judged in order as one at a time would be: the same
    // candidate is kept.
    bool forked = false;
    if (count > 1 && !cancelled()) {
        request.seed = firstSeed;
        begin();
        std::vector<std::uint64_t> seeds;
        for (int c = 0; c < count; ++c)
            seeds.push_back(firstSeed + static_cast<std::uint64_t>(c));
        const int steps = openingFrames + family.info().numCodebooks; // the delay pattern's too
        forked = window->fork(seeds, steps);
        if (forked) {
            open(*window, steps);
            const std::vector<CodeGrid> openings = window->takeCodes();
            // Every opening goes into its own copy of the stream before any is heard: a
            // pipelined stream's copies decode side by side on their own threads (four
            // musicgen-small openings: 0.10-0.19 s against 0.17-0.25 s one after another).
            std::vector<std::unique_ptr<StreamDecoder>> copies(openings.size());
            std::vector<std::vector<float>> heard(openings.size());
            for (std::size_t i = 0; i < openings.size(); ++i) {
                const CodeGrid& o = openings[i];
                if (o.frames > 0 && (copies[i] = stream.clone()))
                    heard[i] = copies[i]->push(o.slice(0, std::min(o.frames, openingFrames)));
            }
            best.tried = count;
            for (int c = 0; c < count; ++c) {
                const auto i = static_cast<std::size_t>(c);
                if (!copies.at(i)) {
                    if (judge(c, openings.at(i))) break;
                    continue;
                }
                const std::vector<float> rest = copies[i]->drain();
                heard[i].insert(heard[i].end(), rest.begin(), rest.end());
                if (judgeHeard(c, heard[i])) break;
            }
        }
    }
    for (int c = 0; !forked && c < count && !cancelled(); ++c) {
        request.seed = firstSeed + static_cast<std::uint64_t>(c);
        if (!window || !window->restart(request.seed)) {
            window.reset(); // its KV cache goes before the next candidate's is made
            begin();
        }
        open(*window, std::numeric_limits<int>::max());
        ++best.tried;
        if (judge(c, window->newCodes())) break;
    }
    if (!std::isfinite(best.score)) best.score = 0;
    // Forked, the kept candidate goes on from its opening; else back to the kept seed.
    if (window && ((forked && window->keep(best.candidate)) || window->restart(best.seed)))
        best.window = std::move(window);
    return best;
}

} // namespace moodsteer
