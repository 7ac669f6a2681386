#include "core/variations/VariationBenchmark.h"

#include "core/variations/VariationGenerator.h"
#include "core/variations/VariationMetrics.h"
#include "variations/TrainingSegments.h"

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <stdexcept>

namespace moodsteer {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kSegmentFrames = 200;

double mean(const std::vector<float>& v, std::size_t from = 0, std::size_t to = SIZE_MAX) {
    to = std::min(to, v.size());
    if (from >= to) return 0;
    return std::accumulate(v.begin() + static_cast<long>(from), v.begin() + static_cast<long>(to),
                           0.0) /
           double(to - from);
}

double pcc(const std::vector<float>& a, const std::vector<float>& b) {
    const std::size_t n = std::min(a.size(), b.size());
    if (n < 2) return 0;
    const double ma = mean(a, 0, n), mb = mean(b, 0, n);
    double sab = 0, saa = 0, sbb = 0;
    for (std::size_t i = 0; i < n; ++i) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return saa > 1e-12 && sbb > 1e-12 ? sab / std::sqrt(saa * sbb) : 0.0;
}

/// Running means of one table row.
struct Accumulator {
    double pitch = 0, duration = 0, ioi = 0, novelty = 0, diversity = 0, dv = 0, da = 0, r = 0;
    int n = 0, diversityN = 0;

    int emotionN = 0;

    void addSimilarity(const FeatureOverlap& oa, double nov) {
        pitch += oa.pitch;
        duration += oa.duration;
        ioi += oa.interOnset;
        novelty += nov;
        ++n;
    }
    void addEmotion(double dV, double dA, double corr) {
        dv += dV;
        da += dA;
        r += corr;
        ++emotionN;
    }
    void add(const FeatureOverlap& oa, double nov, double dV, double dA, double corr) {
        addSimilarity(oa, nov);
        addEmotion(dV, dA, corr);
    }
    VariationBenchRow row(const std::string& name) const {
        VariationBenchRow out;
        out.name = name;
        out.pairs = n;
        if (n == 0) return out;
        out.oaPitch = pitch / n;
        out.oaDuration = duration / n;
        out.oaInterOnset = ioi / n;
        out.novelty = novelty / n;
        out.valenceError = emotionN ? dv / emotionN : 0;
        out.arousalError = emotionN ? da / emotionN : 0;
        out.arousalPcc = emotionN ? r / emotionN : 0;
        out.emotionPairs = emotionN;
        out.diversity = diversityN ? diversity / diversityN : -1;
        return out;
    }
};

} // namespace

