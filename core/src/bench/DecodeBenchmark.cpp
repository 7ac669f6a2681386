#include "core/bench/Benchmark.h"

#include "bench/EmbeddedBenchmark.h"
#include "bench/LongContextBenchmark.h"
#include "bench/TakesBenchmark.h"

#include "core/engine/WeightPrecisions.h"
#include "engine/AllocatorTuning.h"
#include "engine/ComputeThreads.h"
#include "engine/EncodecCodec.h"
#include "engine/Generator.h"
#include "models/DecodeThreads.h"
#include "models/MusicgenModel.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace moodsteer {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}
double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n == 0 ? 0.0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double cpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

} // namespace

double benchMemoryEstimateMB(const std::string& configPath,
                             const std::vector<std::string>& precisions) {
    const auto c = models::MusicgenConfig::fromFile(configPath).decoder;
    const double D = static_cast<double>(c.hidden_size), F = static_cast<double>(c.ffn_dim);
    const double L = static_cast<double>(c.num_hidden_layers);
    const double KV = static_cast<double>(c.num_codebooks * c.vocab_size) * D;
    const double reduced = L * (6 * D * D + 2 * D * F) + KV; // matrices with a reduced copy
    const double all = L * (8 * D * D + 2 * D * F) + 2 * KV;
    double copy = 0;
    for (const auto& p : precisions)
        copy = std::max(copy, p == "bf16"   ? 2 * reduced
                              : p == "int8" ? 1.02 * reduced
                              : p == "int4" ? 0.54 * reduced
                                            : 0.0);
    const double textAndCodec = 700e6; // T5-base (110 M parameters) + EnCodec + buffers
    if (benchBuildsDirectly(precisions)) {
        // Float32 stays: embeddings, cross-attention k/v, norms; transient: one layer being
        // converted, then the heads before their conversion.
        const double layer = 8 * D * D + 2 * D * F;
        return (4 * (all - reduced) + 4 * std::max(layer, KV) + copy + textAndCodec) / 1e6;
    }
    return (4 * all + copy + textAndCodec) / 1e6;
}

bool benchBuildsDirectly(const std::vector<std::string>& precisions) {
    return precisions.size() == 1 && precisions[0] != "f32" && isWeightPrecision(precisions[0]);
}

