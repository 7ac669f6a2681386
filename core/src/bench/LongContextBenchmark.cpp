#include "bench/LongContextBenchmark.h"

#include "engine/ComputeThreads.h"
#include "models/DecodeThreads.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <ctime>

namespace moodsteer {
namespace {

using Clock = std::chrono::steady_clock;

double cpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n == 0 ? 0.0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Positions [0, count) of every layer hold random keys/values of the cache's dtype. One random
// [count, head_dim] pattern broadcast over items and heads: drawing ~300 M values for 1,500
// positions of musicgen-small would take longer than the measurement, and the step reads the
// same bytes whatever they hold.
void fillRandom(models::SelfAttentionCache& cache, int64_t layers, int64_t count) {
    if (count == 0) return;
    const int64_t hd = cache.keys(0).size(3);
    const bool int8 = cache.precision() == models::KvCachePrecision::Int8;
    for (int64_t l = 0; l < layers; ++l) {
        for (const auto* t : {&cache.keys(l), &cache.values(l)}) {
            auto part = t->narrow(2, 0, count);
            if (int8)
                part.copy_(torch::randint(-127, 128, {1, 1, count, hd}).to(torch::kChar));
            else
                part.copy_(torch::randn({1, 1, count, hd}));
        }
        if (int8)
            for (const auto* s : {&cache.keyScales(l), &cache.valueScales(l)})
                s->narrow(2, 0, count).copy_(torch::rand({1, 1, count}) * 0.02 + 0.005);
    }
}

} // namespace

void benchLongContext(models::MusicgenForCausalLMImpl& lm, const torch::Tensor& memory,
                      const torch::Tensor& mask, const std::string& precision,
                      const BenchOptions& o, int threads, BenchReport& rep,
                      std::vector<double>& bandwidths,
                      const std::function<void(const std::string&)>& say) {
    if (o.positions.empty()) return;
    torch::NoGradGuard noGrad;
    const auto& c = lm.config();
    std::vector<models::KvCachePrecision> caches;
    for (const auto& name : o.kvCaches)
        caches.push_back(models::parseKvCachePrecision(name));
    if (caches.empty()) caches.push_back(lm.defaultKvCache());
    // Guided decoding: [cond; uncond], the unconditional memory all padding.
    auto cross = lm.precomputeCross(torch::cat({memory, torch::zeros_like(memory)}),
                                    torch::cat({mask, torch::zeros_like(mask)}));
    const int64_t items = 2, K = c.num_codebooks;
    const int warmup = 2, steps = std::max(1, o.steps), rounds = std::max(1, o.rounds);
    auto column = torch::randint(0, c.vocab_size, {items * K, 1}, torch::kInt64);
    const double weightBytes = lm.decodeWeightBytes();
    const bool helperOn = models::decodeHelper();
    for (const auto kv : caches) {
        for (const int position : o.positions) {
            say("decoding with " + precision + " weights and a " +
                models::kvCachePrecisionName(kv) + " cache at position " +
                std::to_string(position));
            auto cache = lm.makeCache(items, position + warmup + steps + 1, kv);
            fillRandom(cache, c.num_hidden_layers, position);
            cache.assumeFilled(position);
            for (int i = 0; i < warmup; ++i)
                lm.forward(column, cross, &cache);
            BenchPositionResult r;
            r.precision = precision;
            r.kvCache = models::kvCachePrecisionName(kv);
            r.position = position;
            r.weightBytesPerStep = weightBytes;
            // Step i of a round attends to position + i + 1 cached rows (its own included).
            r.kvBytesPerStep = cache.bytesPerPosition() * (position + 0.5 * (steps + 1));
            // With the decode helper on (and a step it takes part in), each round also
            // times the same steps without it, between the same probes: a pair the machine's
            // drift does not separate.
            const bool helper =
                helperOn && models::decodeStepUsesHelper(precision != "f32", position + 1);
            std::vector<BenchPositionResult> rows{r};
            if (helper) {
                rows.push_back(r);
                rows.back().stepThreads = 2;
            }
            std::vector<std::vector<double>> ms(rows.size()), ratios(rows.size()), cpu(rows.size());
            std::vector<std::vector<double>> floors(rows.size());
            std::vector<double> prefill;
            int prefillThreads = 0;
            // The prefill a session window starts with: `position` frames of context in one
            // pass, as the generator makes it (every core), into an empty cache. Its keys and
            // values then stand in for the random ones for the steps below (their time depends
            // only on the cache's length and dtype).
            auto context =
                torch::randint(0, c.vocab_size, {items * K, std::max(position, 1)}, torch::kInt64);
            for (int round = 0; round < rounds && position > 0; ++round) {
                cache.truncate(0);
                // On the threads the engine gives a window's prefill (Generator::prefill).
                const AllCoresFor allCores(lm.precision());
                prefillThreads = torch::get_num_threads();
                const auto t0 = Clock::now();
                lm.forwardLast(context, cross, &cache); // the logits sampled from, as Generator
                prefill.push_back(
                    std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
            }
            // A row with the helper reads on two threads: its floor is from probes on two.
            const int helperThreads = decodeReadThreads(precision, position + 1, threads);
            for (int round = 0; round < rounds; ++round) {
                const double before = measureMemoryBandwidth(threads, 3);
                const double beforeTwo = helper ? measureMemoryBandwidth(helperThreads, 3) : 0;
                std::vector<double> stepMs(rows.size());
                for (std::size_t v = 0; v < rows.size(); ++v) {
                    models::setDecodeHelper(rows[v].stepThreads == 2);
                    cache.truncate(position);
                    const auto t0 = Clock::now();
                    const double cpu0 = cpuSeconds();
                    for (int i = 0; i < steps; ++i)
                        lm.forward(column, cross, &cache);
                    stepMs[v] =
                        std::chrono::duration<double, std::milli>(Clock::now() - t0).count() /
                        steps;
                    cpu[v].push_back((cpuSeconds() - cpu0) / steps * 1e3);
                }
                models::setDecodeHelper(helperOn);
                const double after = measureMemoryBandwidth(threads, 3);
                bandwidths.push_back(before);
                bandwidths.push_back(after);
                double afterTwo = 0;
                if (helper) {
                    afterTwo = measureMemoryBandwidth(helperThreads, 3);
                    rep.helperProbes.push_back(beforeTwo);
                    rep.helperProbes.push_back(afterTwo);
                }
                for (std::size_t v = 0; v < rows.size(); ++v) {
                    const double bw = rows[v].stepThreads == 2 ? std::max(beforeTwo, afterTwo)
                                                               : std::max(before, after);
                    const double floorMs =
                        (r.weightBytesPerStep + r.kvBytesPerStep) / (bw * 1e9) * 1e3;
                    floors[v].push_back(floorMs);
                    ms[v].push_back(stepMs[v]);
                    ratios[v].push_back(stepMs[v] / floorMs);
                }
            }
            for (std::size_t v = 0; v < rows.size(); ++v) {
                auto& row = rows[v];
                row.msPerStep = median(ms[v]);
                row.cpuMsPerStep = median(cpu[v]);
                row.floorMs = median(floors[v]);
                row.ratioToFloor = median(ratios[v]);
                row.ratioMin = *std::min_element(ratios[v].begin(), ratios[v].end());
                row.ratioMax = *std::max_element(ratios[v].begin(), ratios[v].end());
                if (v == 0) {
                    row.prefillMs = median(prefill);
                    row.prefillThreads = prefillThreads;
                }
                rep.positions.push_back(row);
            }
        }
    }
}

} // namespace moodsteer
