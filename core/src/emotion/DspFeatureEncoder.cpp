#include "emotion/DspFeatureEncoder.h"

#include "core/audio/Resampler.h"
#include "core/audio/TempoEstimate.h"

#include <kiss_fftr.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <numeric>
#include <stdexcept>

namespace moodsteer {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kBins = DspFeatureEncoder::kFrameSize / 2 + 1;
constexpr double kBinHz =
    static_cast<double>(DspFeatureEncoder::kSampleRate) / DspFeatureEncoder::kFrameSize;
constexpr double kEps = 1e-10;

// Krumhansl-Kessler key profiles, C first.
constexpr std::array<double, 12> kMajorProfile{6.35, 2.23, 3.48, 2.33, 4.38, 4.09,
                                               2.52, 5.19, 2.39, 3.66, 2.29, 2.88};
constexpr std::array<double, 12> kMinorProfile{6.33, 2.68, 3.52, 5.38, 2.60, 3.53,
                                               2.54, 4.75, 3.98, 2.69, 3.34, 3.17};

double hzToMel(double f) {
    return 2595.0 * std::log10(1.0 + f / 700.0);
}
double melToHz(double m) {
    return 700.0 * (std::pow(10.0, m / 2595.0) - 1.0);
}

struct MelBand {
    int first = 0;
    std::vector<float> weights;
};

// Triangular HTK-mel filters, 40 Hz .. 14 kHz, each normalised to unit area so that bands
// of different widths are comparable.
const std::vector<MelBand>& melBank() {
    static const std::vector<MelBand> bank = [] {
        const int n = DspFeatureEncoder::kMelBands;
        const double lo = hzToMel(40.0), hi = hzToMel(14000.0);
        std::vector<double> edges(n + 2);
        for (int i = 0; i < n + 2; ++i)
            edges[i] = melToHz(lo + (hi - lo) * i / (n + 1));
        std::vector<MelBand> out(n);
        for (int b = 0; b < n; ++b) {
            const double l = edges[b], c = edges[b + 1], r = edges[b + 2];
            const int first = static_cast<int>(std::ceil(l / kBinHz));
            const int last = std::min(kBins - 1, static_cast<int>(std::floor(r / kBinHz)));
            out[b].first = first;
            double sum = 0;
            for (int k = first; k <= last; ++k) {
                const double f = k * kBinHz;
                const double w = f <= c ? (f - l) / (c - l) : (r - f) / (r - c);
                out[b].weights.push_back(static_cast<float>(std::max(0.0, w)));
                sum += std::max(0.0, w);
            }
            if (sum <= 0) { // narrow low band between two bins: take the nearest bin
                out[b].first = std::min(kBins - 1, static_cast<int>(std::lround(c / kBinHz)));
                out[b].weights = {1.0f};
                sum = 1;
            }
            for (auto& w : out[b].weights)
                w = static_cast<float>(w / sum);
        }
        return out;
    }();
    return bank;
}

// Pitch class (C = 0) of a frequency in 100 Hz .. 5 kHz, -1 elsewhere.
int pitchClass(double f) {
    if (f < 100.0 || f > 5000.0) return -1;
    const long midi = std::lround(69.0 + 12.0 * std::log2(f / 440.0));
    return static_cast<int>(((midi % 12) + 12) % 12);
}

double correlation(const std::array<double, 12>& a, const std::array<double, 12>& b, int shift) {
    double ma = 0, mb = 0;
    for (int i = 0; i < 12; ++i)
        ma += a[i], mb += b[i];
    ma /= 12, mb /= 12;
    double cov = 0, va = 0, vb = 0;
    for (int i = 0; i < 12; ++i) {
        const double x = a[(i + shift) % 12] - ma, y = b[i] - mb;
        cov += x * y, va += x * x, vb += y * y;
    }
    return va > 0 && vb > 0 ? cov / std::sqrt(va * vb) : 0.0;
}

// Sethares' parametrisation of the Plomp-Levelt dissonance curve, normalised by the peaks'
// total power so that it measures roughness, not loudness.
double roughness(const std::vector<float>& mag) {
    std::vector<std::pair<float, int>> peaks;
    float maxMag = 0;
    for (int k = 2; k < kBins - 1; ++k)
        maxMag = std::max(maxMag, mag[k]);
    if (maxMag <= 1e-6f) return 0.0;
    const int kLo = static_cast<int>(20.0 / kBinHz) + 1, kHi = static_cast<int>(5000.0 / kBinHz);
    for (int k = std::max(2, kLo); k <= kHi; ++k)
        if (mag[k] > mag[k - 1] && mag[k] >= mag[k + 1] && mag[k] > 0.01f * maxMag)
            peaks.emplace_back(mag[k], k);
    std::sort(peaks.begin(), peaks.end(), std::greater<>());
    if (peaks.size() > 16) peaks.resize(16);
    double d = 0, power = 0;
    for (std::size_t i = 0; i < peaks.size(); ++i) {
        const double ai = peaks[i].first / maxMag, fi = peaks[i].second * kBinHz;
        power += ai * ai;
        for (std::size_t j = i + 1; j < peaks.size(); ++j) {
            const double aj = peaks[j].first / maxMag, fj = peaks[j].second * kBinHz;
            const double s = 0.24 / (0.0207 * std::min(fi, fj) + 18.96);
            const double df = std::abs(fi - fj);
            d += ai * aj * (std::exp(-3.51 * s * df) - std::exp(-5.75 * s * df));
        }
    }
    return power > 0 ? d / power : 0.0;
}

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0.0;
    const std::size_t k = std::min(v.size() - 1, static_cast<std::size_t>(q * (v.size() - 1)));
    std::nth_element(v.begin(), v.begin() + k, v.end());
    return v[k];
}

