#include "core/bench/StreamBenchmark.h"

#include "core/engine/MusicEngine.h"
#include "core/playback/AudioPlayer.h"
#include "core/playback/ClockedNullSink.h"
#include "models/DecodeThreads.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/resource.h>
#include <thread>
#include <time.h>
#include <unistd.h>

namespace moodsteer {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double secondsSince(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

double threadCpuNow() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

double processCpuNow() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

std::string loadAverage() {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    in >> a >> b >> c;
    return a + " " + b + " " + c;
}

/// CPU seconds of this process's live threads called `name` (/proc/self/task/*/stat), summed.
double namedThreadCpu(const std::string& name) {
    const double tick = double(sysconf(_SC_CLK_TCK));
    double total = 0;
    std::error_code ec;
    for (const auto& task : fs::directory_iterator("/proc/self/task", ec)) {
        std::ifstream commFile(task.path() / "comm");
        std::string comm;
        std::getline(commFile, comm);
        if (comm != name) continue;
        std::ifstream statFile(task.path() / "stat");
        std::string stat;
        std::getline(statFile, stat);
        const auto close = stat.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream fields(stat.substr(close + 2));
        std::string field;
        double utime = 0, stime = 0;
        // After the name: state is field 3; utime and stime are fields 14 and 15.
        for (int i = 3; i <= 15 && fields >> field; ++i) {
            if (i == 14) utime = std::stod(field);
            if (i == 15) stime = std::stod(field);
        }
        total += (utime + stime) / tick;
    }
    return total;
}

/// Generation speed for each 10 s of audio: the wall time at which the stream passed each
/// multiple of 10 s (the chunk that carried it across; several multiples crossed by one chunk
/// share its speed).
std::vector<double> speedPer10s(const std::vector<double>& arrivals,
                                const std::vector<double>& audioAfter) {
    std::vector<double> out;
    double lastTime = 0, boundary = 10;
    for (std::size_t i = 0; i < arrivals.size(); ++i) {
        int crossed = 0; // a window's audio arrives at once and may cross several multiples
        while (audioAfter[i] >= boundary + 10.0 * crossed - 1e-9)
            ++crossed;
        if (crossed == 0) continue;
        const double speed = 10.0 * crossed / std::max(1e-9, arrivals[i] - lastTime);
        out.insert(out.end(), static_cast<std::size_t>(crossed), speed);
        lastTime = arrivals[i];
        boundary += 10.0 * crossed;
    }
    return out;
}

struct Loaded {
    std::unique_ptr<MusicEngine> engine;
    std::string name;
};

Loaded loadModel(const StreamBenchOptions& o) {
    LoadOptions lo{o.threads, o.precision};
    Loaded l;
    if (o.embedded) {
        const std::string folder = MusicEngine::embeddedModelFolder();
        if (folder.empty())
            throw std::runtime_error("the embedded model is not in resources/model");
        l.engine = MusicEngine::load(folder, lo);
        l.name = "embedded (" + l.engine->info().codecName + ")";
    } else if (!o.modelFolder.empty()) {
        l.engine = MusicEngine::load(o.modelFolder, lo);
        l.name = l.engine->info().id + " (" + o.modelFolder + ")";
    } else {
        l.engine = MusicEngine::withRandomWeights(o.configPath, lo);
        l.name = l.engine->info().id;
    }
    return l;
}

StreamRun runOne(MusicEngine& engine, const Recipe& recipe, const std::string& what,
                 const StreamBenchOptions& o, const std::function<void(const std::string&)>& say,
                 const std::atomic<bool>* cancel) {
    const int rate = engine.info().sampleRate;
    StreamRun run;
    run.what = what;
    run.loadBefore = loadAverage();

    // Declared before the player: the sink's thread uses them until the player is gone.
    PlaybackMeter meter(rate, o.levelInterval);
    std::atomic<bool> playing{false};
    std::atomic<double> playStart{0};
    auto sinkOwned = std::make_unique<ClockedNullSink>(rate);
    ClockedNullSink* sink = sinkOwned.get();
    AudioPlayer player(std::move(sinkOwned));
    // The output's clock, from the moment playback started: what a listener hears.
    sink->setBlockObserver([&](double seconds, std::size_t) {
        if (!playing.load(std::memory_order_acquire)) return;
        const double ahead = std::max(0.0, player.duration() - player.position());
        meter.block(seconds - playStart.load(), player.underrunFrames(), ahead);
    });
    if (!player.openDevice(-1)) throw std::runtime_error("null output: " + player.deviceError());
    player.beginStream(rate);

    std::vector<double> arrivals, audioBefore, audioAfter;
    std::size_t samples = 0;
    double lastSaid = 0;
    GenerationCallbacks cb;
    cb.keepAudio = false;
    cb.cancel = cancel;
    const auto start = Clock::now();
    cb.onAudio = [&](const float* x, std::size_t n) {
        const double t = secondsSince(start);
        arrivals.push_back(t);
        audioBefore.push_back(double(samples) / rate);
        samples += n;
        audioAfter.push_back(double(samples) / rate);
        player.appendStream(x, n);
        if (!playing) {
            run.firstAudioSeconds = t;
            playStart = double(sink->framesRendered()) / rate;
            player.play();
            playing.store(true, std::memory_order_release);
        }
        if (t - lastSaid >= 10) {
            lastSaid = t;
            say(what + ": " + std::to_string(int(double(samples) / rate)) + " s of audio after " +
                std::to_string(int(t)) + " s");
        }
    };
    const double cpu0 = processCpuNow(), engineCpu0 = threadCpuNow();
    // The decode step's helper (models/DecodeThreads.h) lives across runs.
    const double helperCpu0 = namedThreadCpu("decode-helper");
    const GenerationResult result = engine.generate(recipe, cb);
    run.wallSeconds = secondsSince(start);
    const double engineCpu = threadCpuNow() - engineCpu0;
    if (result.cancelled) throw std::runtime_error("stopped; no figures were printed");
    player.endStream();
    // Let the listener hear the rest: the output consumes it in real time.
    while (player.state() == AudioPlayer::State::Playing &&
           !(cancel && cancel->load(std::memory_order_relaxed)))
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const double feederCpu = namedThreadCpu("audio-feeder");
    const double helperCpu = namedThreadCpu("decode-helper") - helperCpu0;
    const double sinkCpu = sink->threadCpuSeconds();
    player.closeDevice(); // stops the sink: the meter is ours alone from here
    run.processCpuSeconds = processCpuNow() - cpu0;
    run.loadAfter = loadAverage();

    run.audioSeconds = double(samples) / rate;
    run.speedPer10s = speedPer10s(arrivals, audioAfter);
    if (run.firstAudioSeconds >= 0 && run.wallSeconds > run.firstAudioSeconds)
        run.meanSpeed = (run.audioSeconds - (audioAfter.empty() ? 0 : audioAfter.front())) /
                        std::max(1e-9, arrivals.back() - run.firstAudioSeconds);
    run.underruns = meter.underruns();
    run.underrunSeconds = meter.underrunSeconds();
    run.firstUnderrunAt = meter.firstUnderrunAt();
    run.levels = meter.levels();
    run.prebufferNeededSeconds = prebufferNeeded(arrivals, audioBefore);
    run.windowPrepareSeconds = result.windowPrepareSeconds;
    run.windowPrefillSeconds = result.windowPrefillSeconds;
    run.windowAheadColumns = result.windowAheadColumns;
    run.windowSeamCandidates = result.windowSeamCandidates;
    run.codecOnOwnThread = result.decodeThreadCpuSeconds >= 0;
    run.cpu.push_back({"engine (LM)", engineCpu});
    if (run.codecOnOwnThread) run.cpu.push_back({"codec-decode", result.decodeThreadCpuSeconds});
    if (models::decodeHelper()) run.cpu.push_back({"decode-helper", helperCpu});
    if (result.readAheadCpuSeconds >= 0)
        run.cpu.push_back({"context-ahead", result.readAheadCpuSeconds});
    run.cpu.push_back({"audio-feeder", feederCpu});
    run.cpu.push_back({"null-sink", sinkCpu});
    double named = 0;
    for (const auto& c : run.cpu)
        named += c.cpuSeconds;
    run.cpu.push_back({"other", std::max(0.0, run.processCpuSeconds - named)});
    return run;
}

std::string fixed(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

} // namespace

double prebufferNeeded(const std::vector<double>& arrivals,
                       const std::vector<double>& audioBefore) {
    if (arrivals.size() != audioBefore.size())
        throw std::invalid_argument("prebufferNeeded: arrivals and audio lengths differ");
    double need = 0;
    for (std::size_t i = 0; i < arrivals.size(); ++i)
        need = std::max(need, arrivals[i] - arrivals.front() - audioBefore[i]);
    return need;
}

StreamBenchReport runStreamBenchmark(const StreamBenchOptions& o,
                                     const std::function<void(const std::string&)>& say,
                                     const std::atomic<bool>* cancel) {
    if (!(o.seconds >= 0) || !(o.sessionMinutes >= 0) || !(o.seconds > 0 || o.sessionMinutes > 0))
        throw std::runtime_error("nothing to run: give --seconds or --session-minutes > 0");
    if (!(o.levelInterval > 0)) throw std::runtime_error("the level interval must be > 0");
    if (o.acceptSeconds && !(*o.acceptSeconds >= 0))
        throw std::runtime_error("the guard's checks must be >= 0 seconds apart");
    if (o.acceptPace && !(*o.acceptPace >= 0 && *o.acceptPace <= Recipe::kMaxAcceptPace))
        throw std::runtime_error("the guard's pace must be in [0, " +
                                 fixed(Recipe::kMaxAcceptPace, 1) + "]");
    say("loading the model (" + o.precision + ")");
    Loaded loaded = loadModel(o);
    MusicEngine& engine = *loaded.engine;
    StreamBenchReport report;
    report.model = loaded.name;
    report.precision = o.precision;
    report.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    report.threads = o.threads > 0 ? o.threads : std::max(1, report.cores - 1);

    Recipe base;
    if (engine.info().hasTokenizer)
        base.prompt = o.prompt;
    else
        base.promptIds = {71, 1}; // random weights: no tokenizer
    base.seed = o.seed;
    if (o.seconds > 0) {
        Recipe clip = base;
        clip.seconds = o.seconds;
        const double most = engine.info().maxFrames / engine.info().frameRate;
        if (o.seconds > most)
            throw std::runtime_error("--seconds " + fixed(o.seconds, 1) +
                                     ": one clip of this "
                                     "model holds at most " +
                                     fixed(most, 1) + " s (use --session-minutes for longer)");
        say("clip: " + fixed(o.seconds, 0) + " s");
        report.runs.push_back(runOne(engine, clip, "clip", o, say, cancel));
    }
    if (o.sessionMinutes > 0) {
        Recipe session = base;
        session.seconds = o.sessionMinutes * 60;
        session.windowSeconds =
            std::min(o.windowSeconds, engine.info().maxFrames / engine.info().frameRate);
        // As the studio's Session view makes one (no emotion check: no head is loaded here).
        session.seamCandidates = Recipe::kSessionSeamCandidates;
        session.readAhead = o.readAhead;
        session.useSessionChecks(
            o.acceptSeconds.value_or(Recipe::sessionAcceptSeconds(session.emotionCheck)));
        if (o.acceptPace) session.acceptPace = *o.acceptPace;
        say("session: " + fixed(o.sessionMinutes, 1) + " min in " +
            fixed(session.windowSeconds, 0) + " s windows");
        report.runs.push_back(runOne(engine, session, "session", o, say, cancel));
    }
    return report;
}

std::string StreamBenchReport::toJson() const {
    nlohmann::json j;
    j["model"] = model;
    j["precision"] = precision;
    j["threads"] = threads;
    j["cores"] = cores;
    for (const auto& r : runs) {
        nlohmann::json x;
        x["what"] = r.what;
        x["audio_seconds"] = r.audioSeconds;
        x["wall_seconds"] = r.wallSeconds;
        x["first_audio_seconds"] = r.firstAudioSeconds;
        x["speed_per_10s"] = r.speedPer10s;
        x["mean_speed"] = r.meanSpeed;
        x["underruns"] = r.underruns;
        x["underrun_seconds"] = r.underrunSeconds;
        x["first_underrun_at"] = r.firstUnderrunAt;
        x["prebuffer_needed_seconds"] = r.prebufferNeededSeconds;
        if (!r.windowPrepareSeconds.empty()) {
            x["window_prepare_seconds"] = r.windowPrepareSeconds;
            x["window_prefill_seconds"] = r.windowPrefillSeconds;
            x["window_ahead_columns"] = r.windowAheadColumns;
            x["window_seam_candidates"] = r.windowSeamCandidates;
        }
        x["codec_on_own_thread"] = r.codecOnOwnThread;
        x["process_cpu_seconds"] = r.processCpuSeconds;
        for (const auto& c : r.cpu)
            x["cpu_seconds"][c.thread] = c.cpuSeconds;
        for (const auto& l : r.levels)
            x["buffer_levels"].push_back({{"seconds", l.seconds},
                                          {"min_ahead", l.minAhead},
                                          {"ahead", l.lastAhead},
                                          {"gap_seconds", l.gapSeconds}});
        x["load_before"] = r.loadBefore;
        x["load_after"] = r.loadAfter;
        j["runs"].push_back(x);
    }
    return j.dump(2);
}

std::string StreamBenchReport::toTable() const {
    std::ostringstream out;
    out << "model: " << model << ", " << precision << " weights, LM threads " << threads << " of "
        << cores << " cores\n";
    for (const auto& r : runs) {
        out << "\n"
            << r.what << ": " << fixed(r.audioSeconds, 1) << " s of audio in "
            << fixed(r.wallSeconds, 1) << " s (load " << r.loadBefore << " -> " << r.loadAfter
            << ")\n";
        out << "  codec             "
            << (r.codecOnOwnThread ? "on its own thread" : "inline (LM thread)") << "\n";
        out << "  first audio       " << fixed(r.firstAudioSeconds, 2) << " s\n";
        out << "  speed             " << fixed(r.meanSpeed, 2)
            << "x real time after the first audio; per 10 s of audio:";
        for (double s : r.speedPer10s)
            out << " " << fixed(s, 2);
        out << "\n";
        out << "  underruns         " << r.underruns << " (" << fixed(r.underrunSeconds * 1000, 0)
            << " ms of silence";
        if (r.firstUnderrunAt >= 0) out << ", the first " << fixed(r.firstUnderrunAt, 1) << " s in";
        out << ")\n";
        out << "  pre-buffer needed " << fixed(r.prebufferNeededSeconds, 2)
            << " s after the first audio for no gap\n";
        if (!r.windowPrepareSeconds.empty()) {
            out << "  windows           " << r.windowPrepareSeconds.size()
                << "; seconds of prefill and seam choice before each:";
            for (double s : r.windowPrepareSeconds)
                out << " " << fixed(s, 2);
            out << " (of which the prefill:";
            for (double s : r.windowPrefillSeconds)
                out << " " << fixed(s, 2);
            out << "; context columns read ahead:";
            for (int c : r.windowAheadColumns)
                out << " " << c;
            out << "; seam candidates tried:";
            for (int c : r.windowSeamCandidates)
                out << " " << c;
            out << ")\n";
        }
        out << "  CPU per thread   ";
        for (const auto& c : r.cpu)
            out << " " << c.thread << " " << fixed(c.cpuSeconds, 1) << " s;";
        out << " process " << fixed(r.processCpuSeconds, 1) << " s\n";
        out << "  buffer ahead of the playhead (s), per interval of output: end  min  at-end  "
               "gap\n";
        for (const auto& l : r.levels)
            out << "    " << fixed(l.seconds, 0) << "\t" << fixed(l.minAhead, 2) << "\t"
                << fixed(l.lastAhead, 2) << "\t" << fixed(l.gapSeconds, 2) << "\n";
    }
    return out.str();
}

} // namespace moodsteer
