#include "GenreIdiom.h"

namespace moodsteer::corpus {

using namespace synth;

namespace {

// A 4-chord, one-chord-per-bar progression as 8 half-bar slots.
Progression bars(ChordSlot a, ChordSlot b, ChordSlot c, ChordSlot d) {
    return {a, a, b, b, c, c, d, d};
}

constexpr int M = kMajor, m = kMinor, D7 = kDom7, M7 = kMaj7, m7 = kMin7, hd = kHalfDim, P = kPower;

} // namespace

const std::vector<int>& genreTempos(int genre) {
    // frames per sixteenth = 2 + index: 0 -> 187.5, 1 -> 125, 2 -> 93.75, 3 -> 75, 4 -> 62.5 BPM
    static const std::vector<int> classical{4, 3, 2, 1};
    static const std::vector<int> electronic{3, 2, 1, 0};
    static const std::vector<int> jazz{3, 2, 1, 0};
    static const std::vector<int> rock{3, 2, 1, 0};
    switch (genre) {
    case kClassical:
        return classical;
    case kElectronic:
        return electronic;
    case kJazz:
        return jazz;
    default:
        return rock;
    }
}

bool genreSwings(int genre) {
    return genre == kJazz;
}

const std::vector<Progression>& genreProgressions(int genre, bool minor) {
    // Functional progressions (classical), ii-V-I with sevenths (jazz), riff-style power
    // chords with bVII/bVI (rock), four-chord loops (electronic).
    static const std::vector<Progression> classicalMajor{
        bars({0, M}, {5, M}, {7, M}, {0, M}),
        bars({0, M}, {9, m}, {5, M}, {7, M}),
        bars({0, M}, {2, m}, {7, D7}, {0, M}),
        bars({0, M}, {9, m}, {2, m}, {7, D7}),
        {{0, M}, {0, M}, {5, M}, {7, M}, {9, m}, {4, m}, {5, M}, {7, D7}}};
    static const std::vector<Progression> classicalMinor{
        bars({0, m}, {5, m}, {7, M}, {0, m}),
        bars({0, m}, {8, M}, {5, m}, {7, M}),
        bars({0, m}, {2, hd}, {7, D7}, {0, m}),
        bars({0, m}, {10, M}, {3, M}, {8, M}),
        {{0, m}, {0, m}, {5, m}, {8, M}, {2, hd}, {2, hd}, {7, D7}, {7, D7}}};
    static const std::vector<Progression> jazzMajor{
        bars({2, m7}, {7, D7}, {0, M7}, {0, M7}),
        bars({0, M7}, {9, m7}, {2, m7}, {7, D7}),
        {{0, M7}, {0, M7}, {9, D7}, {9, D7}, {2, m7}, {7, D7}, {0, M7}, {0, M7}},
        bars({4, m7}, {9, D7}, {2, m7}, {7, D7}),
        {{0, M7}, {9, m7}, {2, m7}, {7, D7}, {4, m7}, {9, D7}, {2, m7}, {7, D7}}};
    static const std::vector<Progression> jazzMinor{
        bars({2, hd}, {7, D7}, {0, m7}, {0, m7}),
        bars({0, m7}, {5, m7}, {2, hd}, {7, D7}),
        bars({0, m7}, {8, M7}, {2, hd}, {7, D7}),
        {{0, m7}, {0, m7}, {5, m7}, {10, D7}, {3, M7}, {8, M7}, {2, hd}, {7, D7}}};
    static const std::vector<Progression> rockMajor{
        bars({0, P}, {10, P}, {5, P}, {0, P}),
        bars({0, P}, {5, P}, {7, P}, {5, P}),
        bars({0, P}, {7, P}, {9, P}, {5, P}),
        {{0, P}, {0, P}, {5, P}, {7, P}, {0, P}, {0, P}, {5, P}, {10, P}}};
    static const std::vector<Progression> rockMinor{
        bars({0, P}, {8, P}, {10, P}, {0, P}),
        bars({0, P}, {10, P}, {8, P}, {10, P}),
        bars({0, P}, {5, P}, {8, P}, {7, P}),
        {{0, P}, {0, P}, {3, P}, {5, P}, {0, P}, {0, P}, {10, P}, {8, P}}};
    static const std::vector<Progression> electronicMajor{
        bars({0, M}, {7, M}, {9, m}, {5, M}), bars({9, m}, {5, M}, {0, M}, {7, M}),
        bars({0, M7}, {5, M7}, {0, M7}, {5, M7}), bars({5, M}, {7, M}, {4, m}, {9, m})};
    static const std::vector<Progression> electronicMinor{
        bars({0, m}, {8, M}, {3, M}, {10, M}), bars({0, m}, {10, M}, {8, M}, {10, M}),
        bars({0, m7}, {5, m7}, {8, M7}, {7, m7}), bars({0, m}, {0, m}, {8, M}, {10, M})};
    switch (genre) {
    case kClassical:
        return minor ? classicalMinor : classicalMajor;
    case kElectronic:
        return minor ? electronicMinor : electronicMajor;
    case kJazz:
        return minor ? jazzMinor : jazzMajor;
    default:
        return minor ? rockMinor : rockMajor;
    }
}

std::vector<PartEvent> compPattern(int genre, int variant, int tier, bool half, Rng& rng) {
    std::vector<PartEvent> ev;
    auto atChanges = [&](int len) {
        ev.push_back({0, len});
        if (half) ev.push_back({8, len});
    };
    switch (genre) {
    case kClassical:
        if (variant == 1 || tier == 0)
            atChanges(0); // sustained chords / string pads
        else if (tier == 1)
            ev = {{0, 0}, {8, 0}};
        else
            ev = {{0, 3}, {4, 3}, {8, 3}, {12, 3}}; // repeated detached chords
        break;
    case kJazz:
        if (tier == 0) {
            atChanges(6);
        } else {
            ev = {{0, 2}, {6, 2}}; // Charleston
            if (half)
                ev.push_back({8, 2});
            else if (rng.chance(0.5))
                ev.push_back({10, 2});
            if (tier == 2 && rng.chance(0.6)) ev.push_back({14, 1});
        }
        break;
    case kRock:
        if (tier == 0)
            atChanges(0); // let it ring
        else if (tier == 1)
            ev = half ? std::vector<PartEvent>{{0, 5}, {6, 2}, {8, 5}, {14, 2}}
                      : std::vector<PartEvent>{{0, 5}, {6, 2}, {8, 6}};
        else
            for (int s = 0; s < 16; s += 2)
                ev.push_back({s, 1, 0, s % 8 == 0 ? 1 : 0}); // palm-muted eighths
        break;
    default: // electronic
        if (variant == 0 || tier == 0)
            atChanges(0); // held pad
        else if (tier == 1)
            ev = {{2, 1}, {6, 1}, {10, 1}, {14, 1}}; // offbeat stabs
        else
            ev = {{0, 1}, {3, 1}, {6, 1}, {10, 1}, {12, 1}};
        if (variant == 1 && half && tier > 0) ev.push_back({8, 1});
        break;
    }
    return ev;
}

std::vector<PartEvent> bassPattern(int genre, int tier, bool half, Rng& rng) {
    std::vector<PartEvent> ev;
    switch (genre) {
    case kClassical:
        if (tier == 0)
            ev = half ? std::vector<PartEvent>{{0, 8, kBassRoot}, {8, 8, kBassRoot}}
                      : std::vector<PartEvent>{{0, 16, kBassRoot}};
        else if (tier == 1)
            ev = {{0, 8, kBassRoot}, {8, 8, half ? kBassRoot : kBassFifth}};
        else
            ev = {{0, 4, kBassRoot},
                  {4, 4, kBassFifth},
                  {8, 4, half ? kBassRoot : kBassOctave},
                  {12, 4, kBassFifth}};
        break;
    case kJazz:
        if (tier == 0) { // two-feel
            ev = {{0, 8, kBassRoot}, {8, 8, half ? kBassRoot : kBassFifth}};
        } else { // walking quarter notes through chord tones
            static const int tones[] = {kBassThird, kBassFifth, kBassSeventh, kBassOctave};
            for (int beat = 0; beat < 4; ++beat) {
                int move = beat == 0 || (half && beat == 2) ? kBassRoot : tones[rng.below(4)];
                ev.push_back({beat * 4, 4, move});
            }
        }
        break;
    case kRock:
        if (tier == 0)
            ev = {{0, 8, kBassRoot}, {8, 8, kBassRoot}};
        else if (tier == 1)
            ev = {{0, 4, kBassRoot}, {4, 4, kBassRoot}, {8, 4, kBassRoot}, {12, 4, kBassFifth}};
        else
            for (int s = 0; s < 16; s += 2)
                ev.push_back({s, 2, s == 14 && rng.chance(0.4) ? kBassOctave : kBassRoot});
        break;
    default: // electronic
        if (tier == 0)
            ev = half ? std::vector<PartEvent>{{0, 8, kBassRoot}, {8, 8, kBassRoot}}
                      : std::vector<PartEvent>{{0, 16, kBassRoot}};
        else if (tier == 1)
            for (int s = 2; s < 16; s += 4)
                ev.push_back({s, 2, kBassRoot}); // offbeat bass
        else
            for (int s = 0; s < 16; s += 2)
                ev.push_back({s, 1, s % 4 == 2 ? kBassOctave : kBassRoot}); // octave bounce
        break;
    }
    return ev;
}

std::vector<PartEvent> drumPattern(int genre, int tier, int barInPhrase, int phraseBars, Rng& rng) {
    std::vector<PartEvent> ev;
    auto hit = [&](int step, int mask, int accent = 0) {
        for (auto& e : ev)
            if (e.step == step) {
                e.move |= mask;
                e.accent = std::max(e.accent, accent);
                return;
            }
        ev.push_back({step, 1, mask, accent});
    };
    const bool lastBar = barInPhrase == phraseBars - 1;
    switch (genre) {
    case kClassical:
        break; // no drums
    case kElectronic:
        for (int s = 0; s < 16; s += 4)
            hit(s, 1 << kKick, s == 0 ? 1 : 0); // four on the floor
        if (tier >= 1) {
            hit(4, 1 << kClap);
            hit(12, 1 << kClap);
            for (int s = 2; s < 16; s += 4)
                hit(s, 1 << (tier == 2 && s % 8 == 6 ? kOpenHat : kClosedHat));
        } else {
            for (int s = 2; s < 16; s += 4)
                hit(s, 1 << kClosedHat, -2);
        }
        if (tier == 2)
            for (int s = 1; s < 16; s += 2)
                hit(s, 1 << kClosedHat, -2);
        if (tier >= 1 && barInPhrase == 0) hit(0, 1 << kCrash, 1);
        break;
    case kJazz:
        // Swing ride: 1, 2, and-of-2, 3, 4, and-of-4; hi-hat pedal on 2 and 4.
        for (int s : {0, 4, 6, 8, 12, 14})
            hit(s, 1 << kRide, s % 8 == 4 ? 1 : 0);
        hit(4, 1 << kClosedHat);
        hit(12, 1 << kClosedHat);
        if (tier >= 1 && rng.chance(0.5))
            hit(rng.chance(0.5) ? 10 : 14, 1 << kSnare, -2); // comping ghost note
        if (tier == 2) {
            hit(0, 1 << kKick, -1);
            if (lastBar) hit(14, 1 << kSnare, 1);
        }
        break;
    default: // rock: backbeat
        hit(0, 1 << kKick, 1);
        hit(8, 1 << kKick);
        if (tier >= 1 && rng.chance(0.6)) hit(10, 1 << kKick, -1);
        hit(4, 1 << kSnare, 1);
        hit(12, 1 << kSnare, 1);
        for (int s = 0; s < 16; s += tier == 0 ? 4 : 2)
            hit(s, 1 << (tier == 2 && s == 14 ? kOpenHat : kClosedHat), s % 4 == 0 ? 0 : -1);
        if (tier >= 1 && barInPhrase == 0) hit(0, 1 << kCrash, 1);
        if (tier == 2 && lastBar)
            for (int s : {13, 14, 15})
                hit(s, 1 << (s == 15 ? kSnare : kTom), 1);
        break;
    }
    return ev;
}

} // namespace moodsteer::corpus