BenchReport runBenchmark(const BenchOptions& o,
                         const std::function<void(const std::string&)>& log) {
    auto say = [&](const std::string& s) {
        if (log) log(s);
    };
    torch::NoGradGuard noGrad;
    tuneAllocatorForTensors(); // malloc as the engine has it (its prefills depend on it)
    BenchReport rep;
    rep.threads = setComputeThreads(o.threads);
    rep.decodeHelper = models::decodeHelper();
    rep.audioSeconds = o.audioSeconds;
    auto config = models::MusicgenConfig::fromFile(o.configPath);
    rep.architecture = config.nameOrPath.empty() ? o.configPath : config.nameOrPath;
    // A model that does not fit would push a shared machine into swap or the OOM killer.
    const bool direct = benchBuildsDirectly(o.precisions);
    const double needMB = benchMemoryEstimateMB(o.configPath, o.precisions);
    const double haveMB = availableMemoryMB();
    if (haveMB > 0 && needMB > 0.9 * haveMB) {
        char why[512];
        std::snprintf(why, sizeof why,
                      "%s needs about %.1f GB here (%s), only %.1f GB are available",
                      rep.architecture.c_str(), needMB / 1e3,
                      direct ? "built directly at this precision"
                             : "float32 weights + the reduced copies; one bf16, int8 or int4 "
                               "precision alone is built directly and needs less",
                      haveMB / 1e3);
        throw std::runtime_error(why);
    }
    for (const int p : o.positions)
        if (p < 0 || p + o.steps + 3 > config.decoder.max_position_embeddings)
            throw std::invalid_argument("bench: position " + std::to_string(p) + " + " +
                                        std::to_string(o.steps) + " steps do not fit the model's " +
                                        std::to_string(config.decoder.max_position_embeddings) +
                                        " positions");
    for (const auto& kv : o.kvCaches)
        models::parseKvCachePrecision(kv); // throws for an unknown name, before building
    say("building " + rep.architecture + " with random weights");
    torch::manual_seed(0);
    std::shared_ptr<models::MusicgenModelImpl> model;
    if (direct) { // one reduced precision: never the whole float32 decoder
        models::MusicgenForCausalLMImpl::DirectLoad d;
        d.precision = o.precisions[0];
        model = std::make_shared<models::MusicgenModelImpl>(config, d);
        model->decoder->finishDirectLoad();
    } else {
        model = std::make_shared<models::MusicgenModelImpl>(config);
    }
    model->eval();
    model->decoder->finalizeWeights();
    for (const auto& p : model->parameters())
        rep.parameters += p.numel();
    rep.parameters += model->decoder->releasedParameterCount();
    rep.blas = activeBlas();
    say("measuring memory bandwidth");
    std::vector<double> bandwidths{measureMemoryBandwidth(rep.threads)};

    // A 12-token prompt, like the reference anchor.
    auto ids = torch::randint(2, config.textEncoder.vocab_size, {1, 12}, torch::kInt64);
    ids[0][11] = 1;
    auto mask = torch::ones_like(ids);
    if (o.textEncoder) {
        model->encodeConditions(ids, mask); // warm-up
        const auto t0 = Clock::now();
        const int reps = 5;
        for (int i = 0; i < reps; ++i)
            model->encodeConditions(ids, mask);
        rep.textEncoderMs = since(t0) / reps * 1e3;
    }
    auto [memory, m] = model->encodeConditions(ids, mask);

    const int K = static_cast<int>(config.decoder.num_codebooks);
    const double frameRate = config.audioEncoder ? config.audioEncoder->frameRate() : 50.0;
    const int rounds = std::max(1, o.rounds);
    if (o.steps < K + 1)
        throw std::invalid_argument("bench: at least " + std::to_string(K + 1) +
                                    " decode steps per round");
    for (const auto& precision : o.precisions) {
        say("decoding with " + precision + " weights (" + std::to_string(rounds) + " rounds)");
        model->decoder->setPrecision(precision); // throws for an unknown name
        Generator gen(model->decoder);
        GeneratorOptions go;
        go.guidance = 3.0;
        go.sampling = {false, 1.0, 250, 0.0};
        go.seed = 1;
        go.frames = 4; // warm-up: allocations, oneDNN primitive creation
        gen.run(memory, m, go);
        go.frames = o.steps - K + 1;
        BenchPrecisionResult r;
        r.precision = precision;
        // Self-attention q/k/v/out, cross-attention q/out (its keys/values are cached per
        // generation), fc1/fc2 and the K heads, at this precision (int8: + row scales; int4: +
        // group scales). Embedding lookups touch K rows only and are ignored.
        r.weightBytesPerStep = model->decoder->decodeWeightBytes();
        double cpuTotal = 0;
        int cpuSteps = 0;
        // The threads that read memory in these steps (the decode helper shares reduced weights'
        // GEMVs).
        const int readThreads = decodeReadThreads(precision, 1, rep.threads);
        r.readThreads = readThreads;
        for (int round = 0; round < rounds; ++round) {
            BenchRound br;
            const double before = measureMemoryBandwidth(readThreads, 3);
            std::vector<double> stepTimes;
            const auto start = Clock::now();
            auto last = start;
            go.onStep = [&](int, int) {
                const auto now = Clock::now();
                stepTimes.push_back(std::chrono::duration<double>(now - last).count());
                if (static_cast<int>(stepTimes.size()) == K)
                    br.firstFrameMs = std::chrono::duration<double>(now - start).count() * 1e3;
                last = now;
            };
            const double cpu0 = cpuSeconds();
            gen.run(memory, m, go);
            cpuTotal += cpuSeconds() - cpu0;
            // Probed before and after: a dip during one short probe must not lower the
            // round's floor below what the machine delivered around it.
            const double after = measureMemoryBandwidth(readThreads, 3);
            br.bandwidthGBs = std::max(before, after);
            auto& probes = readThreads == rep.threads ? bandwidths : rep.helperProbes;
            probes.push_back(before);
            probes.push_back(after);
            cpuSteps += static_cast<int>(stepTimes.size());
            double total = 0;
            for (std::size_t i = 1; i < stepTimes.size(); ++i)
                total += stepTimes[i];
            br.msPerStep = total / std::max<std::size_t>(1, stepTimes.size() - 1) * 1e3;
            br.floorMs = r.weightBytesPerStep / (br.bandwidthGBs * 1e9) * 1e3;
            br.ratioToFloor = br.msPerStep / br.floorMs;
            r.rounds.push_back(br);
        }
        auto medianOf = [&](double BenchRound::*field) {
            std::vector<double> v;
            for (const auto& br : r.rounds)
                v.push_back(br.*field);
            return median(v);
        };
        r.msPerStep = medianOf(&BenchRound::msPerStep);
        r.floorMs = medianOf(&BenchRound::floorMs);
        r.ratioToFloor = medianOf(&BenchRound::ratioToFloor);
        r.ratioMin = r.ratioMax = r.rounds.front().ratioToFloor;
        for (const auto& br : r.rounds) {
            r.ratioMin = std::min(r.ratioMin, br.ratioToFloor);
            r.ratioMax = std::max(r.ratioMax, br.ratioToFloor);
        }
        r.cpuMsPerStep = cpuTotal / std::max(1, cpuSteps) * 1e3;
        r.stepsPerSecond = 1e3 / r.msPerStep;
        const double steps10s = o.audioSeconds * frameRate + K - 1;
        r.realTimeFactor = steps10s * r.msPerStep / 1e3 / o.audioSeconds;
        r.timeToFirstAudioMs = rep.textEncoderMs + medianOf(&BenchRound::firstFrameMs);
        r.rssMB = currentRssMB();
        rep.results.push_back(r);
        benchLongContext(*model->decoder, memory, m, precision, o, rep.threads, rep, bandwidths,
                         say);
        if (!o.takes.empty())
            benchTakes(model->decoder, memory, m, precision, frameRate, o, rep.threads, rep,
                       bandwidths, say);
    }
    if (!rep.helperProbes.empty()) rep.helperBandwidthGBs = median(rep.helperProbes);
    rep.bandwidthGBs = median(bandwidths);
    rep.bandwidthProbes = static_cast<int>(bandwidths.size());
    rep.bandwidthMinGBs = *std::min_element(bandwidths.begin(), bandwidths.end());
    rep.bandwidthMaxGBs = *std::max_element(bandwidths.begin(), bandwidths.end());
    // The strict reading: every precision's median step against the best bandwidth any probe
    // of this run saw.
    for (auto& r : rep.results) {
        const double best =
            r.readThreads == rep.threads
                ? rep.bandwidthMaxGBs
                : *std::max_element(rep.helperProbes.begin(), rep.helperProbes.end());
        r.ratioToBestFloor = r.msPerStep / (r.weightBytesPerStep / (best * 1e9) * 1e3);
    }

    if (o.codec && model->hasEncodec()) {
        say("decoding " + std::to_string(o.audioSeconds) + " s with the codec");
        EncodecCodec codec(model->audio_encoder, K);
        const int frames = static_cast<int>(o.audioSeconds * frameRate);
        CodeGrid codes(K, frames);
        std::mt19937 rng(3);
        for (auto& c : codes.data)
            c = rng() % codec.cardinality();
        codec.decode(codes.slice(0, 10)); // warm-up
        const auto t0 = Clock::now();
        codec.decode(codes);
        rep.codecSeconds = since(t0);
    }
    if (!direct) model->decoder->setPrecision("f32");
    if (o.embedded) {
        benchEmbeddedModel(o.precisions, rep.threads, 2.0, rep, say);
        benchEmbeddedTakes(o.precisions, o.takes, rep.threads, o.audioSeconds, rep, say);
    }
    rep.peakRssMB = peakRssMB();
    return rep;
}

