#include "core/steering/SteeringBenchmark.h"

#include "core/alignment/AlignmentModel.h"
#include "core/steering/SteeringVector.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <sstream>

namespace moodsteer {

namespace {

std::string fillTemplate(std::string t, const std::string& label) {
    for (auto pos = t.find("{label}"); pos != std::string::npos;
         pos = t.find("{label}", pos + label.size()))
        t.replace(pos, 7, label);
    return t;
}

bool tempoClose(double ratio) {
    return std::isfinite(ratio) && std::abs(ratio - 1.0) <= 0.08;
}

} // namespace

SteeringBenchmarkReport runSteeringBenchmark(MusicEngine& engine, const GenreClassifier& scorer,
                                             const SteeringBenchmarkOptions& o,
                                             const std::function<void(int, int)>& progress,
                                             const std::atomic<bool>* cancel) {
    if (o.pairs.empty())
        throw std::invalid_argument("the steering benchmark needs at least one source:target pair");
    if (o.seeds.empty() || o.alphas.empty())
        throw std::invalid_argument("the steering benchmark needs seeds and alphas");
    SteeringBenchmarkReport rep;
    rep.modelId = engine.info().id;
    rep.scorerGenres = scorer.genres();
    rep.scorerAccuracy = scorer.heldOutAccuracy();
    rep.alignmentModel = o.alignment ? o.alignment->path() : "";
    // Check every vector and genre before the first generation.
    for (const auto& [source, target] : o.pairs) {
        scorer.genreIndex(target);
        auto it = o.vectors.find(target);
        if (it == o.vectors.end())
            throw std::invalid_argument("no steering vector given for target '" + target + "'");
        const auto v = SteeringVector::load(it->second, rep.modelId);
        if (v.label != target)
            throw SteeringError(it->second + ": the vector points to '" + v.label +
                                "', not to the target '" + target + "'");
    }
    std::size_t steered = 0;
    for (double a : o.alphas)
        steered += a != 0.0;
    const int total = static_cast<int>(o.pairs.size() * o.seeds.size() * (1 + steered));
    int done = 0;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (const auto& [source, target] : o.pairs) {
        const int ti = scorer.genreIndex(target);
        int si = -1;
        for (std::size_t i = 0; i < scorer.genres().size(); ++i)
            if (scorer.genres()[i] == source) si = static_cast<int>(i);
        for (auto seed : o.seeds) {
            Recipe r;
            auto ids = o.promptIds.find(source);
            if (ids != o.promptIds.end())
                r.promptIds = ids->second;
            else
                r.prompt = fillTemplate(o.promptTemplate, source);
            r.seed = seed;
            r.seconds = o.seconds;
            r.steps = o.steps;
            r.guidance = o.guidance;
            r.topK = o.topK;
            r.temperature = o.temperature;
            GenerationCallbacks cb;
            cb.cancel = cancel;
            auto run = [&](double alpha) {
                Recipe s = r;
                if (alpha != 0.0) {
                    SteeringSpec spec;
                    spec.vectorPath = o.vectors.at(target);
                    spec.label = target;
                    spec.layer = o.layer;
                    spec.alpha = alpha;
                    s.steering.push_back(spec);
                }
                auto res = engine.generate(s, cb);
                if (res.cancelled) throw EngineError("cancelled");
                if (progress) progress(++done, total);
                return res;
            };
            const auto base = run(0.0);
            const auto pBase = scorer.probabilities(base.audio);
            // Alignment of a clip to the target's and the source's genre text.
            const auto align = [&](const AudioBuffer& audio) -> std::pair<double, double> {
                if (!o.alignment) return {nan, nan};
                const auto e = o.alignment->embedAudio(audio);
                const auto s = o.alignment->genreScores(e, {target, source});
                return {s[0], s[1]};
            };
            const auto aBase = align(base.audio);
            const double tempoBase = clipTempoBpm(base.audio);
            for (double alpha : o.alphas) {
                const auto res = alpha == 0.0 ? base : run(alpha);
                const auto p = alpha == 0.0 ? pBase : scorer.probabilities(res.audio);
                SteeringBenchmarkRow row;
                row.source = source;
                row.target = target;
                row.alpha = alpha;
                row.seed = seed;
                row.targetScore = p[static_cast<std::size_t>(ti)];
                row.sourceScore = si >= 0 ? p[static_cast<std::size_t>(si)] : nan;
                row.targetGain = row.targetScore - pBase[static_cast<std::size_t>(ti)];
                row.tempoBpm = alpha == 0.0 ? tempoBase : clipTempoBpm(res.audio);
                row.tempoRatio = tempoBase > 0 ? row.tempoBpm / tempoBase : nan;
                std::size_t diff = 0;
                for (std::size_t i = 0; i < res.codes.size(); ++i)
                    diff += res.codes[i] != base.codes[i];
                row.codesChanged = res.codes.empty() ? 0.0 : double(diff) / res.codes.size();
                const auto a = alpha == 0.0 ? aBase : align(res.audio);
                row.alignTarget = a.first;
                row.alignSource = a.second;
                row.alignTargetGain = a.first - aBase.first;
                rep.rows.push_back(row);
            }
        }
    }
    // Summaries over seeds, in (pair, alpha) order.
    for (const auto& [source, target] : o.pairs)
        for (double alpha : o.alphas) {
            SteeringBenchmarkSummary s;
            s.source = source;
            s.target = target;
            s.alpha = alpha;
            s.targetScore = s.targetGain = s.sourceScore = s.tempoRatio = s.tempoPreserved =
                s.codesChanged = s.alignTarget = s.alignTargetGain = s.alignSource = 0;
            int n = 0;
            for (const auto& row : rep.rows)
                if (row.source == source && row.target == target && row.alpha == alpha) {
                    s.targetScore += row.targetScore;
                    s.targetGain += row.targetGain;
                    s.sourceScore += row.sourceScore;
                    s.tempoRatio += row.tempoRatio;
                    s.tempoPreserved += tempoClose(row.tempoRatio);
                    s.codesChanged += row.codesChanged;
                    s.alignTarget += row.alignTarget;
                    s.alignTargetGain += row.alignTargetGain;
                    s.alignSource += row.alignSource;
                    ++n;
                }
            for (double* v :
                 {&s.targetScore, &s.targetGain, &s.sourceScore, &s.tempoRatio, &s.tempoPreserved,
                  &s.codesChanged, &s.alignTarget, &s.alignTargetGain, &s.alignSource})
                *v /= n;
            rep.summary.push_back(s);
        }
    return rep;
}

std::string SteeringBenchmarkReport::toJson(int indent) const {
    using nlohmann::json;
    auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
    json j;
    j["model_id"] = modelId;
    j["scorer"] = {{"kind", "softmax probe on clip mean and spread of dsp features (tempo "
                            "excluded), trained on SynthCodec-rendered corpus pieces"},
                   {"genres", scorerGenres},
                   {"held_out_accuracy", scorerAccuracy}};
    j["tempo_preserved_within"] = 0.08;
    if (!alignmentModel.empty())
        j["alignment"] = {{"model", alignmentModel},
                          {"score", "cosine of the clip to \"{genre} music\" (text-audio "
                                    "alignment model, docs/alignment.md)"}};
    json s = json::array();
    for (const auto& x : summary)
        s.push_back({{"source", x.source},
                     {"target", x.target},
                     {"alpha", x.alpha},
                     {"target_score", num(x.targetScore)},
                     {"target_gain", num(x.targetGain)},
                     {"source_score", num(x.sourceScore)},
                     {"tempo_ratio", num(x.tempoRatio)},
                     {"tempo_preserved", num(x.tempoPreserved)},
                     {"codes_changed", num(x.codesChanged)},
                     {"align_target", num(x.alignTarget)},
                     {"align_target_gain", num(x.alignTargetGain)},
                     {"align_source", num(x.alignSource)}});
    j["summary"] = s;
    json r = json::array();
    for (const auto& x : rows)
        r.push_back({{"source", x.source},
                     {"target", x.target},
                     {"alpha", x.alpha},
                     {"seed", x.seed},
                     {"target_score", num(x.targetScore)},
                     {"source_score", num(x.sourceScore)},
                     {"target_gain", num(x.targetGain)},
                     {"tempo_bpm", num(x.tempoBpm)},
                     {"tempo_ratio", num(x.tempoRatio)},
                     {"codes_changed", num(x.codesChanged)},
                     {"align_target", num(x.alignTarget)},
                     {"align_target_gain", num(x.alignTargetGain)},
                     {"align_source", num(x.alignSource)}});
    j["rows"] = r;
    return j.dump(indent);
}

std::string SteeringBenchmarkReport::toCsv() const {
    std::ostringstream out;
    out << "source,target,alpha,target_score,target_gain,source_score,tempo_ratio,"
           "tempo_preserved,codes_changed,align_target,align_target_gain,align_source\n";
    for (const auto& x : summary)
        out << x.source << ',' << x.target << ',' << x.alpha << ',' << x.targetScore << ','
            << x.targetGain << ',' << x.sourceScore << ',' << x.tempoRatio << ','
            << x.tempoPreserved << ',' << x.codesChanged << ',' << x.alignTarget << ','
            << x.alignTargetGain << ',' << x.alignSource << '\n';
    return out.str();
}

} // namespace moodsteer