VariationBenchReport runVariationBenchmark(const VariationBenchOptions& o,
                                           const std::function<void(const std::string&)>& log,
                                           const std::atomic<bool>* cancel) {
    if (o.segments < 1 || o.count < 2)
        throw std::runtime_error("bench-variations needs at least 1 segment and 2 variations");
    const auto t0 = Clock::now();
    auto generator = VariationGenerator::load(o.modelDir, o.threads);
    const auto pieces = variations::loadPieces(o.corpusDir);
    std::vector<variations::SegmentRef> refs;
    for (std::size_t p = 0; p < pieces.codes.size() && static_cast<int>(refs.size()) < o.segments;
         ++p)
        if (pieces.codes[p].frames >= kSegmentFrames) refs.push_back({static_cast<int>(p), 0});
    if (refs.empty())
        throw std::runtime_error("corpus '" + o.corpusDir + "' has no piece of at least 8 s");
    std::vector<CodeGrid> inputs;
    for (const auto& r : refs)
        inputs.push_back(pieces.codes[static_cast<std::size_t>(r.piece)].slice(0, kSegmentFrames));

    VariationBenchReport report;
    report.segments = static_cast<int>(inputs.size());
    report.count = o.count;
    report.steps = o.steps;
    report.guidance = o.guidance;
    std::vector<Accumulator> perS(o.similarities.size());
    Accumulator random, self, withContext, withoutContext;
    std::vector<VariationShiftRow> shifts;
    for (double s : o.shiftSimilarities) {
        char name[48];
        std::snprintf(name, sizeof name, "arousal -2, s = %.2g", s);
        shifts.push_back({name, s, 0, -2});
        std::snprintf(name, sizeof name, "valence +2, s = %.2g", s);
        if (generator->canShiftValence()) shifts.push_back({name, s, 2, 0});
    }
    const int g0 = static_cast<int>(std::floor(o.gapBeginSeconds * 25));
    const int g1 = static_cast<int>(std::ceil(o.gapEndSeconds * 25));
    const std::size_t l0 = static_cast<std::size_t>(g0 / 4),
                      l1 = static_cast<std::size_t>((g1 + 3) / 4);

    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (cancel && cancel->load()) throw std::runtime_error("cancelled");
        const auto& x = inputs[i];
        // Rendering and judging a piece is most of the run's cost: the emotion columns are
        // measured on every emotionEvery-th input only.
        const bool judge = i % static_cast<std::size_t>(std::max(1, o.emotionEvery)) == 0;
        const auto cx = judge ? generator->attentionCurve(x) : AttentionCurve{};
        const double vx = mean(cx.valence), ax = mean(cx.arousal);
        // References: the input itself, and the next held-out segment of the same genre.
        self.add(VariationMetrics::similarity(x, x), VariationMetrics::novelty(x, x), 0, 0, 1);
        const auto& genre = pieces.genres[static_cast<std::size_t>(refs[i].piece)];
        for (std::size_t k = 1; k < inputs.size(); ++k) {
            const auto j = (i + k) % inputs.size();
            if (pieces.genres[static_cast<std::size_t>(refs[j].piece)] != genre) continue;
            random.addSimilarity(VariationMetrics::similarity(x, inputs[j]),
                                 VariationMetrics::novelty(x, inputs[j]));
            if (judge) {
                const auto cy = generator->attentionCurve(inputs[j]);
                random.addEmotion(std::abs(mean(cy.valence) - vx), std::abs(mean(cy.arousal) - ax),
                                  pcc(cx.arousal, cy.arousal));
            }
            break;
        }
        for (std::size_t s = 0; s < o.similarities.size(); ++s) {
            VariationRequest r;
            r.source = x;
            r.count = o.count;
            r.similarity = o.similarities[s];
            r.steps = o.steps;
            r.guidance = o.guidance;
            r.seed = o.seed + 1000 * i;
            const auto result = generator->generate(r, {}, cancel);
            if (result.cancelled) throw std::runtime_error("cancelled");
            std::vector<CodeGrid> vs;
            for (std::size_t k = 0; k < result.variations.size(); ++k) {
                const auto& v = result.variations[k];
                // The emotion columns judge the first variation of a judged input only.
                if (k == 0 && judge) {
                    const auto cv = generator->attentionCurve(v.codes);
                    perS[s].addEmotion(std::abs(mean(cv.valence) - vx),
                                       std::abs(mean(cv.arousal) - ax),
                                       pcc(cx.arousal, cv.arousal));
                }
                perS[s].addSimilarity(VariationMetrics::similarity(x, v.codes),
                                      VariationMetrics::novelty(x, v.codes));
                vs.push_back(v.codes);
            }
            perS[s].diversity += VariationMetrics::diversity(vs).mean();
            ++perS[s].diversityN;
        }
        // Emotion shifts: does the judged emotion move the way the condition was moved?
        for (std::size_t k = 0; judge && k < shifts.size(); ++k) {
            VariationRequest r;
            r.source = x;
            r.count = 1;
            r.similarity = shifts[k].similarity;
            r.steps = o.steps;
            r.guidance = o.guidance;
            r.seed = o.seed + 1000 * i + 700 + k;
            r.shiftValence = shifts[k].askedValence;
            r.shiftArousal = shifts[k].askedArousal;
            r.shiftGuidance = o.shiftGuidance;
            const auto c = generator->attentionCurve(
                generator->generate(r, {}, cancel).variations.at(0).codes);
            shifts[k].valenceChange += mean(c.valence) - vx;
            shifts[k].arousalChange += mean(c.arousal) - ax;
            ++shifts[k].pairs;
        }
        // Restoration of the gap: with its context (the rest re-imposed at every step) and
        // without (an unconditional free sample's gap), both against the original gap.
        VariationRequest r;
        r.source = x;
        r.count = 1;
        r.similarity = 1.0;
        r.steps = o.steps;
        r.guidance = o.guidance;
        r.seed = o.seed + 1000 * i + 500;
        r.restoreBeginSeconds = o.gapBeginSeconds;
        r.restoreEndSeconds = o.gapEndSeconds;
        const auto filled = generator->generate(r, {}, cancel).variations.at(0).codes;
        auto free = r;
        free.restoreBeginSeconds.reset();
        free.restoreEndSeconds.reset();
        free.guidance = 0; // the null condition only: no context at all
        const auto unconditioned = generator->generate(free, {}, cancel).variations.at(0).codes;
        const auto gapX = VariationMetrics::features(x, g0, g1);
        const double gapArousal = mean(cx.arousal, l0, l1), gapValence = mean(cx.valence, l0, l1);
        for (const auto& [codes, acc] :
             {std::pair{&filled, &withContext}, std::pair{&unconditioned, &withoutContext}}) {
            acc->addSimilarity(
                VariationMetrics::similarity(gapX, VariationMetrics::features(*codes, g0, g1)),
                VariationMetrics::novelty(x.slice(g0, g1), codes->slice(g0, g1)));
            if (!judge) continue;
            const auto c = generator->attentionCurve(*codes);
            std::vector<float> a(c.arousal.begin() + static_cast<long>(l0),
                                 c.arousal.begin() +
                                     static_cast<long>(std::min(l1, c.arousal.size())));
            std::vector<float> b(cx.arousal.begin() + static_cast<long>(l0),
                                 cx.arousal.begin() +
                                     static_cast<long>(std::min(l1, cx.arousal.size())));
            acc->addEmotion(std::abs(mean(c.valence, l0, l1) - gapValence),
                            std::abs(mean(c.arousal, l0, l1) - gapArousal), pcc(b, a));
        }
        if (log && ((i + 1) % 10 == 0 || i + 1 == inputs.size()))
            log("bench-variations: " + std::to_string(i + 1) + " of " +
                std::to_string(inputs.size()) + " segments (" +
                std::to_string(
                    static_cast<int>(std::chrono::duration<double>(Clock::now() - t0).count())) +
                " s)");
    }
    for (std::size_t s = 0; s < o.similarities.size(); ++s) {
        char name[32];
        std::snprintf(name, sizeof name, "s = %.2g", o.similarities[s]);
        report.rows.push_back(perS[s].row(name));
    }
    report.rows.push_back(random.row("random piece, same genre"));
    report.rows.push_back(self.row("input itself"));
    report.restoration.push_back(withContext.row("2 s gap, with context"));
    report.restoration.push_back(withoutContext.row("2 s gap, without context"));
    for (auto& s : shifts) {
        if (s.pairs > 0) {
            s.valenceChange /= s.pairs;
            s.arousalChange /= s.pairs;
        }
        report.shifts.push_back(s);
    }

    // Speed: `count` variations of one 8 s segment at s = 1 (every denoising step), wall time.
    double total = 0;
    for (int run = 0; run < o.speedRuns; ++run) {
        VariationRequest r;
        r.source = inputs[static_cast<std::size_t>(run) % inputs.size()];
        r.count = o.count;
        r.similarity = 1.0;
        r.steps = o.steps;
        r.guidance = o.guidance;
        r.seed = o.seed + static_cast<std::uint64_t>(run);
        total += generator->generate(r, {}, cancel).seconds;
    }
    report.speedSeconds = o.speedRuns > 0 ? total / o.speedRuns : 0;
    report.speedThreads = o.threads;
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    report.peakRssMb = usage.ru_maxrss / 1024.0;
    report.totalSeconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return report;
}

} // namespace moodsteer
