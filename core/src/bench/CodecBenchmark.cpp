#include "core/bench/CodecBenchmark.h"

#include "core/bench/Benchmark.h"
#include "engine/ComputeThreads.h"
#include "models/Encodec.h"
#include "models/EncodecStreamingDecoder.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace moodsteer {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

template <class F> double bestOf(int rounds, F&& f) {
    double best = 1e300;
    for (int i = 0; i < rounds; ++i) {
        const auto t0 = Clock::now();
        f();
        best = std::min(best, secondsSince(t0));
    }
    return best;
}

struct DecoderCount {
    double flopsPerFrame = 0;
    double lstmRecurrentFlopsPerFrame = 0;
    double lstmRecurrentBytesPerFrame = 0;
    double inputConvFlops = 0, lstmFlops = 0; // per frame
};

/// Multiply-adds of the decoder per code frame, walking its modules in order (their order is
/// the forward order) and following the time rate through strides and upsampling.
DecoderCount countDecoder(models::EncodecModel& model) {
    DecoderCount c;
    double rate = 1; // samples per code frame at the current layer
    for (const auto& item : model->named_modules("", false)) {
        const std::string& name = item.key();
        if (name.rfind("decoder.", 0) != 0) continue;
        const auto& m = item.value();
        if (auto* conv = m->as<torch::nn::Conv1dImpl>()) {
            const auto& o = conv->options;
            const double out = rate / double(o.stride()->front());
            const double f = 2.0 * double(o.in_channels() / o.groups()) * double(o.out_channels()) *
                             double(o.kernel_size()->front()) * out;
            c.flopsPerFrame += f;
            if (c.lstmFlops == 0) c.inputConvFlops += f;
            rate = out;
        } else if (auto* up = m->as<torch::nn::ConvTranspose1dImpl>()) {
            const auto& o = up->options;
            c.flopsPerFrame += 2.0 * double(o.in_channels()) *
                               double(o.out_channels() / o.groups()) *
                               double(o.kernel_size()->front()) * rate;
            rate *= double(o.stride()->front());
        } else if (auto* lstm = m->as<torch::nn::LSTMImpl>()) {
            const auto& o = lstm->options;
            const double hid = double(o.hidden_size());
            for (int64_t l = 0; l < o.num_layers(); ++l) {
                const double in = l == 0 ? double(o.input_size()) : hid;
                const double input = 2.0 * 4 * hid * in * rate,
                             recurrent = 2.0 * 4 * hid * hid * rate;
                c.flopsPerFrame += input + recurrent;
                c.lstmFlops += input + recurrent;
                c.lstmRecurrentFlopsPerFrame += recurrent;
                c.lstmRecurrentBytesPerFrame += 4 * hid * hid * sizeof(float) * rate;
            }
        }
    }
    return c;
}

/// This core's practical peak: a one-thread f32 GEMM of decoder-like size, best of rounds.
double gemmPeakGflops() {
    auto a = torch::randn({512, 1024}), b = torch::randn({1024, 1024});
    auto c = torch::mm(a, b); // warm-up
    const double t = bestOf(7, [&] { c = torch::mm(a, b); });
    return 2.0 * 512 * 1024 * 1024 / t / 1e9;
}

std::string fixed(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string loadAverage() {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    in >> a >> b >> c;
    return a + " " + b + " " + c;
}

} // namespace

