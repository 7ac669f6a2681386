// moodsteer-cli bench-variations: the variation generator's trade-off table (issue #21).
#include "CliCommand.h"
#include "CliSupport.h"
#include "Interrupt.h"
#include "OptionTable.h"

#include "core/variations/VariationBenchmark.h"
#include "core/variations/VariationGenerator.h"

#include <cstdio>
#include <iostream>

namespace moodsteer::cli {
namespace {

const char* kHelp =
    R"(usage: moodsteer-cli bench-variations --corpus DIR [--segments 100] [--json]

Measures the variation generator on held-out corpus segments (the first 8 s of each piece of
DIR, made with another seed than the training corpus): for each segment, --count variations at
s = 0.3, 0.6 and 1.0, and the restoration of a 2 s gap (3 s to 5 s).

Columns: OA pitch / duration / inter-onset = overlapping area of Gaussians fitted to those
values of input and variation (1 = same distribution); novelty = share of the variation's notes
not in the input; diversity = mean pairwise OA among the variations of one input (lower = more
diverse); |dV|, |dA| = mean absolute difference of the Emotion Predictor's valence and arousal
(1..9, mean of 5 s windows every 1 s; judged on the first variation of every --judge-every-th
input); PCC = correlation of the arousal curves. References: a
random held-out piece of the same genre, and the input itself. Restoration rows compare the
filled gap with the original gap (with context: the rest of the piece re-imposed at every step;
without: an unconditional free sample). Speed: --count variations of one 8 s segment at s = 1
on --threads threads (wall time); peak RSS of the whole run. Emotion shifts: for each judged
input, one variation at s = 0.6 and one at s = 1 with the arousal moved by -2 and, for a model
whose curve has a valence channel, the same with the valence moved by +2; the mean change of the
judged emotion.

