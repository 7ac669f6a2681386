#include "core/corpus/Composer.h"

#include "../synth/Band.h"
#include "../synth/SynthTokens.h"
#include "GenreIdiom.h"
#include "PromptWriter.h"
#include "Rng.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace moodsteer {

using namespace synth;
using namespace corpus;

const std::vector<std::string>& Composer::genres() {
    static const std::vector<std::string> names{"classical", "electronic", "jazz", "rock"};
    return names;
}

int Composer::genreIndex(const std::string& genre) {
    const auto& g = genres();
    const auto it = std::find(g.begin(), g.end(), genre);
    if (it == g.end())
        throw std::invalid_argument("unknown genre '" + genre +
                                    "' (choose classical, electronic, jazz or rock)");
    return static_cast<int>(it - g.begin());
}

Composer::Composer(const EmotionLexicon& lexicon) : lexicon_(&lexicon) {}

namespace {

const char* const kKeyNames[12] = {"C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"};
const int kMajorScale[7] = {0, 2, 4, 5, 7, 9, 11};
const int kMinorScale[7] = {0, 2, 3, 5, 7, 8, 10};

int clampi(long v, int lo, int hi) {
    return static_cast<int>(std::clamp<long>(v, lo, hi));
}

// The valence/arousal -> music mapping (docs/corpus.md). Every parameter is monotone in its
// dimension; the small jitter keeps pieces at one (v, a) from being identical.
MusicalParameters chooseParameters(int genre, double v, double a, Rng& rng) {
    const double vn = (v - 1.0) / 8.0, an = (a - 1.0) / 8.0;
    MusicalParameters p;
    const auto& tempos = genreTempos(genre);
    const int n = static_cast<int>(tempos.size());
    p.tempoIndex = tempos[static_cast<std::size_t>(
        clampi(std::lround(std::floor(an * n + rng.uniform(-0.35, 0.35))), 0, n - 1))];
    p.density = std::clamp(an + rng.uniform(-0.08, 0.08), 0.0, 1.0);
    p.loudness = clampi(std::lround(0.6 + 6.0 * an + rng.uniform(-0.5, 0.5)) + (genre == kRock) -
                            (genre == kClassical),
                        0, kLoudnessLevels - 1);
    p.drumTier = clampi(std::lround(std::floor(3.0 * an + rng.uniform(-0.3, 0.3))), 0, 2);
    p.articulation = std::clamp(0.97 - 0.5 * an + rng.uniform(-0.04, 0.04), 0.4, 1.0);
    p.minor = rng.chance(1.0 / (1.0 + std::exp((vn - 0.45) * 11.0)));
    p.dissonance = 0.45 * std::pow(1.0 - vn, 1.5);
    p.registerCenter =
        clampi(std::lround(60.0 + 12.0 * vn + 3.0 * an + rng.uniform(-2.0, 2.0)), 55, 80);
    p.contour = std::clamp(2.0 * (vn - 0.5) + rng.uniform(-0.2, 0.2), -1.0, 1.0);
    p.brightness = clampi(std::lround(0.2 + an + 0.9 * vn + rng.uniform(-0.3, 0.3)), 0, 2);
    return p;
}

// Low valence swaps some chords for tenser ones (dominant sevenths, half-diminished); high
// valence in electronic music adds major sevenths. Applied per bar so repeats stay coherent.
Progression colour(Progression prog, int genre, const MusicalParameters& p, double vn, Rng& rng) {
    for (std::size_t i = 0; i < prog.size(); i += 2) {
        auto& q = prog[i].quality;
        const bool tonic = prog[i].offset == 0;
        if (rng.chance(p.dissonance)) {
            if (q == kMajor && !tonic)
                q = kDom7;
            else if (q == kMinor || q == kMin7)
                q = tonic ? kMin7 : kHalfDim;
            else if (q == kMaj7)
                q = kDom7;
        } else if (genre == kElectronic && q == kMajor && rng.chance(0.35 * vn)) {
            q = kMaj7;
        }
        if (i + 1 < prog.size() && prog[i + 1].offset == prog[i].offset) prog[i + 1].quality = q;
    }
    return prog;
}

struct MotifNote {
    int step;   ///< 0..31 within a two-bar phrase
    int length; ///< steps
    int degree; ///< scale degree relative to the tonic (7 = octave)
};

std::vector<MotifNote> makeMotif(int genre, const MusicalParameters& p, double an, int startDegree,
                                 Rng& rng) {
    const double d = p.density;
    const double pBeat = 0.45 + 0.45 * d, pEighth = 0.08 + 0.6 * d;
    const double pSixteenth = genreSwings(genre) ? 0.0 : std::max(0.0, 0.5 * (d - 0.45));
    std::vector<int> onsets;
    for (int s = 0; s < 32; ++s) {
        const double pr = s == 0 ? 1.0 : s % 4 == 0 ? pBeat : s % 2 == 0 ? pEighth : pSixteenth;
        if (s == 0 || (s < 30 && rng.chance(pr))) onsets.push_back(s);
    }
    if (onsets.size() < 2) onsets.push_back(16);
    std::vector<MotifNote> notes;
    int deg = startDegree;
    const double up = 0.5 + 0.25 * p.contour, leap = 0.15 + 0.25 * an;
    for (std::size_t i = 0; i < onsets.size(); ++i) {
        if (i > 0) {
            const int size = rng.chance(leap) ? 2 + rng.below(3) : (rng.chance(0.85) ? 1 : 0);
            deg += rng.chance(up) ? size : -size;
            deg = std::clamp(deg, -3, 10); // about an octave and a half around the tonic
        }
        const int next = i + 1 < onsets.size() ? onsets[i + 1] : 32;
        notes.push_back({onsets[i], next - onsets[i], deg});
    }
    return notes;
}

class TokenBuilder {
    int frames_, f16_;
    bool swing_;