CodecBenchReport runCodecBenchmark(const CodecBenchOptions& o,
                                   const std::function<void(const std::string&)>& say) {
    if (!(o.audioSeconds > 0) || o.rounds < 1 || o.pushFrames < 1)
        throw std::runtime_error("bench-codec: seconds, rounds and push frames must be > 0");
    CodecBenchReport r;
    r.load = loadAverage();
    r.audioSeconds = o.audioSeconds;
    r.pushFrames = o.pushFrames;
    nlohmann::json cfg;
    {
        std::ifstream in(o.configPath);
        if (!in) throw std::runtime_error("cannot read '" + o.configPath + "'");
        try {
            in >> cfg;
        } catch (const std::exception& e) {
            throw std::runtime_error(o.configPath + ": " + e.what());
        }
    }
    if (!cfg.contains("audio_encoder"))
        throw std::runtime_error(o.configPath + ": no audio_encoder section");
    setComputeThreads(1);
    torch::NoGradGuard noGrad;
    torch::manual_seed(0);
    models::EncodecModel model(models::EncodecConfig::fromJson(cfg["audio_encoder"]));
    model->eval();
    const int64_t frames =
        std::max<int64_t>(1, std::llround(o.audioSeconds * model->config().frameRate()));
    const DecoderCount count = countDecoder(model);
    r.decoderGflop = count.flopsPerFrame * double(frames) / 1e9;
    r.lstmRecurrentGflop = count.lstmRecurrentFlopsPerFrame * double(frames) / 1e9;
    r.lstmWeightMBPerFrame = count.lstmRecurrentBytesPerFrame / 1e6;

    say("peak: one-thread GEMM probe and bandwidth");
    r.peakGflops = gemmPeakGflops();
    r.blas = activeBlas();
    r.bandwidthGBs = measureMemoryBandwidth(1, 3);
    // The compute floor. The LSTM's recurrent weights are read once per frame, but most of
    // them stay in this CPU's last-level cache (the measured LSTM beat their DRAM-bandwidth
    // time 0.7 s vs 1.3 s for 10 s): that time is printed, not added.
    r.floorSeconds = r.decoderGflop / r.peakGflops;
    r.lstmDramSeconds = count.lstmRecurrentBytesPerFrame * double(frames) / (r.bandwidthGBs * 1e9);

    say("one-shot decode of " + fixed(o.audioSeconds, 1) + " s");
    const auto codes =
        torch::randint(0, model->config().codebook_size, {1, 4, frames}, torch::kInt64);
    model->decode(codes); // warm-up (allocations, primitive creation)
    r.oneShotSeconds = bestOf(o.rounds, [&] { model->decode(codes); });
    // By stage, one round each (same work as above).
    auto latent = model->dequantize(codes);
    torch::Tensor conv, lstm;
    const double tConv = bestOf(o.rounds, [&] { conv = model->decoderInputConv(latent); });
    const double tLstm =
        bestOf(o.rounds, [&] { lstm = model->decoderLstm(conv, std::nullopt).first; });
    const double tUp = bestOf(o.rounds, [&] { model->decoderUpsample(lstm); });
    const double nf = double(frames) / 1e9;
    r.stages.push_back({"input conv", count.inputConvFlops * nf, tConv});
    r.stages.push_back({"LSTM", count.lstmFlops * nf, tLstm});
    r.stages.push_back({"upsampling stack",
                        (count.flopsPerFrame - count.inputConvFlops - count.lstmFlops) * nf, tUp});

    say("streaming decode in pushes of " + std::to_string(o.pushFrames) + " frames");
    models::EncodecStreamingDecoder stream(model);
    const auto codes2d = codes[0];
    r.streamingSeconds = bestOf(o.rounds, [&] {
        for (int64_t t = 0; t < frames; t += o.pushFrames)
            stream.push(codes2d.slice(1, t, std::min(frames, t + o.pushFrames)));
        stream.finish();
    });
    return r;
}

std::string CodecBenchReport::toTable() const {
    std::ostringstream out;
    out << "EnCodec 32 kHz decoder, one thread, " << fixed(audioSeconds, 1) << " s of audio (load "
        << load << ")\n";
    out << "  work              " << fixed(decoderGflop, 1) << " GFLOP (LSTM recurrent "
        << fixed(lstmRecurrentGflop, 1) << " GFLOP, its weights " << fixed(lstmWeightMBPerFrame, 1)
        << " MB read per frame)\n";
    out << "  this core         " << fixed(peakGflops, 1) << " GFLOP/s (GEMM probe), "
        << fixed(bandwidthGBs, 1) << " GB/s (one thread; the LSTM's weights from DRAM would take "
        << fixed(lstmDramSeconds, 2) << " s, they mostly stay in cache)\n";
    if (!blas.empty()) out << "  BLAS              " << blas << "\n";
    out << "  floor             " << fixed(floorSeconds, 3) << " s = work / peak  ("
        << fixed(audioSeconds / floorSeconds, 1) << "x real time)\n";
    out << "  one-shot decode   " << fixed(oneShotSeconds, 3) << " s  ("
        << fixed(audioSeconds / oneShotSeconds, 1) << "x real time, "
        << fixed(oneShotSeconds / floorSeconds, 2) << "x the floor)\n";
    for (const auto& s : stages)
        out << "    " << s.name << ": " << fixed(s.seconds, 3) << " s, " << fixed(s.gflop, 2)
            << " GFLOP, " << fixed(s.gflop / std::max(1e-9, s.seconds), 1) << " GFLOP/s\n";
    out << "  streaming decode  " << fixed(streamingSeconds, 3) << " s in pushes of " << pushFrames
        << " frames (" << fixed(audioSeconds / streamingSeconds, 1) << "x real time, "
        << fixed(streamingSeconds / floorSeconds, 2) << "x the floor)\n";
    return out.str();
}

std::string CodecBenchReport::toJson() const {
    nlohmann::json j;
    j["audio_seconds"] = audioSeconds;
    j["decoder_gflop"] = decoderGflop;
    j["lstm_recurrent_gflop"] = lstmRecurrentGflop;
    j["lstm_weight_mb_per_frame"] = lstmWeightMBPerFrame;
    j["peak_gflops"] = peakGflops;
    j["blas"] = blas;
    j["bandwidth_gbs"] = bandwidthGBs;
    j["floor_seconds"] = floorSeconds;
    j["lstm_dram_seconds"] = lstmDramSeconds;
    j["one_shot_seconds"] = oneShotSeconds;
    j["streaming_seconds"] = streamingSeconds;
    j["push_frames"] = pushFrames;
    for (const auto& s : stages)
        j["stages"].push_back({{"name", s.name}, {"gflop", s.gflop}, {"seconds", s.seconds}});
    j["load"] = load;
    return j.dump(2);
}

} // namespace moodsteer
