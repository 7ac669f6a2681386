// evaluateZeroShot: zero-shot genre accuracy (and, on a corpus, prompt retrieval) on held-out
// folders.
#include "core/alignment/AlignmentEvaluation.h"

#include "AlignmentData.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace moodsteer {
namespace {

ZeroShotResult score(const AlignmentModel& model, const std::vector<AlignmentClip>& clips,
                     const std::string& dataset, const std::string& folder, bool retrieval) {
    ZeroShotResult r;
    r.dataset = dataset;
    r.folder = folder;
    r.clips = static_cast<int>(clips.size());
    if (clips.empty()) throw std::runtime_error("'" + folder + "': no clips to evaluate");
    std::set<std::string> genres;
    for (const auto& c : clips)
        genres.insert(c.genre);
    r.genres.assign(genres.begin(), genres.end());
    const std::size_t k = r.genres.size();
    r.chance = 1.0 / static_cast<double>(k);
    r.confusion.assign(k, std::vector<int>(k, 0));
    std::vector<std::vector<float>> audio;
    int correct = 0;
    double own = 0, other = 0;
    for (const auto& c : clips) {
        audio.push_back(model.embedWindows(c.windows));
        const auto s = model.genreScores(audio.back(), r.genres);
        const auto truth = static_cast<std::size_t>(
            std::find(r.genres.begin(), r.genres.end(), c.genre) - r.genres.begin());
        const auto pred =
            static_cast<std::size_t>(std::max_element(s.begin(), s.end()) - s.begin());
        ++r.confusion[truth][pred];
        correct += truth == pred;
        own += s[truth];
        for (std::size_t g = 0; g < k; ++g)
            if (g != truth) other += s[g] / static_cast<double>(std::max<std::size_t>(1, k - 1));
    }
    r.accuracy = static_cast<double>(correct) / r.clips;
    r.ownGenreCosine = own / r.clips;
    r.otherGenreCosine = other / r.clips;
    if (retrieval) {
        std::vector<std::vector<float>> text;
        for (const auto& c : clips)
            text.push_back(model.embedText(c.texts.front()));
        int top1 = 0, top5 = 0;
        double cos = 0;
        for (std::size_t i = 0; i < clips.size(); ++i) {
            const double mine = AlignmentModel::cosine(audio[i], text[i]);
            cos += mine;
            int better = 0;
            for (std::size_t j = 0; j < clips.size(); ++j)
                better += j != i && AlignmentModel::cosine(audio[i], text[j]) > mine;
            top1 += better == 0;
            top5 += better < 5;
        }
        const double n = static_cast<double>(clips.size());
        r.retrievalTop1 = top1 / n;
        r.retrievalTop5 = top5 / n;
        r.retrievalChance1 = 1.0 / n;
        r.retrievalChance5 = std::min(1.0, 5.0 / n);
        r.promptCosine = cos / n;
    }
    return r;
}

} // namespace

std::vector<ZeroShotResult> evaluateZeroShot(const AlignmentModel& model,
                                             const AlignmentEvalOptions& o) {
    AlignmentLoadContext ctx;
    ctx.cacheDir = o.cacheDir;
    ctx.useCache = o.useCache;
    ctx.progress = o.progress;
    ctx.cancel = o.cancel;
    std::vector<ZeroShotResult> out;
    if (!o.corpusDir.empty())
        out.push_back(
            score(model, loadAlignmentCorpus(o.corpusDir, ctx), "corpus", o.corpusDir, true));
    if (!o.musifeastDir.empty()) {
        auto clips = loadAlignmentRecordings(o.musifeastDir, "musifeast", ctx);
        const auto it = model.metadata().find("musifeast_held_out");
        if (it != model.metadata().end()) {
            std::vector<std::string> held;
            try {
                held = nlohmann::json::parse(it->second).get<std::vector<std::string>>();
            } catch (const std::exception&) {
                throw std::runtime_error("alignment model '" + model.path() +
                                         "': metadata 'musifeast_held_out' is not a list of files");
            }
            const std::set<std::string> keep(held.begin(), held.end());
            std::erase_if(clips, [&](const AlignmentClip& c) { return !keep.count(c.file); });
        }
        out.push_back(score(model, clips, "musifeast", o.musifeastDir, false));
    }
    if (!o.genreDir.empty())
        out.push_back(score(model, loadAlignmentRecordings(o.genreDir, "genre", ctx), "genre",
                            o.genreDir, false));
    return out;
}

} // namespace moodsteer