std::string BenchReport::toJson() const {
    nlohmann::ordered_json j;
    j["architecture"] = architecture;
    j["parameters"] = parameters;
    j["threads"] = threads;
    j["decode_helper"] = decodeHelper;
    j["blas"] = blas;
    j["memory_bandwidth_gb_s"] = bandwidthGBs;
    j["memory_bandwidth_range_gb_s"] = {bandwidthMinGBs, bandwidthMaxGBs};
    j["memory_bandwidth_2_threads_gb_s"] = helperBandwidthGBs;
    j["text_encoder_ms"] = textEncoderMs;
    j["codec_decode_seconds"] = codecSeconds;
    j["audio_seconds"] = audioSeconds;
    j["peak_rss_mb"] = peakRssMB;
    auto arr = nlohmann::ordered_json::array();
    for (const auto& r : results) {
        auto rounds = nlohmann::ordered_json::array();
        for (const auto& br : r.rounds)
            rounds.push_back({{"bandwidth_gb_s", br.bandwidthGBs},
                              {"ms_per_step", br.msPerStep},
                              {"floor_ms", br.floorMs},
                              {"ratio_to_floor", br.ratioToFloor},
                              {"first_frame_ms", br.firstFrameMs}});
        arr.push_back({{"precision", r.precision},
                       {"ms_per_step", r.msPerStep},
                       {"cpu_ms_per_step", r.cpuMsPerStep},
                       {"steps_per_second", r.stepsPerSecond},
                       {"real_time_factor", r.realTimeFactor},
                       {"weight_bytes_per_step", r.weightBytesPerStep},
                       {"floor_ms", r.floorMs},
                       {"ratio_to_floor", r.ratioToFloor},
                       {"ratio_to_floor_range", {r.ratioMin, r.ratioMax}},
                       {"ratio_to_best_probe_floor", r.ratioToBestFloor},
                       {"time_to_first_audio_ms", r.timeToFirstAudioMs},
                       {"rss_mb", r.rssMB},
                       {"read_threads", r.readThreads},
                       {"rounds", rounds}});
    }
    j["decode"] = arr;
    if (!positions.empty()) {
        auto p = nlohmann::ordered_json::array();
        for (const auto& r : positions)
            p.push_back({{"precision", r.precision},
                         {"kv_cache", r.kvCache},
                         {"step_threads", r.stepThreads},
                         {"position", r.position},
                         {"ms_per_step", r.msPerStep},
                         {"weight_bytes_per_step", r.weightBytesPerStep},
                         {"kv_cache_bytes_per_step", r.kvBytesPerStep},
                         {"floor_ms", r.floorMs},
                         {"ratio_to_floor", r.ratioToFloor},
                         {"ratio_to_floor_range", {r.ratioMin, r.ratioMax}},
                         {"cpu_ms_per_step", r.cpuMsPerStep},
                         {"prefill_ms", r.prefillMs},
                         {"prefill_threads", r.prefillThreads}});
        j["long_context"] = p;
    }
    if (!takes.empty()) {
        auto t = nlohmann::ordered_json::array();
        for (const auto& r : takes)
            t.push_back({{"precision", r.precision},
                         {"takes", r.takes},
                         {"ms_per_step", r.msPerStep},
                         {"weight_bytes_per_step", r.weightBytesPerStep},
                         {"kv_cache_bytes_per_step", r.kvBytesPerStep},
                         {"floor_ms", r.floorMs},
                         {"ratio_to_floor", r.ratioToFloor},
                         {"ratio_to_floor_range", {r.ratioMin, r.ratioMax}},
                         {"audio_seconds_per_second", r.audioPerSecond},
                         {"step_time_vs_one_take", r.relativeToOne}});
        j["takes"] = t;
    }
    if (!embeddedTakes.empty()) {
        auto t = nlohmann::ordered_json::array();
        for (const auto& r : embeddedTakes)
            t.push_back({{"precision", r.precision},
                         {"takes", r.takes},
                         {"clip_seconds", r.clipSeconds},
                         {"wall_seconds", r.wallSeconds},
                         {"audio_seconds_per_second", r.audioPerSecond}});
        j["embedded_takes"] = t;
    }
    if (!embedded.empty()) {
        auto e = nlohmann::ordered_json::array();
        for (const auto& r : embedded)
            e.push_back({{"precision", r.precision},
                         {"time_to_first_audio_ms", r.timeToFirstAudioMs},
                         {"ms_per_step", r.msPerStep},
                         {"steps", r.steps}});
        j["embedded"] = {
            {"model", embeddedModel}, {"clip_seconds", embeddedClipSeconds}, {"streaming", e}};
    }
    return j.dump(2);
}

