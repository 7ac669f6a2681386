#include "bench/EmbeddedBenchmark.h"

#include "core/engine/MusicEngine.h"

#include <algorithm>
#include <chrono>

namespace moodsteer {
namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

} // namespace

void benchEmbeddedModel(const std::vector<std::string>& precisions, int threads, double seconds,
                        BenchReport& report, const std::function<void(const std::string&)>& say) {
    const std::string folder = MusicEngine::embeddedModelFolder();
    if (folder.empty()) return;
    report.embeddedClipSeconds = seconds;
    for (const auto& precision : precisions) {
        say("embedded model: streaming generation with " + precision + " weights");
        auto engine = MusicEngine::load(folder, LoadOptions{threads, precision});
        report.embeddedModel = engine->info().id + " (" + engine->info().codecName + ")";
        Recipe recipe;
        recipe.prompt = "a calm jazz piece with piano and upright bass";
        recipe.seconds = seconds;
        std::vector<double> firstAudio, perStep;
        int steps = 0;
        const int runs = 6; // the first is a warm-up (allocations, primitive creation)
        for (int run = 0; run < runs; ++run) {
            recipe.seed = 10 + run;
            const auto start = Clock::now();
            double first = -1;
            GenerationCallbacks cb;
            cb.onAudio = [&](const float*, std::size_t) {
                if (first < 0)
                    first = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
            };
            cb.onProgress = [&](const GenerationProgress& p) { steps = p.totalSteps; };
            engine->generate(recipe, cb);
            const double total =
                std::chrono::duration<double, std::milli>(Clock::now() - start).count();
            if (run == 0) continue;
            firstAudio.push_back(first);
            perStep.push_back(total / std::max(1, steps));
        }
        report.embedded.push_back({precision, median(firstAudio), median(perStep), steps});
    }
}

} // namespace moodsteer