double meanOf(const std::vector<double>& v) {
    return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / v.size();
}

double sdOf(const std::vector<double>& v) {
    const double m = meanOf(v);
    double s = 0;
    for (double x : v)
        s += (x - m) * (x - m);
    return v.empty() ? 0.0 : std::sqrt(s / v.size());
}

double median(std::vector<double>& v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
}

// Window-level dynamics and texture, written to every frame (like tempo). Everything here is
// a ratio or a level difference, so the clip's gain cancels.
void fillWindowTexture(const std::vector<float>& x, const std::vector<double>& onset,
                       double brightness, FrameFeatures& out) {
    using E = DspFeatureEncoder;
    const int frames = out.frames;
    const double rate = static_cast<double>(E::kSampleRate) / E::kHop;
    // Dynamics over frames within 60 dB of the loudest, so a fade to digital silence does
    // not dominate.
    double top = -100;
    for (int t = 0; t < frames; ++t)
        top = std::max(top, static_cast<double>(out.at(t, E::kLoudness)));
    std::vector<double> db, centroid;
    double meanPower = 0;
    for (int t = 0; t < frames; ++t) {
        db.push_back(std::max(top - 60.0, static_cast<double>(out.at(t, E::kLoudness))));
        centroid.push_back(out.at(t, E::kCentroid));
        meanPower += std::pow(10.0, out.at(t, E::kLoudness) / 10.0) / frames;
    }
    int low = 0;
    for (int t = 0; t < frames; ++t)
        low += std::pow(10.0, out.at(t, E::kLoudness) / 10.0) < meanPower;
    double peak = 0, sumSq = 0;
    for (float s : x)
        peak = std::max(peak, static_cast<double>(std::abs(s))), sumSq += double(s) * s;
    const double rms = std::sqrt(sumSq / std::max<std::size_t>(1, x.size()));
    const double crest = rms > kEps ? 20.0 * std::log10(peak / rms) : 0.0;

    // Onsets: local maxima (+-3 frames, ~50 ms) above the envelope's mean + half its sd.
    const double thr = meanOf(onset) + 0.5 * sdOf(onset);
    int onsets = 0;
    for (int t = 1; t + 1 < frames; ++t) {
        bool isPeak = onset[t] > thr;
        for (int d = -3; d <= 3 && isPeak; ++d)
            if (d != 0 && t + d >= 0 && t + d < frames && onset[t + d] > onset[t]) isPeak = false;
        onsets += isPeak;
    }
    const double onsetRate = onsets / (frames / rate);

    // Harmonic change: cosine distance between the chroma of consecutive 0.5 s blocks.
    const int block = std::max(1, static_cast<int>(std::lround(0.5 * rate)));
    std::vector<std::array<double, 12>> blocks;
    for (int b = 0; b + block <= frames; b += block) {
        std::array<double, 12> c{};
        for (int t = b; t < b + block; ++t)
            for (int k = 0; k < 12; ++k)
                c[k] += out.at(t, E::kChroma + k);
        blocks.push_back(c);
    }
    double change = 0;
    for (std::size_t i = 1; i < blocks.size(); ++i) {
        double dot = 0, na = 0, nb = 0;
        for (int k = 0; k < 12; ++k)
            dot += blocks[i][k] * blocks[i - 1][k], na += blocks[i][k] * blocks[i][k],
                nb += blocks[i - 1][k] * blocks[i - 1][k];
        change += na > 0 && nb > 0 ? 1.0 - dot / std::sqrt(na * nb) : 0.0;
    }
    change = blocks.size() > 1 ? change / (blocks.size() - 1) : 0.0;

    // Percussiveness (Fitzgerald's median-filter separation on the mel power): harmonic =
    // median over +-8 frames in a band, percussive = median over +-4 bands in a frame.
    const int nb = E::kMelBands;
    std::vector<double> melPower(static_cast<std::size_t>(frames) * nb);
    for (int t = 0; t < frames; ++t)
        for (int b = 0; b < nb; ++b)
            melPower[t * nb + b] = std::pow(10.0, out.at(t, b));
    double percussive = 0, total = 0;
    std::vector<double> tmp;
    for (int t = 0; t < frames; ++t)
        for (int b = 0; b < nb; ++b) {
            tmp.clear();
            for (int u = std::max(0, t - 8); u <= std::min(frames - 1, t + 8); ++u)
                tmp.push_back(melPower[u * nb + b]);
            const double h = median(tmp);
            tmp.clear();
            for (int c = std::max(0, b - 4); c <= std::min(nb - 1, b + 4); ++c)
                tmp.push_back(melPower[t * nb + c]);
            const double p = median(tmp);
            const double e = melPower[t * nb + b];
            percussive += e * p * p / std::max(1e-30, h * h + p * p);
            total += e;
        }

    // Vocal presence proxy: share of the 300-3400 Hz band envelope's modulation power that
    // lies at syllable rates (3-8 Hz) among 0.5-12 Hz.
    std::vector<double> env(frames, 0.0);
    const double lo = hzToMel(40.0), hi = hzToMel(14000.0);
    for (int b = 0; b < nb; ++b) {
        const double centre = melToHz(lo + (hi - lo) * (b + 1) / (nb + 1));
        if (centre < 300.0 || centre > 3400.0) continue;
        for (int t = 0; t < frames; ++t)
            env[t] += melPower[t * nb + b];
    }
    for (double& v : env)
        v = 10.0 * std::log10(v + kEps);
    const double envMean = meanOf(env);
    double syllabic = 0, broad = 0;
    for (double f = 0.5; f <= 12.0; f += 0.25) {
        double re = 0, im = 0;
        for (int t = 0; t < frames; ++t) {
            const double ph = 2 * kPi * f * t / rate;
            re += (env[t] - envMean) * std::cos(ph), im += (env[t] - envMean) * std::sin(ph);
        }
        const double p = re * re + im * im;
        broad += p;
        if (f >= 3.0 && f <= 8.0) syllabic += p;
    }

    const float values[] = {static_cast<float>(sdOf(db)),
                            static_cast<float>(percentile(db, 0.95) - percentile(db, 0.10)),
                            static_cast<float>(crest),
                            static_cast<float>(static_cast<double>(low) / frames),
                            static_cast<float>(brightness),
                            static_cast<float>(sdOf(centroid)),
                            static_cast<float>(onsetRate),
                            static_cast<float>(change),
                            static_cast<float>(total > 0 ? percussive / total : 0.0),
                            static_cast<float>(broad > 0 ? syllabic / broad : 0.0)};
    for (int t = 0; t < frames; ++t)
        for (int i = 0; i < 10; ++i)
            out.data[static_cast<std::size_t>(t) * E::kFeatureSize + E::kLoudnessSd + i] =
                values[i];
}

