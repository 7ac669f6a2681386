#include "AlignmentReport.h"

#include <cstdio>

namespace moodsteer::cli {

void printZeroShotTable(const std::vector<ZeroShotResult>& results) {
    std::printf("zero-shot genre accuracy (text \"{genre} music\", argmax of cosine), held-out:\n");
    std::printf("  %-10s %6s %7s %9s %7s %11s %11s\n", "dataset", "clips", "genres", "accuracy",
                "chance", "cos(own)", "cos(other)");
    for (const auto& r : results)
        std::printf("  %-10s %6d %7zu %8.1f%% %6.1f%% %11.3f %11.3f\n", r.dataset.c_str(), r.clips,
                    r.genres.size(), 100 * r.accuracy, 100 * r.chance, r.ownGenreCosine,
                    r.otherGenreCosine);
    for (const auto& r : results)
        if (r.retrievalTop1 >= 0)
            std::printf("  %s: audio -> own prompt among %d prompts: top-1 %.1f%% (chance %.1f%%), "
                        "top-5 %.1f%% (chance %.1f%%), mean cosine to own prompt %.3f\n",
                        r.dataset.c_str(), r.clips, 100 * r.retrievalTop1, 100 * r.retrievalChance1,
                        100 * r.retrievalTop5, 100 * r.retrievalChance5, r.promptCosine);
}

nlohmann::json zeroShotJson(const std::vector<ZeroShotResult>& results) {
    auto out = nlohmann::json::array();
    for (const auto& r : results) {
        nlohmann::json j{{"dataset", r.dataset},
                         {"folder", r.folder},
                         {"clips", r.clips},
                         {"genres", r.genres},
                         {"accuracy", r.accuracy},
                         {"chance", r.chance},
                         {"own_genre_cosine", r.ownGenreCosine},
                         {"other_genre_cosine", r.otherGenreCosine},
                         {"confusion", r.confusion}};
        if (r.retrievalTop1 >= 0)
            j["prompt_retrieval"] = {{"top1", r.retrievalTop1},
                                     {"top5", r.retrievalTop5},
                                     {"chance_top1", r.retrievalChance1},
                                     {"chance_top5", r.retrievalChance5},
                                     {"mean_prompt_cosine", r.promptCosine}};
        out.push_back(j);
    }
    return out;
}

} // namespace moodsteer::cli