  public:
    TokenBuilder(int frames, int tempoIndex, bool swing)
        : frames_(frames), f16_(framesPerSixteenth(tempoIndex)), swing_(swing),
          harm_(static_cast<std::size_t>(frames)), mel_(static_cast<std::size_t>(frames)),
          drums_(static_cast<std::size_t>(frames)), tex_(static_cast<std::size_t>(frames)) {}

    int barFrames() const { return 16 * f16_; }
    int bars() const { return (frames_ + barFrames() - 1) / barFrames(); }
    int frameOf(int bar, int step) const {
        const int base = bar * barFrames();
        if (swing_ && step % 4 == 2) // swung eighth: two thirds into the beat
            return base + (step / 4) * 4 * f16_ + static_cast<int>(std::lround(8.0 * f16_ / 3.0));
        return base + step * f16_;
    }
    int stepsToFrames(double steps) const {
        return std::max(1, static_cast<int>(std::lround(steps * f16_)));
    }
    bool inRange(int f) const { return f >= 0 && f < frames_; }

    std::vector<HarmonyToken> harm_;
    std::vector<MelodyToken> mel_;
    std::vector<DrumToken> drums_;
    std::vector<TextureToken> tex_;

    struct Timed {
        int frame, length, value, velocity;
    };
    /// Writes onsets and, where a note ends before the next one starts, releases.
    template <class OnOnset, class OnRelease>
    void place(std::vector<Timed> ev, OnOnset onset, OnRelease release) {
        std::stable_sort(ev.begin(), ev.end(),
                         [](const Timed& a, const Timed& b) { return a.frame < b.frame; });
        for (std::size_t i = 0; i < ev.size(); ++i) {
            if (!inRange(ev[i].frame)) continue;
            const int next = i + 1 < ev.size() ? ev[i + 1].frame : frames_;
            onset(ev[i]);
            const int end = ev[i].frame + ev[i].length;
            if (ev[i].length > 0 && end < next && inRange(end)) release(end);
        }
    }
};

} // namespace