  --corpus DIR       held-out corpus (`moodsteer-cli corpus --tokens-only --seed ...`)
  --model DIR        variation weights (default: resources/variations)
  --segments N       inputs (default 100)
  --count N          variations per input and similarity (default 4)
  --ddim-steps N (20)  --guidance G (2)  --seed N (1)  --threads N (1)
  --judge-every N    judge the emotion of every N-th input (default 4; 1 = all, slower)
  --json             machine-readable report on stdout
)";

nlohmann::json rowJson(const VariationBenchRow& r) {
    nlohmann::json j{{"name", r.name},
                     {"oa_pitch", r.oaPitch},
                     {"oa_duration", r.oaDuration},
                     {"oa_inter_onset", r.oaInterOnset},
                     {"novelty", r.novelty},
                     {"valence_error", r.valenceError},
                     {"arousal_error", r.arousalError},
                     {"arousal_pcc", r.arousalPcc},
                     {"pairs", r.pairs},
                     {"emotion_pairs", r.emotionPairs}};
    if (r.diversity >= 0) j["diversity"] = r.diversity;
    return j;
}

void printRow(const VariationBenchRow& r) {
    char diversity[16] = "     -";
    if (r.diversity >= 0) std::snprintf(diversity, sizeof diversity, "%6.3f", r.diversity);
    std::printf("%-26s %8.3f %8.3f %8.3f %8.3f %9s %6.2f %6.2f %7.3f\n", r.name.c_str(), r.oaPitch,
                r.oaDuration, r.oaInterOnset, r.novelty, diversity, r.valenceError, r.arousalError,
                r.arousalPcc);
}

int run(const std::vector<std::string>& argv) {
    Args args(argv, {"json", "help"});
    if (args.has("help")) {
        std::cout << kHelp << optionRangesHelp(kHelp);
        return 0;
    }
    args.allowOnly({"corpus", "model", "segments", "count", "ddim-steps", "guidance", "seed",
                    "threads", "judge-every", "shift-guidance", "json", "help"},
                   0);
    VariationBenchOptions o;
    o.corpusDir = args.require("corpus");
    o.modelDir = args.get("model", VariationGenerator::shippedFolder());
    if (o.modelDir.empty())
        throw UsageError("no variation model: resources/variations is missing (pass --model DIR)");
    o.segments = static_cast<int>(args.getInt("segments", 100));
    o.count = static_cast<int>(args.getInt("count", 4));
    if (o.count < 2 || o.count > VariationRequest::kMaxCount)
        throw UsageError("--count must be 2 to 16 (diversity needs pairs), got " +
                         std::to_string(o.count));
    o.steps = static_cast<int>(args.getInt("ddim-steps", 20));
    o.guidance = args.getDouble("guidance", 2.0);
    o.seed = args.getU64("seed", 1);
    o.threads = static_cast<int>(args.getInt("threads", 1));
    o.emotionEvery = static_cast<int>(args.getInt("judge-every", 4));
    o.shiftGuidance = args.getDouble("shift-guidance", VariationRequest::kDefaultShiftGuidance);
    VariationBenchReport rep;
    try {
        rep = runVariationBenchmark(
            o, [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); },
            interruptFlag());
    } catch (const VariationError& e) {
        throw UsageError(e.what());
    }
    if (args.has("json")) {
        nlohmann::json j{
            {"segments", rep.segments},          {"count", rep.count},
            {"ddim_steps", rep.steps},           {"guidance", rep.guidance},
            {"rows", nlohmann::json::array()},   {"restoration", nlohmann::json::array()},
            {"speed_seconds", rep.speedSeconds}, {"speed_threads", rep.speedThreads},
            {"peak_rss_mb", rep.peakRssMb},      {"total_seconds", rep.totalSeconds}};
        for (const auto& r : rep.rows)
            j["rows"].push_back(rowJson(r));
        for (const auto& r : rep.restoration)
            j["restoration"].push_back(rowJson(r));
        j["shifts"] = nlohmann::json::array();
        for (const auto& s : rep.shifts)
            j["shifts"].push_back({{"name", s.name},
                                   {"similarity", s.similarity},
                                   {"asked_valence", s.askedValence},
                                   {"asked_arousal", s.askedArousal},
                                   {"valence_change", s.valenceChange},
                                   {"arousal_change", s.arousalChange},
                                   {"pairs", s.pairs}});
        std::cout << jsonText(j, 2) << "\n";
        return 0;
    }
    std::printf("bench-variations: %d held-out 8 s segments x %d variations, DDIM %d steps, "
                "guidance %.3g; emotion columns over %d inputs (the first variation of each)\n\n",
                rep.segments, rep.count, rep.steps, rep.guidance,
                rep.rows.empty() ? 0 : rep.rows.front().emotionPairs);
    std::printf("%-26s %8s %8s %8s %8s %9s %6s %6s %7s\n", "", "OA pitch", "OA dur", "OA IOI",
                "novelty", "diversity", "|dV|", "|dA|", "PCC(a)");
    for (const auto& r : rep.rows)
        printRow(r);
    std::printf("\nrestoration (filled gap vs the original gap)\n");
    for (const auto& r : rep.restoration)
        printRow(r);
    std::printf("\nemotion shifts (mean change of the judged emotion, variation - input)\n");
    for (const auto& s : rep.shifts)
        std::printf("%-26s asked dV %+.1f dA %+.1f: got dV %+.2f dA %+.2f (%d inputs)\n",
                    s.name.c_str(), s.askedValence, s.askedArousal, s.valenceChange,
                    s.arousalChange, s.pairs);
    std::printf("\nspeed: %d variations of 8 s in %.2f s on %d thread(s) (mean of 3, s = 1); "
                "peak RSS %.0f MB; whole run %.0f s\n",
                rep.count, rep.speedSeconds, rep.speedThreads, rep.peakRssMb, rep.totalSeconds);
    return 0;
}

const CliCommand registration("bench-variations",
                              "measure the variation generator (similarity, novelty, emotion)",
                              run);

} // namespace
} // namespace moodsteer::cli