std::string BenchReport::toTable() const {
    std::ostringstream s;
    char line[512];
    s << "architecture        " << architecture << " (" << parameters / 1e6 << " M parameters)\n";
    s << "threads             " << threads
      << (decodeHelper
              ? " (+ the decode helper: bf16/int8/int4 GEMVs, and attention from " +
                    std::to_string(models::kDecodeHelperMinPositions) + " cached positions)"
              : "")
      << "\n";
    s << "BLAS                " << blas << "\n";
    std::snprintf(line, sizeof line,
                  "memory bandwidth    %.1f GB/s (read, %d threads, huge pages; median of %zu "
                  "probes, %.1f-%.1f)\n",
                  bandwidthGBs, threads, static_cast<std::size_t>(bandwidthProbes), bandwidthMinGBs,
                  bandwidthMaxGBs);
    s << line;
    if (helperBandwidthGBs > 0) {
        std::snprintf(line, sizeof line,
                      "                    %.1f GB/s on 2 threads (median of %zu probes): the "
                      "floor of the steps the decode helper takes part in\n",
                      helperBandwidthGBs, helperProbes.size());
        s << line;
    }
    std::snprintf(line, sizeof line, "T5 encoder          %.1f ms (12-token prompt)\n",
                  textEncoderMs);
    s << line;
    if (codecSeconds > 0) {
        std::snprintf(line, sizeof line,
                      "codec decode        %.2f s for %.0f s of audio (%.1fx real time)\n",
                      codecSeconds, audioSeconds, audioSeconds / codecSeconds);
        s << line;
    }
    std::snprintf(line, sizeof line, "peak RSS            %.0f MB\n\n", peakRssMB);
    s << line;
    s << "precision  ms/step  steps/s  RTF(" << audioSeconds
      << " s)  MB/step  floor ms  step/floor (range)  vs best  first audio ms  cpu ms/step  RSS "
         "MB\n";
    for (const auto& r : results) {
        std::snprintf(line, sizeof line,
                      "%-9s  %7.1f  %7.2f  %8.2f  %7.0f  %8.1f  %5.2f (%.2f-%.2f)  %7.2f  %14.0f  "
                      "%11.1f  %6.0f\n",
                      r.precision.c_str(), r.msPerStep, r.stepsPerSecond, r.realTimeFactor,
                      r.weightBytesPerStep / 1e6, r.floorMs, r.ratioToFloor, r.ratioMin, r.ratioMax,
                      r.ratioToBestFloor, r.timeToFirstAudioMs, r.cpuMsPerStep, r.rssMB);
        s << line;
    }
    if (!results.empty())
        s << "(medians of " << results.front().rounds.size()
          << " rounds; a round generates between two bandwidth probes; step/floor: median of "
             "the rounds' steps over their own floor (the better probe); vs best: median step "
             "over the floor of the run's best probe)\n";
    if (!positions.empty()) {
        s << "\nlong context (guided step after N cached positions; floor = (weights + KV cache "
             "read per step) / bandwidth)\n"
          << "precision  kv cache  step threads  position  ms/step  weights MB  cache MB  floor "
             "ms  step/floor (range)  cpu ms/step\n";
        for (const auto& r : positions) {
            std::snprintf(
                line, sizeof line,
                "%-9s  %-8s  %12d  %8d  %7.1f  %10.0f  %8.0f  %8.1f  %5.2f (%.2f-%.2f)  %11.1f\n",
                r.precision.c_str(), r.kvCache.c_str(), r.stepThreads, r.position, r.msPerStep,
                r.weightBytesPerStep / 1e6, r.kvBytesPerStep / 1e6, r.floorMs, r.ratioToFloor,
                r.ratioMin, r.ratioMax, r.cpuMsPerStep);
            s << line;
        }
        int prefillThreads = 0;
        for (const auto& r : positions)
            prefillThreads = std::max(prefillThreads, r.prefillThreads);
        s << "\nprefill (the cache filled to N positions in one guided pass, as a session window "
             "starts; on the engine's threads for it: "
          << prefillThreads << " LibTorch, OpenBLAS's too with f32 weights)\n"
          << "precision  kv cache  position  prefill ms  us/position  positions/s\n";
        for (const auto& r : positions) {
            if (r.prefillMs <= 0) continue;
            std::snprintf(line, sizeof line, "%-9s  %-8s  %8d  %10.0f  %11.0f  %11.0f\n",
                          r.precision.c_str(), r.kvCache.c_str(), r.position, r.prefillMs,
                          r.prefillMs * 1e3 / r.position, r.position / (r.prefillMs / 1e3));
            s << line;
        }
    }
    if (!takes.empty()) {
        s << "\ntakes (N clips in one guided batch; floor = (weights + KV cache read per step) / "
             "bandwidth)\n"
          << "precision  takes  ms/step  vs 1 take  audio s/s  floor ms  step/floor (range)\n";
        for (const auto& r : takes) {
            std::snprintf(line, sizeof line,
                          "%-9s  %5d  %7.1f  %9.2f  %9.2f  %8.1f  %5.2f (%.2f-%.2f)\n",
                          r.precision.c_str(), r.takes, r.msPerStep, r.relativeToOne,
                          r.audioPerSecond, r.floorMs, r.ratioToFloor, r.ratioMin, r.ratioMax);
            s << line;
        }
    }
    if (!embeddedTakes.empty()) {
        s << "\nembedded model takes (generateTakes end to end: text encoder, decode, codec; "
             "median of 3)\n"
          << "precision  takes  clip s  wall s  audio s/s\n";
        for (const auto& r : embeddedTakes) {
            std::snprintf(line, sizeof line, "%-9s  %5d  %6.1f  %6.3f  %9.1f\n",
                          r.precision.c_str(), r.takes, r.clipSeconds, r.wallSeconds,
                          r.audioPerSecond);
            s << line;
        }
    }
    if (!embedded.empty()) {
        std::snprintf(
            line, sizeof line,
            "\nembedded model      %s: streaming a %.0f s clip, end to end (medians of 5)\n",
            embeddedModel.c_str(), embeddedClipSeconds);
        s << line << "precision  first audio ms  ms/step (whole clip / steps)\n";
        for (const auto& r : embedded) {
            std::snprintf(line, sizeof line, "%-9s  %14.1f  %7.2f (%d steps)\n",
                          r.precision.c_str(), r.timeToFirstAudioMs, r.msPerStep, r.steps);
            s << line;
        }
    }
    return s.str();
}

} // namespace moodsteer
