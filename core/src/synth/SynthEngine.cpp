#include "SynthEngine.h"

#include <algorithm>
#include <cmath>

namespace moodsteer::synth {

namespace {
using I = Instrument;
double velocityAmp(int level) {
    return 0.28 + 0.72 * level / (kVelocityLevels - 1.0);
}
} // namespace

SynthEngine::SynthEngine() {
    // Large enough that stealing only ever takes a voice deep in its release tail.
    const int sizes[kNumParts] = {24, 12, 4, 6};
    for (int p = 0; p < kNumParts; ++p) {
        voices_[static_cast<std::size_t>(p)].resize(static_cast<std::size_t>(sizes[p]));
        partBuf_[static_cast<std::size_t>(p)].assign(kSamplesPerFrame, 0.0f);
    }
    drums_.resize(32);
    drumBuf_.assign(kSamplesPerFrame, 0.0f);
    mixBuf_.assign(kSamplesPerFrame, 0.0f);
    // Freeverb's comb/allpass lengths, scaled from 44.1 kHz to 32 kHz.
    const int combLen[4] = {810, 862, 927, 984};
    const int apLen[2] = {404, 320};
    for (std::size_t i = 0; i < 4; ++i)
        combs_[i].buf.assign(static_cast<std::size_t>(combLen[i]), 0.0f);
    for (std::size_t i = 0; i < 2; ++i)
        allpasses_[i].buf.assign(static_cast<std::size_t>(apLen[i]), 0.0f);
}

const Band& SynthEngine::band() const {
    return bandFor(texture_.genre, texture_.variant);
}

int SynthEngine::allocate(Part part) {
    auto& pool = voices_[static_cast<std::size_t>(part)];
    int best = -1;
    for (std::size_t i = 0; i < pool.size(); ++i)
        if (!pool[i].active()) return static_cast<int>(i);
    // Pool full: reuse the quietest voice (normally one near the end of its release).
    double quietest = 1e9;
    for (std::size_t i = 0; i < pool.size(); ++i)
        if (pool[i].level() < quietest) {
            quietest = pool[i].level();
            best = static_cast<int>(i);
        }
    return best;
}

void SynthEngine::startNote(Part part, Instrument instrument, double pitch, double velocity,
                            int* slot) {
    const int i = allocate(part);
    auto& v = voices_[static_cast<std::size_t>(part)][static_cast<std::size_t>(i)];
    ++noteCounter_;
    v.start(instrument, pitch, velocity, texture_.brightness,
            hashMix(static_cast<std::uint32_t>(noteCounter_), static_cast<std::uint32_t>(pitch)));
    v.startOrder = noteCounter_;
    if (slot) *slot = i;
}

void SynthEngine::releasePart(Part part) {
    for (auto& v : voices_[static_cast<std::size_t>(part)])
        v.release();
}

void SynthEngine::applyTexture(const TextureToken& t) {
    const bool layerChanged = t.layer != texture_.layer;
    texture_ = t;
    // Loudness levels are 1.6 dB apart, from -15 dB (level 0) to -3.8 dB (level 7): a
    // dynamic range like that between quiet and loud commercial tracks, not a concert hall's.
    gainTarget_ = std::pow(10.0, (-15.0 + 1.6 * t.loudness) / 20.0);
    if (layerChanged) {
        if (t.layer == 0)
            releasePart(kPad);
        else
            startPad();
    }
}

void SynthEngine::strikeChord() {
    releasePart(kComp);
    if (chord_ < 0) return;
    const Band& b = band();
    const double vel = 0.55 + 0.06 * texture_.loudness;
    int pitches[4];
    const int n = chordVoicing(chord_, b.compLow, b.comp == I::DistGuitar, pitches);
    for (int k = 0; k < n; ++k)
        startNote(kComp, b.comp, pitches[k], vel, nullptr);
}

void SynthEngine::startPad() {
    releasePart(kPad);
    padChord_ = chord_;
    if (chord_ < 0 || texture_.layer == 0) return;
    const Band& b = band();
    int pitches[4];
    const int n = chordVoicing(chord_, b.padLow, false, pitches);
    for (int k = 0; k < n; ++k)
        startNote(kPad, b.pad, pitches[k], 0.7, nullptr);
}

void SynthEngine::applyHarmony(const HarmonyToken& h) {
    // A stream that opens on "hold" continues a chord from before the clip (a crop from
    // mid-piece, or an LM that starts with holds): sound it rather than render silence.
    const bool first = chord_ < 0;
    const int comp = first && h.comp == kCompHold ? kCompStrike : h.comp;
    const int bass = first && h.bass == kBassHold ? kBassRoot : h.bass;
    const bool changed = h.chord != chord_;
    chord_ = h.chord;
    if (comp == kCompMute)
        releasePart(kComp);
    else if (comp == kCompStrike)
        strikeChord();
    if (changed) startPad();
    if (bass == kBassRelease) {
        releasePart(kBass);
    } else if (bass >= kBassRoot) {
        const int pitch = bassPitch(chord_, bass);
        if (pitch >= 0) {
            releasePart(kBass);
            const Band& b = band();
            startNote(kBass, b.bass, pitch + b.bassShift, 0.55 + 0.06 * texture_.loudness,
                      &bassSlot_);
        }
    }
}

void SynthEngine::applyMelody(const MelodyToken& m) {
    if (m.kind == MelodyToken::kHold) return;
    releasePart(kMelody);
    if (m.kind == MelodyToken::kOnset)
        startNote(kMelody, band().melody, m.pitch, velocityAmp(m.velocity), &melodySlot_);
}

void SynthEngine::applyDrums(const DrumToken& d) {
    if (d.mask == 0) return;
    for (int drum = 0; drum < kNumDrums; ++drum) {
        if (!(d.mask & (1u << drum))) continue;
        if (drum == kClosedHat)
            for (auto& dv : drums_)
                if (dv.active() && dv.drum() == kOpenHat) dv.choke();
        std::size_t slot = 0;
        double quietest = 1e9;
        for (std::size_t i = 0; i < drums_.size(); ++i) {
            if (!drums_[i].active()) {
                slot = i;
                break;
            }
            if (drums_[i].level() < quietest) quietest = drums_[i].level(), slot = i;
        }
        ++noteCounter_;
        drums_[slot].start(drum, velocityAmp(d.velocity), band().electronicKit,
                           hashMix(static_cast<std::uint32_t>(noteCounter_), 77u + drum));
    }
}

void SynthEngine::renderFrame(const std::int64_t codes[kNumStreams], float* out) {
    TextureToken t = texture_;
    if (decodeTexture(codes[kTextureStream], t)) applyTexture(t);
    HarmonyToken h;
    if (decodeHarmony(codes[kHarmonyStream], h)) applyHarmony(h);
    MelodyToken m;
    if (decodeMelody(codes[kMelodyStream], m)) applyMelody(m);
    DrumToken d;
    if (decodeDrums(codes[kDrumStream], d)) applyDrums(d);
    mixAndMaster(out, kSamplesPerFrame, false, 0, 0);
}

std::vector<float> SynthEngine::renderTail() {
    for (int p = 0; p < kNumParts; ++p)
        releasePart(static_cast<Part>(p));
    std::vector<float> tail(static_cast<std::size_t>(tailSamples()), 0.0f);
    for (int pos = 0; pos < tailSamples(); pos += kSamplesPerFrame) {
        const int n = std::min(kSamplesPerFrame, tailSamples() - pos);
        mixAndMaster(tail.data() + pos, n, true, pos, tailSamples());
    }
    return tail;
}

void SynthEngine::mixAndMaster(float* out, int n, bool fadeOut, int fadeStart, int fadeLength) {
    const Band& b = band();
    const double partGain[kNumParts] = {b.compGain, b.padGain, b.bassGain, b.melodyGain};
    std::fill(mixBuf_.begin(), mixBuf_.begin() + n, 0.0f);
    for (int p = 0; p < kNumParts; ++p) {
        auto& buf = partBuf_[static_cast<std::size_t>(p)];
        std::fill(buf.begin(), buf.begin() + n, 0.0f);
        for (auto& v : voices_[static_cast<std::size_t>(p)])
            v.render(buf.data(), n);
        for (int i = 0; i < n; ++i)
            mixBuf_[static_cast<std::size_t>(i)] +=
                static_cast<float>(partGain[p] * buf[static_cast<std::size_t>(i)]);
    }
    std::fill(drumBuf_.begin(), drumBuf_.begin() + n, 0.0f);
    for (auto& dv : drums_)
        dv.render(drumBuf_.data(), n);

    const double gainCoef = 1.0 - std::exp(-1.0 / (0.05 * kSampleRate)); // 50 ms glide
    const double envAttack = 1.0 - std::exp(-1.0 / (0.002 * kSampleRate));
    const double envRelease = std::exp(-1.0 / (0.15 * kSampleRate));
    constexpr double kThreshold = 0.7, kKnee = 0.2; // output peaks stay below 0.7 + 0.2
    for (int i = 0; i < n; ++i) {
        const std::size_t si = static_cast<std::size_t>(i);
        const double dry = mixBuf_[si] + b.drumGain * drumBuf_[si];
        // Mono Freeverb: four damped combs in parallel, two allpasses in series.
        const double in = dry * 0.12;
        double wet = 0.0;
        for (auto& c : combs_) {
            const double y = c.buf[c.pos];
            c.store = y * 0.7 + c.store * 0.3;
            if (std::fabs(c.store) < 1e-15) // keep the decaying tail out of denormals
                c.store = 0.0;
            c.buf[c.pos] = static_cast<float>(in + c.store * 0.82);
            c.pos = c.pos + 1 == c.buf.size() ? 0 : c.pos + 1;
            wet += y;
        }
        for (auto& a : allpasses_) {
            const double y = a.buf[a.pos];
            a.buf[a.pos] = static_cast<float>(wet + y * 0.5);
            a.pos = a.pos + 1 == a.buf.size() ? 0 : a.pos + 1;
            wet = y - wet;
        }
        gain_ += (gainTarget_ - gain_) * gainCoef;
        double x = (dry + b.reverb * wet) * gain_;
        // DC blocker (~2.5 Hz high-pass).
        const double y = x - dcX_ + 0.9995 * dcY_;
        dcX_ = x;
        dcY_ = std::fabs(y) < 1e-15 ? 0.0 : y;
        x = y;
        // Limiter: a 2 ms / 150 ms peak follower pulls the level down to the threshold,
        // and a tanh knee catches what the follower is too slow for. Both are continuous,
        // so limiting never makes a click, and |x| < kThreshold + kKnee always.
        const double ax = std::fabs(x);
        peakEnv_ = ax > peakEnv_ ? peakEnv_ + (ax - peakEnv_) * envAttack : peakEnv_ * envRelease;
        if (peakEnv_ > kThreshold) x *= kThreshold / peakEnv_;
        if (std::fabs(x) > kThreshold)
            x = std::copysign(kThreshold + kKnee * std::tanh((std::fabs(x) - kThreshold) / kKnee),
                              x);
        if (fadeOut) x *= 1.0 - static_cast<double>(fadeStart + i) / fadeLength;
        out[i] = static_cast<float>(x);
    }
}

} // namespace moodsteer::synth
