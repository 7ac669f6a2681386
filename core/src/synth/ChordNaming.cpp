#include "ChordNaming.h"

#include "SynthTokens.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <initializer_list>
#include <limits>

namespace moodsteer::synth {

int ChordNaming::name(unsigned pcs, int bassPc) {
    int best = 0, bestScore = std::numeric_limits<int>::min(), bestTones = 5;
    bool bestOnBass = false;
    for (int quality = 0; quality < kNumQualities; ++quality) {
        int iv[4];
        const int n = chordIntervals(quality, iv);
        for (int root = 0; root < 12; ++root) {
            unsigned tpl = 0;
            for (int k = 0; k < n; ++k)
                tpl |= 1u << ((root + iv[k]) % 12);
            const int tones = std::popcount(tpl);
            const int score = 2 * std::popcount(pcs & tpl) - 2 * std::popcount(pcs & ~tpl) -
                              std::popcount(tpl & ~pcs);
            const bool onBass = root == bassPc;
            const bool better =
                score > bestScore ||
                (score == bestScore &&
                 (onBass > bestOnBass ||
                  (onBass == bestOnBass &&
                   (tones < bestTones || (tones == bestTones && root < best / kNumQualities)))));
            if (better) {
                best = root * kNumQualities + quality;
                bestScore = score, bestTones = tones, bestOnBass = onBass;
            }
        }
    }
    return best;
}

int ChordNaming::exactBassMove(int chord, int key, int shift) {
    // Root and octave first: a power chord's "third" is its fifth, and the same note is
    // then named the plainer way.
    for (int move : {kBassRoot, kBassOctave, kBassFifth, kBassThird, kBassSeventh})
        if (bassPitch(chord, move) + shift == key) return move;
    return -1;
}

int ChordNaming::nearestBassMove(int chord, int key, int shift) {
    int best = kBassRoot, bestCost = std::numeric_limits<int>::max();
    for (int move : {kBassRoot, kBassOctave, kBassFifth, kBassThird, kBassSeventh}) {
        const int d = bassPitch(chord, move) + shift - key;
        const int pcDistance = std::min(((d % 12) + 12) % 12, ((-d % 12) + 12) % 12);
        const int cost = pcDistance * 1000 + std::abs(d);
        if (cost < bestCost) best = move, bestCost = cost;
    }
    return best;
}

} // namespace moodsteer::synth