Piece Composer::compose(const ComposerRequest& req) const {
    const int genre = genreIndex(req.genre);
    if (!(req.valence >= 1.0 && req.valence <= 9.0) || !(req.arousal >= 1.0 && req.arousal <= 9.0))
        throw std::invalid_argument("composer: valence and arousal must be in [1, 9]");
    if (!(req.seconds > 0.0 && req.seconds <= 600.0))
        throw std::invalid_argument("composer: seconds must be in (0, 600]");

    Rng rng(req.seed * 0x9E3779B97F4A7C15ull +
            static_cast<std::uint64_t>(genre) * 0x632BE59BD9B4E019ull +
            static_cast<std::uint64_t>(std::lround(req.valence * 1000)) * 131 +
            static_cast<std::uint64_t>(std::lround(req.arousal * 1000)));
    const double vn = (req.valence - 1.0) / 8.0, an = (req.arousal - 1.0) / 8.0;
    const MusicalParameters p = chooseParameters(genre, req.valence, req.arousal, rng);
    const int variant = rng.below(kNumVariants);
    const int tonic = genre == kRock
                          ? std::vector<int>{4, 9, 2, 7, 0}[static_cast<std::size_t>(rng.below(5))]
                          : rng.below(12);
    const int* scale = p.minor ? kMinorScale : kMajorScale;

    const int frames = std::max(1, static_cast<int>(std::lround(req.seconds * kFrameRate)));
    TokenBuilder tb(frames, p.tempoIndex, genreSwings(genre));
    const int nBars = tb.bars();

    // Harmony: an A and a B progression, form A A B A over 4-bar blocks.
    const auto& progs = genreProgressions(genre, p.minor);
    const int ia = rng.below(static_cast<int>(progs.size()));
    int ib = rng.below(static_cast<int>(progs.size()));
    if (ib == ia && progs.size() > 1) ib = (ib + 1) % static_cast<int>(progs.size());
    const Progression progA = colour(progs[static_cast<std::size_t>(ia)], genre, p, vn, rng);
    const Progression progB = colour(progs[static_cast<std::size_t>(ib)], genre, p, vn, rng);
    auto isB = [](int bar) { return (bar / 4) % 4 == 2; };
    auto slotAt = [&](int bar, int half) -> const ChordSlot& {
        const Progression& prog = isB(bar) ? progB : progA;
        return prog[static_cast<std::size_t>((bar % 4) * 2 + half)];
    };
    auto chordAt = [&](int bar, int half) {
        const ChordSlot& c = slotAt(bar, half);
        return ((tonic + c.offset) % 12) * kNumQualities + c.quality;
    };

    // Texture and chord state on every frame.
    for (int f = 0; f < frames; ++f) {
        const int bar = f / tb.barFrames();
        const int half = (f % tb.barFrames()) >= 8 * framesPerSixteenth(p.tempoIndex) ? 1 : 0;
        tb.harm_[static_cast<std::size_t>(f)].chord = chordAt(bar, half);
        TextureToken t;
        t.genre = genre;
        t.variant = variant;
        t.tempo = p.tempoIndex;
        t.brightness = p.brightness;
        t.layer = isB(bar) || (bar >= 4 && an >= 0.5) ? 1 : 0;
        t.loudness = std::min(kLoudnessLevels - 1, p.loudness + (isB(bar) ? 1 : 0));
        tb.tex_[static_cast<std::size_t>(f)] = t;
    }

    // Comp, bass and drums, bar by bar.
    std::vector<TokenBuilder::Timed> comp, bass, mel;
    const int drumBase = 1 + static_cast<int>(std::lround(an * 4.0));
    for (int bar = 0; bar < nBars; ++bar) {
        const bool half = chordAt(bar, 0) != chordAt(bar, 1);
        for (const auto& e : compPattern(genre, variant, p.drumTier, half, rng))
            comp.push_back(
                {tb.frameOf(bar, e.step),
                 e.length > 0 ? tb.stepsToFrames(e.length * std::max(0.5, p.articulation)) : 0, 0,
                 0});
        for (const auto& e : bassPattern(genre, p.drumTier, half, rng))
            bass.push_back(
                {tb.frameOf(bar, e.step), tb.stepsToFrames(e.length * p.articulation), e.move, 0});
        for (const auto& e : drumPattern(genre, p.drumTier, bar % 4, 4, rng)) {
            const int f = tb.frameOf(bar, e.step);
            if (!tb.inRange(f)) continue;
            auto& d = tb.drums_[static_cast<std::size_t>(f)];
            d.mask = static_cast<std::uint8_t>(d.mask | e.move);
            d.velocity = std::clamp(drumBase + e.accent, 0, kVelocityLevels - 1);
        }
    }
    tb.place(
        comp,
        [&](const auto& e) { tb.harm_[static_cast<std::size_t>(e.frame)].comp = kCompStrike; },
        [&](int f) {
            if (tb.harm_[static_cast<std::size_t>(f)].comp == kCompHold)
                tb.harm_[static_cast<std::size_t>(f)].comp = kCompMute;
        });
    tb.place(
        bass, [&](const auto& e) { tb.harm_[static_cast<std::size_t>(e.frame)].bass = e.value; },
        [&](int f) {
            if (tb.harm_[static_cast<std::size_t>(f)].bass == kBassHold)
                tb.harm_[static_cast<std::size_t>(f)].bass = kBassRelease;
        });

    // Melody: a two-bar motif per section; bars 2-3 of each block repeat it with variation
    // and a cadence on the tonic. Strong beats snap to chord tones of the chord under them.
    const int tonicMidi = p.registerCenter - ((p.registerCenter - tonic) % 12 + 12) % 12;
    auto degreePitch = [&](int deg) {
        const int oct = deg >= 0 ? deg / 7 : -((-deg + 6) / 7);
        return tonicMidi + scale[((deg % 7) + 7) % 7] + 12 * oct;
    };
    const std::vector<MotifNote> motifA = makeMotif(genre, p, an, 2 + 2 * rng.below(2), rng);
    const std::vector<MotifNote> motifB = makeMotif(genre, p, an, 4 + rng.below(3), rng);
    const int melBase = 1 + static_cast<int>(std::lround(an * 5.0));
    for (int bar = 0; bar < nBars; bar += 2) {
        const bool answer = (bar / 2) % 2 == 1;
        std::vector<MotifNote> phrase = isB(bar) ? motifB : motifA;
        if (answer) {
            for (auto& n : phrase)
                if (n.step >= 4 && rng.chance(0.25)) n.degree += rng.chance(0.5) ? 1 : -1;
            auto& last = phrase.back();
            last.degree =
                static_cast<int>(std::lround(last.degree / 7.0)) * 7; // cadence on the tonic
        }
        for (const auto& n : phrase) {
            const int b = bar + n.step / 16, step = n.step % 16;
            if (b >= nBars) break;
            int deg = n.degree;
            if (step % 8 == 0) { // strong beat: nearest chord tone
                const int chord = chordAt(b, step / 8);
                int pitches[4];
                const int nc = chordVoicing(chord, 0, false, pitches);
                for (int delta : {0, 1, -1, 2, -2}) {
                    const int pc = degreePitch(n.degree + delta) % 12;
                    if (std::any_of(pitches, pitches + nc, [pc](int q) { return q % 12 == pc; })) {
                        deg = n.degree + delta;
                        break;
                    }
                }
            }
            const int pitch = std::clamp(degreePitch(deg), kMelodyLow, kMelodyHigh);
            const int accent = step == 0 ? 1 : (step % 2 == 1 ? -1 : 0);
            mel.push_back({tb.frameOf(b, step), tb.stepsToFrames(n.length * p.articulation), pitch,
                           std::clamp(melBase + accent, 0, kVelocityLevels - 1)});
        }
    }
    tb.place(
        mel,
        [&](const auto& e) {
            auto& m = tb.mel_[static_cast<std::size_t>(e.frame)];
            m.kind = MelodyToken::kOnset;
            m.pitch = e.value;
            m.velocity = e.velocity;
        },
        [&](int f) {
            auto& m = tb.mel_[static_cast<std::size_t>(f)];
            if (m.kind == MelodyToken::kHold) m.kind = MelodyToken::kRelease;
        });

    Piece piece;
    piece.codes = CodeGrid(kNumStreams, frames);
    for (int f = 0; f < frames; ++f) {
        const auto i = static_cast<std::size_t>(f);
        piece.codes.at(kHarmonyStream, f) = encodeHarmony(tb.harm_[i]);
        piece.codes.at(kMelodyStream, f) = encodeMelody(tb.mel_[i]);
        piece.codes.at(kDrumStream, f) = encodeDrums(tb.drums_[i]);
        piece.codes.at(kTextureStream, f) = encodeTexture(tb.tex_[i]);
    }
    piece.params = p;
    piece.label = {genres()[static_cast<std::size_t>(genre)],
                   req.valence,
                   req.arousal,
                   tempoBpm(p.tempoIndex),
                   kKeyNames[tonic],
                   p.minor ? "minor" : "major",
                   req.seed};
    const Band& band = bandFor(genre, variant);
    for (const char* name : {band.melodyName, band.compName, band.bassName})
        if (std::find(piece.instruments.begin(), piece.instruments.end(), name) ==
            piece.instruments.end())
            piece.instruments.push_back(name);
    if (genre == kElectronic)
        piece.instruments.push_back("drum machine");
    else if (genre == kJazz)
        piece.instruments.push_back("ride cymbal");
    else if (genre == kRock)
        piece.instruments.push_back("drums");
    piece.prompt = writePrompt(piece, promptWords(*lexicon_, req.valence, req.arousal, 8), rng);
    return piece;
}

} // namespace moodsteer