struct KissDeleter {
    void operator()(kiss_fftr_cfg c) const { kiss_fftr_free(c); }
};

} // namespace

std::vector<std::string> DspFeatureEncoder::featureNames() const {
    std::vector<std::string> names;
    for (int b = 0; b < kMelBands; ++b)
        names.push_back("logmel_" + std::to_string(b));
    for (const char* n : {"loudness_db", "centroid_khz", "rolloff_khz", "flux", "flatness",
                          "onset_strength", "roughness"})
        names.emplace_back(n);
    for (const char* n : {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"})
        names.push_back(std::string("chroma_") + n);
    for (const char* n :
         {"key_clarity", "mode", "tempo_bpm", "pulse_clarity", "loudness_sd_db",
          "loudness_range_db", "crest_db", "low_energy", "brightness", "centroid_sd_khz",
          "onset_rate", "harmonic_change", "percussiveness", "syllabic_modulation"})
        names.emplace_back(n);
    return names;
}

std::vector<std::pair<std::string, std::vector<int>>> DspFeatureEncoder::featureFamilies() const {
    std::vector<int> mel(kMelBands), chroma(12);
    std::iota(mel.begin(), mel.end(), 0);
    std::iota(chroma.begin(), chroma.end(), kChroma);
    return {{"mel", mel},
            {"dynamics", {kLoudness, kLoudnessSd, kLoudnessRange, kCrest, kLowEnergy}},
            {"spectral-shape", {kCentroid, kRolloff, kFlatness, kBrightness, kCentroidSd}},
            {"onsets-tempo", {kFlux, kOnset, kTempo, kPulseClarity, kOnsetRate}},
            {"roughness", {kRoughness}},
            {"chroma", chroma},
            {"key-mode", {kKeyClarity, kMode, kHarmonicChange}},
            {"percussiveness", {kPercussiveness}},
            {"vocal", {kSyllabicModulation}}};
}

FrameFeatures DspFeatureEncoder::encode(const AudioBuffer& input) const {
    if (input.sampleRate <= 0)
        throw std::invalid_argument("dsp encoder: invalid sample rate " +
                                    std::to_string(input.sampleRate));
    for (float s : input.samples)
        if (!std::isfinite(s))
            throw std::invalid_argument("dsp encoder: audio contains NaN or Inf samples");
    const AudioBuffer audio = Resampler::resample(input, kSampleRate);
    const auto& x = audio.samples;
    if (static_cast<int>(x.size()) < kFrameSize)
        throw std::invalid_argument("dsp encoder: clip of " + std::to_string(input.seconds()) +
                                    " s is shorter than one frame (" +
                                    std::to_string(minimumSeconds()) + " s)");
    const int frames = 1 + (static_cast<int>(x.size()) - kFrameSize) / kHop;

    std::unique_ptr<std::remove_pointer_t<kiss_fftr_cfg>, KissDeleter> fft(
        kiss_fftr_alloc(kFrameSize, 0, nullptr, nullptr));
    if (!fft) throw std::runtime_error("dsp encoder: KissFFT allocation failed");
    std::vector<float> window(kFrameSize), frame(kFrameSize);
    for (int i = 0; i < kFrameSize; ++i)
        window[i] = static_cast<float>(0.5 - 0.5 * std::cos(2 * kPi * i / kFrameSize));
    std::vector<kiss_fft_cpx> spec(kBins);
    std::vector<float> mag(kBins), prevMag(kBins, 0.0f), power(kBins);
    std::vector<double> logMel(kMelBands), onset(frames, 0.0);
    std::array<double, 12> chromaSum{};
    const auto& bank = melBank();
    const int brightBin = static_cast<int>(std::ceil(1500.0 / kBinHz));
    double brightEnergy = 0, darkEnergy = 0;

    FrameFeatures out;
    out.frames = frames;
    out.dims = kFeatureSize;
    out.data.assign(static_cast<std::size_t>(frames) * kFeatureSize, 0.0f);
    for (int t = 0; t < frames; ++t) {
        float* row = out.data.data() + static_cast<std::size_t>(t) * kFeatureSize;
        const float* src = x.data() + static_cast<std::size_t>(t) * kHop;
        double sumSq = 0;
        for (int i = 0; i < kFrameSize; ++i) {
            sumSq += static_cast<double>(src[i]) * src[i];
            frame[i] = src[i] * window[i];
        }
        kiss_fftr(fft.get(), frame.data(), spec.data());
        double magSum = 0, powSum = 0, centroid = 0, logPowSum = 0;
        for (int k = 0; k < kBins; ++k) {
            power[k] = spec[k].r * spec[k].r + spec[k].i * spec[k].i;
            (k >= brightBin ? brightEnergy : darkEnergy) += power[k];
            mag[k] = std::sqrt(power[k]);
            magSum += mag[k];
            powSum += power[k];
            centroid += k * kBinHz * mag[k];
            logPowSum += std::log(power[k] + kEps);
        }
        for (int b = 0; b < kMelBands; ++b) {
            double e = 0;
            for (std::size_t j = 0; j < bank[b].weights.size(); ++j)
                e += bank[b].weights[j] * power[bank[b].first + j];
            logMel[b] = std::log10(e + kEps);
            row[b] = static_cast<float>(logMel[b]);
        }
        const double rms = std::sqrt(sumSq / kFrameSize);
        row[kLoudness] = static_cast<float>(std::max(-100.0, 20.0 * std::log10(rms + kEps)));
        row[kCentroid] = static_cast<float>(magSum > kEps ? centroid / magSum / 1000.0 : 0.0);
        double cum = 0;
        int rollBin = 0;
        for (int k = 0; k < kBins && powSum > kEps; ++k) {
            cum += power[k];
            if (cum >= 0.85 * powSum) {
                rollBin = k;
                break;
            }
        }
        row[kRolloff] = static_cast<float>(rollBin * kBinHz / 1000.0);
        double flux = 0;
        if (t > 0) {
            for (int k = 0; k < kBins; ++k)
                flux += std::max(0.0f, mag[k] - prevMag[k]);
            flux = magSum > kEps ? flux / magSum : 0.0;
        }
        row[kFlux] = static_cast<float>(flux);
        const double arith = powSum / kBins;
        row[kFlatness] =
            static_cast<float>(arith > kEps ? std::exp(logPowSum / kBins) / arith : 0.0);
        row[kRoughness] = static_cast<float>(roughness(mag));
        // Chroma from spectral peaks at their interpolated frequency: a window's main lobe is
        // wider than a semitone at low pitch, so per-bin assignment would smear notes.
        std::array<double, 12> chroma{};
        double chromaTotal = 0;
        for (int k = 1; k + 1 < kBins; ++k) {
            if (!(power[k] > power[k - 1] && power[k] >= power[k + 1])) continue;
            const double a = std::log(power[k - 1] + kEps), b = std::log(power[k] + kEps),
                         c = std::log(power[k + 1] + kEps);
            const double den = a - 2 * b + c;
            const double delta = den != 0 ? std::clamp(0.5 * (a - c) / den, -0.5, 0.5) : 0.0;
            const int pc = pitchClass((k + delta) * kBinHz);
            if (pc < 0) continue;
            const double e = power[k - 1] + power[k] + power[k + 1];
            chroma[pc] += e;
            chromaTotal += e;
        }
        for (int c = 0; c < 12; ++c) {
            chromaSum[c] += chroma[c];
            row[kChroma + c] =
                static_cast<float>(chromaTotal > kEps ? chroma[c] / chromaTotal : 1.0 / 12);
        }
        std::swap(mag, prevMag);
    }

    // Onset strength: rectified log-mel rise averaged over bands, with the log-mel clipped
    // 80 dB below the clip's loudest band so that window side-lobe ripple of a steady tone
    // (far below audibility) does not count as onsets.
    float topLogMel = -1e30f;
    for (int t = 0; t < frames; ++t)
        for (int b = 0; b < kMelBands; ++b)
            topLogMel = std::max(topLogMel, out.at(t, b));
    const float floorLogMel = topLogMel - 8.0f;
    for (int t = 1; t < frames; ++t) {
        double s = 0;
        for (int b = 0; b < kMelBands; ++b)
            s += std::max(0.0f, std::max(floorLogMel, out.at(t, b)) -
                                    std::max(floorLogMel, out.at(t - 1, b)));
        onset[t] = s / kMelBands;
        out.data[static_cast<std::size_t>(t) * kFeatureSize + kOnset] =
            static_cast<float>(onset[t]);
    }

    // Window-level: key clarity and mode from the summed chroma, tempo from the onsets.
    double bestMajor = 0, bestMinor = 0;
    for (int key = 0; key < 12; ++key) {
        bestMajor = std::max(bestMajor, correlation(chromaSum, kMajorProfile, key));
        bestMinor = std::max(bestMinor, correlation(chromaSum, kMinorProfile, key));
    }
    const TempoEstimate tempo = estimateTempo(onset, frameRate());
    for (int t = 0; t < frames; ++t) {
        float* row = out.data.data() + static_cast<std::size_t>(t) * kFeatureSize;
        row[kKeyClarity] = static_cast<float>(std::max(bestMajor, bestMinor));
        row[kMode] = static_cast<float>(bestMajor - bestMinor);
        row[kTempo] = static_cast<float>(tempo.bpm);
        row[kPulseClarity] = static_cast<float>(tempo.clarity);
    }
    fillWindowTexture(x, onset, brightEnergy / std::max(kEps, brightEnergy + darkEnergy), out);
    return out;
}

} // namespace moodsteer
