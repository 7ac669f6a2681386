#include "bench/TakesBenchmark.h"

#include "core/engine/MusicEngine.h"
#include "engine/Generator.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>

namespace moodsteer {
namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n == 0 ? 0.0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

} // namespace

void benchTakes(models::MusicgenForCausalLM lm, const torch::Tensor& memory,
                const torch::Tensor& mask, const std::string& precision, double frameRate,
                const BenchOptions& o, int threads, BenchReport& rep,
                std::vector<double>& bandwidths,
                const std::function<void(const std::string&)>& say) {
    torch::NoGradGuard noGrad;
    const auto& c = lm->config();
    const int K = static_cast<int>(c.num_codebooks);
    const int rounds = std::max(1, o.rounds);
    double oneTakeMs = 0;
    for (const int takes : o.takes) {
        say("decoding " + std::to_string(takes) + " take(s) with " + precision + " weights");
        Generator gen(lm);
        GeneratorOptions go;
        go.guidance = 3.0;
        go.sampling = {false, 1.0, 250, 0.0};
        go.takes = takes;
        for (int i = 0; i < takes; ++i)
            go.seeds.push_back(1 + static_cast<std::uint64_t>(i));
        go.seed = 1;
        go.frames = 4; // warm-up
        gen.run(memory, mask, go);
        go.frames = o.steps - K + 1;
        BenchTakesResult r;
        r.precision = precision;
        r.takes = takes;
        r.weightBytesPerStep = lm->decodeWeightBytes();
        {
            // Bytes per cached position of this batch's cache (2 rows per take), times the
            // average number of positions a step attends to.
            auto probe = lm->makeCache(2 * takes, 1);
            const int steps = o.steps;
            r.kvBytesPerStep = probe.bytesPerPosition() * 0.5 * (steps + 1);
        }
        std::vector<double> ms, ratios, perSecond;
        // The decode helper shares reduced weights' GEMVs: those steps read on two threads.
        const int readThreads = decodeReadThreads(precision, 1, threads);
        auto& probes = readThreads != threads ? rep.helperProbes : bandwidths;
        for (int round = 0; round < rounds; ++round) {
            const double before = measureMemoryBandwidth(readThreads, 3);
            std::vector<double> stepTimes;
            auto last = Clock::now();
            go.onStep = [&](int, int) {
                const auto now = Clock::now();
                stepTimes.push_back(std::chrono::duration<double>(now - last).count());
                last = now;
            };
            const auto t0 = Clock::now();
            gen.run(memory, mask, go);
            const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
            const double after = measureMemoryBandwidth(readThreads, 3);
            probes.push_back(before);
            probes.push_back(after);
            double total = 0; // step 1 also computes the cross-attention keys/values
            for (std::size_t i = 1; i < stepTimes.size(); ++i)
                total += stepTimes[i];
            const double stepMs = total / std::max<std::size_t>(1, stepTimes.size() - 1) * 1e3;
            const double floorMs =
                (r.weightBytesPerStep + r.kvBytesPerStep) / (std::max(before, after) * 1e9) * 1e3;
            ms.push_back(stepMs);
            ratios.push_back(stepMs / floorMs);
            // Audio the steps made: frames / frame rate per take.
            perSecond.push_back(takes * (go.frames / frameRate) / wall);
        }
        r.msPerStep = median(ms);
        r.ratioToFloor = median(ratios);
        r.ratioMin = *std::min_element(ratios.begin(), ratios.end());
        r.ratioMax = *std::max_element(ratios.begin(), ratios.end());
        r.floorMs = r.msPerStep / r.ratioToFloor;
        r.audioPerSecond = median(perSecond);
        if (takes == 1) oneTakeMs = r.msPerStep;
        r.relativeToOne = oneTakeMs > 0 ? r.msPerStep / oneTakeMs : 0;
        rep.takes.push_back(r);
    }
}

void benchEmbeddedTakes(const std::vector<std::string>& precisions, const std::vector<int>& takes,
                        int threads, double seconds, BenchReport& rep,
                        const std::function<void(const std::string&)>& say) {
    const std::string folder = MusicEngine::embeddedModelFolder();
    if (folder.empty() || takes.empty()) return;
    for (const auto& precision : precisions) {
        auto engine = MusicEngine::load(folder, LoadOptions{threads, precision});
        Recipe recipe;
        recipe.prompt = "a calm jazz piece with piano and upright bass";
        recipe.seconds = seconds;
        for (const int n : takes) {
            say("embedded model: " + std::to_string(n) + " take(s) of " +
                std::to_string(static_cast<int>(seconds)) + " s with " + precision + " weights");
            std::vector<double> walls;
            for (int run = 0; run < 4; ++run) { // the first is a warm-up
                recipe.seed = 20 + run;
                const auto t0 = Clock::now();
                engine->generateTakes(recipe, n);
                if (run > 0)
                    walls.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
            }
            BenchEmbeddedTakesResult r;
            r.precision = precision;
            r.takes = n;
            r.clipSeconds = seconds;
            r.wallSeconds = median(walls);
            r.audioPerSecond = n * seconds / r.wallSeconds;
            rep.embeddedTakes.push_back(r);
        }
    }
}

} // namespace moodsteer
